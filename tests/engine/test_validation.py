"""The validator never lets a wrong process through: each rule, on a small BPMN snippet.

Every problem names the file, the line, the element id, what is wrong and what to write instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine import Problem, load_processes
from app.engine.loader import check_file, load_for_run
from app.engine.validation import python_form
from tests.engine.bpmn_factory import condition_process, script_process, write

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
  targetNamespace="http://permitflow.test/bpmn">
{globals}  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f_start" sourceRef="StartEvent" targetRef="{first}" />
{body}    <bpmn:endEvent id="End"><bpmn:incoming>f_last</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
{other}</bpmn:definitions>
"""


def process(key: str, body: str, *, first: str, globals_: str = "", other: str = "") -> str:
    """A process: start → ``first`` … (``body`` must end with a flow `f_last` into `End`)."""
    return HEAD.format(key=key, body=body, first=first, globals=globals_, other=other)


def script(task_id: str, incoming: str, outgoing: str, code: str = "x = 1", attrs: str = "") -> str:
    return f"""    <bpmn:scriptTask id="{task_id}" scriptFormat="python"{attrs}>
      <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>
      <bpmn:script>{code}</bpmn:script>
    </bpmn:scriptTask>
"""


def flow(flow_id: str, source: str, target: str) -> str:
    return f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />\n'


def simple(key: str, element: str, element_id: str) -> str:
    """start → element → End, where ``element`` takes f_start in and f_last out."""
    return process(key, element + flow("f_last", element_id, "End"), first=element_id)


def problems_of(tmp_path: Path, key: str, xml: str) -> list[Problem]:
    path = write(tmp_path, key, xml)
    problems = check_file(path)
    for problem in problems:  # the shape every problem has
        assert problem.file == str(path) and problem.line > 0 and problem.element_id not in ("", "-")
        assert problem.message and problem.hint, problem
        assert str(problem).startswith(f"{path}:{problem.line}: {problem.element_id}: ")
    return problems


def only(problems: list[Problem], element_id: str, *words: str) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert problem.element_id == element_id, str(problem)
    for word in words:
        assert word in str(problem), str(problem)
    return problem


# -- a clean file and the entry points -------------------------------------------------------------


def test_a_plain_script_process_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "plain", script_process("plain", "x = 1"))
    assert check_file(path) == []
    result = load_for_run([path])
    assert list(result.bundles) == ["plain"]


def test_load_for_run_needs_no_file_name_convention(tmp_path: Path) -> None:
    path = write(tmp_path, "any-name", script_process("Process_1", "x = 1"))
    result = load_for_run([path])
    assert result.ok and list(result.bundles) == ["Process_1"]
    deploy = load_processes([path], [], {})
    assert not deploy.bundles
    assert [p.message for p in deploy.problems] == ["no executable process with id 'any-name' in this file"]


def test_deploy_reports_real_problems_besides_the_file_name_rule(tmp_path: Path) -> None:
    path = write(tmp_path, "foreign", condition_process("Process_1", "${amount > 10}"))
    messages = [p.message for p in load_processes([path], [], {}).problems]
    assert "no executable process with id 'foreign' in this file" in messages
    assert any("another engine's expression language" in m for m in messages)


def test_no_executable_process(tmp_path: Path) -> None:
    xml = script_process("Process_1", "x = 1").replace('isExecutable="true"', 'isExecutable="false"')
    only(problems_of(tmp_path, "not_run", xml), "Process_1", "no executable process", "isExecutable")


def test_a_file_is_never_half_accepted(tmp_path: Path) -> None:
    """Two executable processes, one of them bad: nothing of the file is accepted."""
    good = script_process("Good", "x = 1")
    bad = (
        script_process("Bad", "x = 1").replace("Script_Work", "Script_Bad").replace("Task_Review", "Task_Bad")
    )
    bad_process = bad[bad.index("  <bpmn:process") : bad.index("</bpmn:definitions>")]
    bad_process = bad_process.replace('id="StartEvent"', 'id="StartEvent_B"').replace(
        'sourceRef="StartEvent"', 'sourceRef="StartEvent_B"'
    )
    for flow_id in ("f1", "f2", "f_end", "End"):
        bad_process = bad_process.replace(f'"{flow_id}"', f'"{flow_id}_b"').replace(
            f">{flow_id}<", f">{flow_id}_b<"
        )
    bad_process = bad_process.replace('scriptFormat="python"', 'scriptFormat="groovy"')
    xml = good.replace("</bpmn:definitions>", bad_process + "</bpmn:definitions>")
    path = write(tmp_path, "Good", xml)
    result = load_for_run([path])
    assert not result.bundles
    assert any("groovy" in p.message for p in result.problems)
    assert not load_processes([path], [], {}).bundles


# -- expressions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("other", "python"),
    [
        ("${approved}", "approved"),
        ("${!approved}", "not approved"),
        ("#{amount > 10 && !late}", "amount > 10 and not late"),
        ("${a || b}", "a or b"),
        ("${x != null}", "x != None"),
        ('${test.contains("a")}', '"a" in test'),
    ],
)
def test_other_engines_expressions_get_the_python_form(other: str, python: str) -> None:
    assert python_form(other) == python


def test_juel_condition_is_rejected_with_the_python_form(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "juel", condition_process("juel", "${!approved}"))
    only(problems, "f2", "another engine's expression language", "write it as Python: not approved")


def test_condition_that_is_not_python(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "feel", condition_process("feel", "= not(approved)"))
    only(problems, "f2", "not valid Python")


def test_condition_language_other_than_python(tmp_path: Path) -> None:
    xml = condition_process("xpath", "approved").replace(
        'xsi:type="bpmn:tFormalExpression"',
        'xsi:type="bpmn:tFormalExpression" language="http://www.w3.org/1999/XPath"',
    )
    only(problems_of(tmp_path, "xpath", xml), "f2", "condition language", "XPath", "Python")


def test_non_python_script(tmp_path: Path) -> None:
    xml = script_process("groovy", "x = 1").replace('scriptFormat="python"', 'scriptFormat="groovy"')
    only(problems_of(tmp_path, "groovy", xml), "Script_Work", "'groovy' is not supported", "Python")


# -- elements the engine rejects, ignores or runs wrongly ----------------------------------------------


def test_link_events(tmp_path: Path) -> None:
    body = """    <bpmn:intermediateThrowEvent id="Link_Throw"><bpmn:incoming>f_start</bpmn:incoming>
      <bpmn:linkEventDefinition id="LinkDef_A" name="A" /></bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="Link_Catch"><bpmn:outgoing>f_last</bpmn:outgoing>
      <bpmn:linkEventDefinition id="LinkDef_B" name="A" /></bpmn:intermediateCatchEvent>
""" + flow("f_last", "Link_Catch", "End")
    problems = problems_of(tmp_path, "link", process("link", body, first="Link_Throw"))
    # The drawn events, never their definitions (the diagram does not show those).
    assert {p.element_id for p in problems} == {"Link_Throw", "Link_Catch"}
    assert all("link events" in p.message and "sequence flow" in (p.hint or "") for p in problems)


def test_signal_end_event(tmp_path: Path) -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:signal id="Signal_Done" name="done" />
  <bpmn:process id="sig" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
{flow("f1", "StartEvent", "End_Signal")}    <bpmn:endEvent id="End_Signal"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:signalEventDefinition id="SigDef" signalRef="Signal_Done" /></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    problems = problems_of(tmp_path, "sig", xml)
    assert any(p.element_id == "End_Signal" and "signal end events" in p.message for p in problems)


def _event_subprocess(start: str) -> str:
    return f"""    <bpmn:subProcess id="Sub_Event" triggeredByEvent="true">
{start}
      <bpmn:scriptTask id="Script_Handle"><bpmn:incoming>fe1</bpmn:incoming><bpmn:outgoing>fe2</bpmn:outgoing>
        <bpmn:script>handled = True</bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="End_Handle"><bpmn:incoming>fe2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="fe1" sourceRef="Start_Handle" targetRef="Script_Handle" />
      <bpmn:sequenceFlow id="fe2" sourceRef="Script_Handle" targetRef="End_Handle" />
    </bpmn:subProcess>
"""


ERROR = '  <bpmn:error id="Error_1" name="failed" errorCode="E1" />\n'
ESCALATION = '  <bpmn:escalation id="Esc_1" name="late" escalationCode="L1" />\n'
SIGNAL = '  <bpmn:signal id="Signal_1" name="go" />\n'
TIMER = (
    '<bpmn:timerEventDefinition id="T"><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition>"
)


@pytest.mark.parametrize(
    ("definition", "interrupting", "globals_", "words"),
    [
        ('<bpmn:errorEventDefinition id="D" errorRef="Error_1" />', "true", ERROR, ["error start events"]),
        (
            '<bpmn:escalationEventDefinition id="D" escalationRef="Esc_1" />',
            "false",
            ESCALATION,
            ["escalation"],
        ),
        (TIMER, "true", "", ["ignores isInterrupting", 'isInterrupting="false"']),
        ('<bpmn:signalEventDefinition id="D" signalRef="Signal_1" />', "false", SIGNAL, ["signal start"]),
    ],
    ids=["error", "escalation", "interrupting", "signal"],
)
def test_event_subprocess_starts(
    tmp_path: Path, definition: str, interrupting: str, globals_: str, words: list[str]
) -> None:
    start = (
        f'      <bpmn:startEvent id="Start_Handle" isInterrupting="{interrupting}">'
        f"<bpmn:outgoing>fe1</bpmn:outgoing>{definition}</bpmn:startEvent>"
    )
    body = (
        script("Script_Main", "f_start", "f_last")
        + flow("f_last", "Script_Main", "End")
        + _event_subprocess(start)
    )
    xml = process("evsub", body, first="Script_Main", globals_=globals_)
    only(problems_of(tmp_path, "evsub", xml), "Start_Handle", *words)


def test_non_interrupting_timer_event_subprocess_is_accepted(tmp_path: Path) -> None:
    start = (
        '      <bpmn:startEvent id="Start_Handle" isInterrupting="false">'
        f"<bpmn:outgoing>fe1</bpmn:outgoing>{TIMER}</bpmn:startEvent>"
    )
    body = (
        script("Script_Main", "f_start", "f_last")
        + flow("f_last", "Script_Main", "End")
        + _event_subprocess(start)
    )
    assert problems_of(tmp_path, "evsub_ok", process("evsub_ok", body, first="Script_Main")) == []


def test_global_event_definition_reference(tmp_path: Path) -> None:
    globals_ = ERROR + '  <bpmn:errorEventDefinition id="Global_Error" errorRef="Error_1" />\n'
    body = script("Script_Main", "f_start", "f_last") + flow("f_last", "Script_Main", "End")
    xml = process("evref", body, first="Script_Main", globals_=globals_).replace(
        '<bpmn:endEvent id="End"><bpmn:incoming>f_last</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:endEvent id="End"><bpmn:incoming>f_last</bpmn:incoming>'
        "<bpmn:eventDefinitionRef>Global_Error</bpmn:eventDefinitionRef></bpmn:endEvent>",
    )
    only(problems_of(tmp_path, "evref", xml), "End", "eventDefinitionRef", "inside the event")


@pytest.mark.parametrize("behavior", ["One", "Complex"])
def test_multi_instance_behaviour(tmp_path: Path, behavior: str) -> None:
    task = script("Script_Each", "f_start", "f_last").replace(
        "<bpmn:script>",
        f'<bpmn:multiInstanceLoopCharacteristics id="MI" behavior="{behavior}">'
        "<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics><bpmn:script>",
    )
    problems = problems_of(tmp_path, "mi", simple("mi", task, "Script_Each"))
    only(problems, "MI", f'behavior="{behavior}"', "All")


def test_unnamed_message(tmp_path: Path) -> None:
    globals_ = '  <bpmn:message id="Message_Paid" />\n'
    body = """    <bpmn:intermediateCatchEvent id="Wait_Paid"><bpmn:incoming>f_start</bpmn:incoming>
      <bpmn:outgoing>f_last</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MsgDef" messageRef="Message_Paid" /></bpmn:intermediateCatchEvent>
""" + flow("f_last", "Wait_Paid", "End")
    xml = process("unnamed", body, first="Wait_Paid", globals_=globals_)
    only(problems_of(tmp_path, "unnamed", xml), "Message_Paid", "has no name", 'name="Message_Paid"')


def test_start_event_with_the_id_start(tmp_path: Path) -> None:
    xml = (
        script_process("start_id", "x = 1")
        .replace('"StartEvent"', '"Start"')
        .replace('id="Start"><bpmn:outgoing>', 'id="Start"><bpmn:outgoing>')
    )
    only(problems_of(tmp_path, "start_id", xml), "Start", "reserved", "rename")


def test_data_store_without_implementation(tmp_path: Path) -> None:
    globals_ = '  <bpmn:dataStore id="Store_Bank" name="Bank" />\n'
    body = (
        script("Script_Main", "f_start", "f_last")
        + flow("f_last", "Script_Main", "End")
        + '    <bpmn:dataStoreReference id="StoreRef_Bank" dataStoreRef="Store_Bank" />\n'
    )
    problems = problems_of(tmp_path, "store", process("store", body, first="Script_Main", globals_=globals_))
    assert {p.element_id for p in problems} == {"Store_Bank", "StoreRef_Bank"}
    assert all("data store" in p.message and "case data" in (p.hint or "") for p in problems)


def test_complex_gateway(tmp_path: Path) -> None:
    gateway = """    <bpmn:complexGateway id="Gateway_Complex">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing></bpmn:complexGateway>
"""
    problems = problems_of(tmp_path, "complex", simple("complex", gateway, "Gateway_Complex"))
    only(problems, "Gateway_Complex", "complex gateways", "inclusive gateway")


def test_ad_hoc_subprocess(tmp_path: Path) -> None:
    adhoc = """    <bpmn:adHocSubProcess id="AdHoc_Work">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing>
      <bpmn:task id="Task_A" /><bpmn:task id="Task_B" />
    </bpmn:adHocSubProcess>
"""
    only(
        problems_of(tmp_path, "adhoc", simple("adhoc", adhoc, "AdHoc_Work")),
        "AdHoc_Work",
        "ad-hoc",
        "parallel",
    )


def test_compensation(tmp_path: Path) -> None:
    body = (
        script("Script_Book", "f_start", "f_last")
        + flow("f_last", "Script_Book", "End")
        + """    <bpmn:boundaryEvent id="Compensate_Book" attachedToRef="Script_Book">
      <bpmn:compensateEventDefinition id="CompDef" /></bpmn:boundaryEvent>
    <bpmn:scriptTask id="Script_Undo" isForCompensation="true">
      <bpmn:script>x = 0</bpmn:script></bpmn:scriptTask>
"""
    )
    problems = problems_of(tmp_path, "comp", process("comp", body, first="Script_Book"))
    assert {p.element_id for p in problems} == {"Compensate_Book", "Script_Undo"}  # the drawn event
    assert all("compensation" in p.message for p in problems)


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("serviceTask", ("service tasks", "script task")),
        ("businessRuleTask", ("names no decision", "calledDecisionId")),
    ],
)
def test_service_and_business_rule_tasks(tmp_path: Path, tag: str, words: tuple[str, str]) -> None:
    """Service tasks are refused; a business rule task must name its DMN decision (more in
    tests/engine/test_decisions.py)."""
    task = f"""    <bpmn:{tag} id="Task_Call"><bpmn:incoming>f_start</bpmn:incoming>
      <bpmn:outgoing>f_last</bpmn:outgoing></bpmn:{tag}>
"""
    only(problems_of(tmp_path, "svc", simple("svc", task, "Task_Call")), "Task_Call", *words)


def test_script_task_without_a_script(tmp_path: Path) -> None:
    xml = script_process("noscript", "x = 1").replace("<bpmn:script>x = 1</bpmn:script>", "")
    only(problems_of(tmp_path, "noscript", xml), "Script_Work", "without a script")


def test_split_after_an_activity(tmp_path: Path) -> None:
    body = (
        script("Script_Main", "f_start", "f_last</bpmn:outgoing><bpmn:outgoing>f_other")
        + flow("f_last", "Script_Main", "End")
        + flow("f_other", "Script_Main", "End_Other")
        + '    <bpmn:endEvent id="End_Other"><bpmn:incoming>f_other</bpmn:incoming></bpmn:endEvent>\n'
    )
    problems = problems_of(tmp_path, "split", process("split", body, first="Script_Main"))
    only(problems, "Script_Main", "2 outgoing sequence flows", "gateway")


# -- other engines' extensions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "hint"),
    [
        ('camunda:formKey="embedded:app:forms/review.html"', "formJsonSchemaFilename"),
        ('camunda:class="org.example.Delegate"', "script task"),
        ('camunda:expression="${service.run()}"', "script task"),
        ('camunda:delegateExpression="${adapter}"', "script task"),
        ('camunda:assignee="demo"', "candidate_groups"),
        ('camunda:candidateGroups="management"', "candidate_groups"),
    ],
)
def test_camunda_attributes_that_carry_logic(tmp_path: Path, attribute: str, hint: str) -> None:
    task = script("Script_Main", "f_start", "f_last", attrs=f" {attribute}")
    problem = only(problems_of(tmp_path, "cam", simple("cam", task, "Script_Main")), "Script_Main")
    assert "camunda-specific and ignored" in problem.message and hint in (problem.hint or "")


def test_camunda_listener(tmp_path: Path) -> None:
    task = script("Script_Main", "f_start", "f_last").replace(
        "<bpmn:incoming>",
        '<bpmn:extensionElements><camunda:executionListener class="org.example.L" event="start" />'
        "</bpmn:extensionElements><bpmn:incoming>",
        1,
    )
    only(
        problems_of(tmp_path, "listen", simple("listen", task, "Script_Main")),
        "Script_Main",
        "executionListener",
    )


def test_harmless_camunda_attributes_are_allowed(tmp_path: Path) -> None:
    task = script("Script_Main", "f_start", "f_last", attrs=' camunda:asyncBefore="true"')
    xml = simple("harmless", task, "Script_Main").replace(
        'isExecutable="true"', 'isExecutable="true" camunda:historyTimeToLive="180"'
    )
    assert problems_of(tmp_path, "harmless", xml) == []


# -- what leaves a case: errors, escalations, messages, calls --------------------------------------------


@pytest.mark.parametrize(
    ("definition", "globals_", "kind"),
    [
        ('<bpmn:errorEventDefinition id="D" errorRef="Error_1" />', ERROR, "error"),
        ('<bpmn:escalationEventDefinition id="D" escalationRef="Esc_1" />', ESCALATION, "escalation"),
    ],
)
def test_uncaught_end_event_at_the_top_level(
    tmp_path: Path, definition: str, globals_: str, kind: str
) -> None:
    body = script("Script_Main", "f_start", "f_last") + flow("f_last", "Script_Main", "End")
    xml = process("throws", body, first="Script_Main", globals_=globals_).replace(
        "<bpmn:incoming>f_last</bpmn:incoming></bpmn:endEvent>",
        f"<bpmn:incoming>f_last</bpmn:incoming>{definition}</bpmn:endEvent>",
    )
    only(problems_of(tmp_path, "throws", xml), "End", f"{kind} end event", "nothing catches", "case_status")


def test_message_start_event(tmp_path: Path) -> None:
    globals_ = '  <bpmn:message id="Message_Go" name="go" />\n'
    xml = script_process("msgstart", "x = 1").replace(
        '<bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing>',
        '<bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing>'
        '<bpmn:messageEventDefinition id="MsgDef" messageRef="Message_Go" />',
    )
    xml = xml.replace("  <bpmn:process", globals_ + "  <bpmn:process", 1)
    assert problems_of(tmp_path, "msgstart", xml) == []  # a case starts when "go" arrives
    second = xml.replace(
        '<bpmn:startEvent id="StartEvent">',
        '<bpmn:startEvent id="StartEvent_None"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f0" sourceRef="StartEvent_None" targetRef="End" />'
        '<bpmn:startEvent id="StartEvent">',
    )
    problems = [p for p in problems_of(tmp_path, "msgstart", second) if p.element_id == "StartEvent"]
    assert problems and "no other start event" in str(problems[0])


def test_timer_start_event_of_a_process(tmp_path: Path) -> None:
    xml = script_process("timerstart", "x = 1").replace(
        '<bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing>',
        f'<bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing>{TIMER}',
    )
    only(problems_of(tmp_path, "timerstart", xml), "StartEvent", "timer start events", "none start event")


def test_juel_loop_cardinality(tmp_path: Path) -> None:
    task = script("Script_Each", "f_start", "f_last").replace(
        "<bpmn:script>",
        '<bpmn:multiInstanceLoopCharacteristics id="MI">'
        "<bpmn:loopCardinality>${count}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics><bpmn:script>",
    )
    problems = problems_of(tmp_path, "mi_juel", simple("mi_juel", task, "Script_Each"))
    only(problems, "MI", "loopCardinality uses another engine's expression language", "Python: count")


def test_message_thrown_out_of_the_case_is_accepted(tmp_path: Path) -> None:
    """The platform routes it to the cases (or the process) that catch it."""
    globals_ = '  <bpmn:message id="Message_Go" name="go" />\n'
    body = """    <bpmn:intermediateThrowEvent id="Send_Go"><bpmn:incoming>f_start</bpmn:incoming>
      <bpmn:outgoing>f_last</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MsgDef" messageRef="Message_Go" /></bpmn:intermediateThrowEvent>
""" + flow("f_last", "Send_Go", "End")
    xml = process("sender", body, first="Send_Go", globals_=globals_)
    assert problems_of(tmp_path, "sender", xml) == []


def test_waiting_for_a_message_from_outside_is_accepted(tmp_path: Path) -> None:
    """POST /messages (or another case) delivers it."""
    globals_ = '  <bpmn:message id="Message_Paid" name="paid" />\n'
    body = """    <bpmn:receiveTask id="Receive_Paid" messageRef="Message_Paid">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing></bpmn:receiveTask>
""" + flow("f_last", "Receive_Paid", "End")
    xml = process("receiver", body, first="Receive_Paid", globals_=globals_)
    assert problems_of(tmp_path, "receiver", xml) == []


def test_a_signal_behind_an_event_based_gateway_may_never_come(tmp_path: Path) -> None:
    body = f"""    <bpmn:eventBasedGateway id="Gateway_Wait"><bpmn:incoming>f_start</bpmn:incoming>
      <bpmn:outgoing>f_sig</bpmn:outgoing><bpmn:outgoing>f_timer</bpmn:outgoing></bpmn:eventBasedGateway>
    <bpmn:intermediateCatchEvent id="Wait_Signal"><bpmn:incoming>f_sig</bpmn:incoming>
      <bpmn:outgoing>f_sig_end</bpmn:outgoing>
      <bpmn:signalEventDefinition id="SigDef" signalRef="Signal_1" /></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="Wait_Timer"><bpmn:incoming>f_timer</bpmn:incoming>
      <bpmn:outgoing>f_last</bpmn:outgoing>{TIMER}</bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="End_Signal"><bpmn:incoming>f_sig_end</bpmn:incoming></bpmn:endEvent>
"""
    body += (
        flow("f_sig", "Gateway_Wait", "Wait_Signal")
        + flow("f_timer", "Gateway_Wait", "Wait_Timer")
        + flow("f_sig_end", "Wait_Signal", "End_Signal")
        + flow("f_last", "Wait_Timer", "End")
    )
    xml = process("evgw", body, first="Gateway_Wait", globals_=SIGNAL)
    assert problems_of(tmp_path, "evgw", xml) == []


def test_error_boundary_event_on_a_script_task(tmp_path: Path) -> None:
    body = (
        script("Script_Risky", "f_start", "f_last")
        + flow("f_last", "Script_Risky", "End")
        + """    <bpmn:boundaryEvent id="Catch_Failure" attachedToRef="Script_Risky">
      <bpmn:outgoing>f_failed</bpmn:outgoing>
      <bpmn:errorEventDefinition id="ErrDef" errorRef="Error_1" /></bpmn:boundaryEvent>
    <bpmn:endEvent id="End_Failed"><bpmn:incoming>f_failed</bpmn:incoming></bpmn:endEvent>
"""
        + flow("f_failed", "Catch_Failure", "End_Failed")
    )
    xml = process("errbound", body, first="Script_Risky", globals_=ERROR)
    only(problems_of(tmp_path, "errbound", xml), "Catch_Failure", "never fires", "subprocess")


def _caller(key: str, called: str) -> str:
    task = f"""    <bpmn:callActivity id="Call_Sub" calledElement="{called}">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing></bpmn:callActivity>
"""
    return simple(key, task, "Call_Sub")


def test_call_to_an_unknown_process(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "caller", _caller("caller", "Missing_Process"))
    only(problems, "Call_Sub", "calls process 'Missing_Process'", "calledElement")


def test_call_to_a_global_task(tmp_path: Path) -> None:
    xml = _caller("gcaller", "Global_Script").replace(
        "  <bpmn:process", '  <bpmn:globalScriptTask id="Global_Script" />\n  <bpmn:process', 1
    )
    only(
        problems_of(tmp_path, "gcaller", xml), "Call_Sub", "global tasks are not supported", "call a process"
    )


def test_files_loaded_together_resolve_calls(tmp_path: Path) -> None:
    caller = write(tmp_path, "caller-file", _caller("Main", "Sub"))
    called = write(tmp_path, "called-file", script_process("Sub", "x = 1"))
    result = load_for_run([caller, called])
    assert result.ok, [str(p) for p in result.problems]
    assert set(result.bundles) == {"Main", "Sub"}


def test_calling_a_rejected_file_rejects_the_caller(tmp_path: Path) -> None:
    caller = write(tmp_path, "caller-file", _caller("Main", "Sub"))
    bad = script_process("Sub", "x = 1").replace('scriptFormat="python"', 'scriptFormat="groovy"')
    called = write(tmp_path, "called-file", bad)
    result = load_for_run([caller, called])
    assert not result.bundles
    mine = [p for p in result.problems if p.file == str(caller)]
    only(mine, "Call_Sub", "calls process 'Sub' in called-file.bpmn", "fix called-file.bpmn first")


def test_duplicate_process_ids_across_files(tmp_path: Path) -> None:
    """Which definition would run depends on the order the files are read: neither is accepted."""
    one = write(tmp_path, "one", script_process("Same", "x = 1"))
    two = write(tmp_path, "two", script_process("Same", "x = 2"))
    result = load_for_run([one, two])
    assert "Same" not in result.bundles
    for path, other in ((one, "two.bpmn"), (two, "one.bpmn")):
        problem = next(p for p in result.problems if p.file == str(path))
        assert problem.element_id == "Same" and problem.line > 0 and problem.hint
        assert f"process id 'Same' is also defined in {other}" in problem.message


def _with_process(xml: str, pid: str) -> str:
    """``xml`` with a second, minimal executable process ``pid`` (start → end) after its own."""
    extra = f"""  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="{pid}_S"><bpmn:outgoing>{pid}_F</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="{pid}_E"><bpmn:incoming>{pid}_F</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="{pid}_F" sourceRef="{pid}_S" targetRef="{pid}_E" />
  </bpmn:process>
"""
    return xml.replace("</bpmn:definitions>", extra + "</bpmn:definitions>")


def test_a_file_defining_another_files_process_is_rejected(tmp_path: Path) -> None:
    """complaint.bpmn also defines an executable `order`: whatever order the files are read in, the
    file that owns `order` stands; the intruder is refused, naming the owner."""
    complaint = write(tmp_path, "complaint", _with_process(_caller("complaint", "order"), "order"))
    (tmp_path / "z").mkdir()
    order = write(tmp_path / "z", "order", script_process("order", "x = 1"))
    for paths in ([complaint, order], [order, complaint]):
        result = load_processes(paths, [], {})
        assert set(result.bundles) == {"order"}, [str(p) for p in result.problems]
        assert result.bundles["order"].source_path == str(order)
        mine = [p for p in result.problems if p.file == str(complaint)]
        problem = only(mine, "order", "process 'order' belongs to order.bpmn", "call activity")
        assert str(problem).startswith(f"{complaint}:{problem.line}: order: ") and problem.line > 1


def test_a_file_runs_only_the_process_named_by_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, "main", _with_process(script_process("main", "x = 1"), "helper"))
    result = load_processes([path], [], {})
    assert not result.bundles
    only(result.problems, "helper", "executable process 'helper' in main.bpmn", "move it to helper.bpmn")
    # Loaded for a run (any file name), a file may hold several executable processes.
    assert set(load_for_run([path]).bundles) == {"main", "helper"}


def test_calling_a_file_rejected_after_parsing_rejects_the_caller(tmp_path: Path) -> None:
    """The called file parses, but is refused for what it does as a case: the caller is refused too,
    with one problem naming the call."""
    body = script("Script_Main", "f_start", "f_last") + flow("f_last", "Script_Main", "End")
    sub = process("Sub", body, first="Script_Main", globals_=ERROR).replace(
        "<bpmn:incoming>f_last</bpmn:incoming></bpmn:endEvent>",
        '<bpmn:incoming>f_last</bpmn:incoming><bpmn:errorEventDefinition id="D" errorRef="Error_1" />'
        "</bpmn:endEvent>",
    )
    caller = write(tmp_path, "caller-file", _caller("Main", "Sub"))
    called = write(tmp_path, "called-file", sub)
    result = load_for_run([caller, called])
    assert not result.bundles
    only([p for p in result.problems if p.file == str(called)], "End", "error end event")
    mine = [p for p in result.problems if p.file == str(caller)]
    only(mine, "Call_Sub", "calls process 'Sub' in called-file.bpmn", "fix called-file.bpmn first")


def test_a_rejected_file_rejects_every_file_calling_it_directly_or_not(tmp_path: Path) -> None:
    top = write(tmp_path, "top-file", _caller("Top", "Middle"))
    middle = write(tmp_path, "middle-file", _caller("Middle", "Bottom"))
    bad = script_process("Bottom", "x = 1").replace('scriptFormat="python"', 'scriptFormat="groovy"')
    bottom = write(tmp_path, "bottom-file", bad)
    result = load_for_run([top, middle, bottom])
    assert not result.bundles
    of_middle = [p for p in result.problems if p.file == str(middle)]
    only(of_middle, "Call_Sub", "calls process 'Bottom' in bottom-file.bpmn", "fix bottom-file.bpmn first")
    # The top file reaches the rejected file through the middle one: it is refused too, once.
    of_top = [p for p in result.problems if p.file == str(top)]
    only(of_top, "Bottom", "calls process 'Bottom' in bottom-file.bpmn", "fix bottom-file.bpmn first")
