"""The validator's checks of names, values, scripts and declared properties (issue 14): each mistake
an analyst makes is refused at the drawn element with a hint, the shipped processes pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine import Problem, check_file
from app.engine.validation.names import HELPERS, NameContext
from tests.engine.bpmn_factory import condition_process, script_process, timer_process, write
from tests.engine.mistakes import MISTAKES, Mistake
from tests.engine.shipped_copy import by_id, load_copy


def _at(problems: list[Problem], element_id: str, *words: str) -> Problem:
    found = [p for p in problems if p.element_id == element_id]
    assert found, [str(p) for p in problems]
    text = " | ".join(str(p) for p in found)
    for word in words:
        assert word in text, text
    assert all(p.line > 0 and p.hint for p in found), text
    return found[0]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_is_refused_at_the_drawn_element(tmp_path: Path, mistake: Mistake) -> None:
    result = load_copy(tmp_path, mistake.key, mistake.edit)
    assert mistake.key not in result.bundles, "a broken process was accepted"
    own = [p for p in result.problems if p.file.endswith(f"{mistake.key}.bpmn")]
    problem = _at(own, mistake.element_id, *mistake.words)
    assert "EventDefinition" not in problem.element_id


def test_the_shipped_processes_pass_every_check(tmp_path: Path) -> None:
    result = load_copy(tmp_path)
    assert result.ok, [str(p) for p in result.problems]
    assert len(result.bundles) == 6  # the four of the mission, notices, site alerts


def _problems(tmp_path: Path, xml: str, key: str = "p") -> list[Problem]:
    return check_file(write(tmp_path, key, xml))


# -- names -------------------------------------------------------------------------------------------


def test_a_name_set_on_one_branch_only_is_allowed(tmp_path: Path) -> None:
    # "On some path": the branch that sets it is enough (the other never reads it in a real case).
    xml = condition_process("p", "flag").replace(
        "<bpmn:incoming>f1</bpmn:incoming>", "<bpmn:incoming>f0</bpmn:incoming>"
    )
    xml = xml.replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Gateway_Check" />',
        '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Script_Set" />\n'
        '    <bpmn:scriptTask id="Script_Set"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f0</bpmn:outgoing>"
        "<bpmn:script>flag = True</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:sequenceFlow id="f0" sourceRef="Script_Set" targetRef="Gateway_Check" />',
    )
    assert _problems(tmp_path, xml) == []


def test_a_name_set_only_after_it_is_read_is_refused(tmp_path: Path) -> None:
    # The script that sets `amount` runs after the gateway that reads it.
    xml = (
        condition_process("p", "amount > 10")
        .replace(
            '<bpmn:sequenceFlow id="f_end" sourceRef="Task_Review" targetRef="End" />',
            '<bpmn:sequenceFlow id="f_end" sourceRef="Task_Review" targetRef="Script_Late" />\n'
            '    <bpmn:scriptTask id="Script_Late"><bpmn:incoming>f_end</bpmn:incoming>'
            "<bpmn:outgoing>f_late</bpmn:outgoing>"
            "<bpmn:script>amount = 1</bpmn:script></bpmn:scriptTask>\n"
            '    <bpmn:sequenceFlow id="f_late" sourceRef="Script_Late" targetRef="End" />',
        )
        .replace(
            "<bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>",
            "<bpmn:incoming>f_late</bpmn:incoming></bpmn:endEvent>",
        )
    )
    problems = _problems(tmp_path, xml)
    _at(problems, "f2", "reads 'amount'", "nothing sets")


def test_optional_names_helpers_and_platform_keys_are_known(tmp_path: Path) -> None:
    script = (
        "try:\n    use = project_type\nexcept NameError:\n    use = None\n"
        "due = working_days(3)\nwho = applicant\nn = len([x for x in range(3)])"
    )
    assert _problems(tmp_path, script_process("p", script)) == []


def test_a_script_name_typo_names_the_script_task_and_the_closest_name(tmp_path: Path) -> None:
    problems = _problems(tmp_path, script_process("p", "total = 1\nx = totl + 1"))
    _at(problems, "Script_Work", "reads 'totl'", "did you mean total?")


def test_candidate_groups_expression_names_are_checked(tmp_path: Path) -> None:
    xml = script_process("p", "agency = 'fire'").replace("&quot;window&quot;", "agencyy")
    _at(_problems(tmp_path, xml), "Task_Review", "property candidate_groups", "did you mean agency?")


def test_a_deployment_may_declare_more_helpers_and_start_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "p", script_process("p", "x = betsy_log(test)"))
    assert check_file(path)
    context = NameContext(platform_keys=frozenset({"test"}), helpers=HELPERS | {"betsy_log"})
    assert check_file(path, names=context) == []


# -- values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ('"P5WD"', "not a value the engine can read"),
        ("working_days(5)", "is a date and time, not a duration"),
        ('due_of("Task_Nowhere")', "fails on a sample date"),
    ],
)
def test_bad_timer_durations_are_refused(tmp_path: Path, expression: str, words: str) -> None:
    _at(_problems(tmp_path, timer_process("p", expression)), "Timer_Wait", words)


@pytest.mark.parametrize("expression", ['"P5D"', '"PT4H"', '"P1W"'])
def test_good_timer_durations_pass(tmp_path: Path, expression: str) -> None:
    assert _problems(tmp_path, timer_process("p", expression)) == []


def _cycle(tmp_path: Path, value: str) -> list[Problem]:
    xml = timer_process("p", value).replace("timeDuration", "timeCycle")
    return _problems(tmp_path, xml)


@pytest.mark.parametrize(
    ("value", "words"), [('"R/PT0S"', "without pause"), ('"R/PT0.5S"', "0.5 s"), ('"R/P1D"', "without end")]
)
def test_sub_second_and_endless_cycles_are_refused(tmp_path: Path, value: str, words: str) -> None:
    _at(_cycle(tmp_path, value), "Timer_Wait", words)


def test_a_counted_cycle_passes(tmp_path: Path) -> None:
    assert _cycle(tmp_path, '"R3/PT1H"') == []


def test_a_process_time_limit_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    xml = script_process("p", "x = 1").replace(
        'isExecutable="true">',
        'isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="time_limit" value="7 days" /></spiffworkflow:properties>'
        "</bpmn:extensionElements>",
        1,
    )
    _at(_problems(tmp_path, xml), "p", "time_limit '7 days'")


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("class A: pass", "class definitions"),
        ("x = max(*[1, 2])", "*args"),
        ("print(1)", "print()"),
        ('x = "第{}轮".format(1)', "str.format()"),
    ],
)
def test_scripts_the_sandbox_cannot_run_are_refused(tmp_path: Path, script: str, words: str) -> None:
    _at(
        _problems(tmp_path, script_process("p", script)),
        "Script_Work",
        words,
        "cannot run in the script sandbox",
    )


# -- declared properties: returnable_to --------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("Task_Nowhere", "no element of this process"),
        ("Gateway_Decision", "a exclusiveGateway"),
        ("Task_Supplement", "does not come before this task"),
    ],
)
def test_returnable_to_must_name_an_earlier_user_task(tmp_path: Path, target: str, words: str) -> None:
    def edit(root):  # type: ignore[no-untyped-def]
        by_id(root, "Task_Decision").xpath(".//*[local-name()='property'][@name='returnable_to']")[0].set(
            "value", target
        )

    result = load_copy(tmp_path, "construction_permit", edit)
    _at(
        [p for p in result.problems if "construction_permit" in p.file],
        "Task_Decision",
        "returnable_to",
        words,
    )
