"""The mistakes of issue 14, each made the way an analyst makes it: one edit of a shipped process.

Each names the process, the edit (on its lxml tree), the drawn element the problem must name and
words the problem must hold. The engine, API, editor and CLI tests all use this one list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from app.engine.validation.problems import NS
from tests.engine.shipped_copy import PROCESSES, by_id, delete

BPMN = NS["bpmn"]


@dataclass(frozen=True)
class Mistake:
    name: str
    key: str
    edit: Callable[[Any], None]
    element_id: str
    words: tuple[str, ...]

    def xml(self) -> str:
        """The shipped file with the mistake made, as the editor would send it."""
        tree = etree.parse(str(PROCESSES / f"{self.key}.bpmn"))
        self.edit(tree.getroot())
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode("utf-8")

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.key}.bpmn"
        path.write_text(self.xml(), encoding="utf-8")
        return path


def _condition(flow_id: str, text: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        by_id(root, flow_id).xpath("./bpmn:conditionExpression", namespaces=NS)[0].text = text

    return edit


def _timer(event_id: str, kind: str, text: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        definition = by_id(root, event_id).xpath("./bpmn:timerEventDefinition", namespaces=NS)[0]
        for child in list(definition):
            definition.remove(child)
        etree.SubElement(definition, f"{{{BPMN}}}{kind}").text = text

    return edit


def _script(task_id: str, text: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        by_id(root, task_id).xpath("./bpmn:script", namespaces=NS)[0].text = text

    return edit


def _attribute(element_id: str, name: str, value: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        by_id(root, element_id).set(name, value)

    return edit


def _form(task_id: str, form: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        by_id(root, task_id).xpath(
            ".//spiffworkflow:property[@name='formJsonSchemaFilename']", namespaces=NS
        )[0].set("value", form)

    return edit


def _orphan_task(root: Any) -> None:
    """A user task drawn in the construction bureau's lane, leading to the end, that nothing leads to."""
    process = root.xpath("./bpmn:process", namespaces=NS)[0]
    task = etree.SubElement(process, f"{{{BPMN}}}userTask", id="Task_Orphan", name="复核")
    etree.SubElement(task, f"{{{BPMN}}}outgoing").text = "Flow_Orphan_End"
    etree.SubElement(
        process,
        f"{{{BPMN}}}sequenceFlow",
        id="Flow_Orphan_End",
        sourceRef="Task_Orphan",
        targetRef="EndEvent_Approved",
    )
    lane = by_id(root, "Lane_Construction")
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "Task_Orphan"


def _self_signal(root: Any) -> None:
    """The review round throws `round_aborted` itself, caught by an interrupting boundary event on it."""
    first = root.xpath("./bpmn:process", namespaces=NS)[0]
    signal = etree.Element(f"{{{BPMN}}}signal", id="Signal_Abort", name="round_aborted")
    first.addprevious(signal)
    sub = by_id(root, "SubProcess_ReviewRound")
    start_flow = sub.xpath("./bpmn:sequenceFlow", namespaces=NS)[0]
    throw = etree.SubElement(sub, f"{{{BPMN}}}intermediateThrowEvent", id="Throw_Abort", name="中止本轮")
    etree.SubElement(throw, f"{{{BPMN}}}incoming").text = "Flow_To_Abort"
    etree.SubElement(throw, f"{{{BPMN}}}outgoing").text = "Flow_From_Abort"
    etree.SubElement(throw, f"{{{BPMN}}}signalEventDefinition", signalRef="Signal_Abort")
    # Put the throw on the round's first flow: start → throw → what the flow led to.
    target = start_flow.get("targetRef")
    start_flow.set("targetRef", "Throw_Abort")
    etree.SubElement(
        sub, f"{{{BPMN}}}sequenceFlow", id="Flow_From_Abort", sourceRef="Throw_Abort", targetRef=target
    )
    process = sub.getparent()
    boundary = etree.SubElement(
        process, f"{{{BPMN}}}boundaryEvent", id="Boundary_Abort", name="本轮中止", attachedToRef=sub.get("id")
    )
    etree.SubElement(boundary, f"{{{BPMN}}}outgoing").text = "Flow_Abort_End"
    etree.SubElement(boundary, f"{{{BPMN}}}signalEventDefinition", signalRef="Signal_Abort")
    etree.SubElement(process, f"{{{BPMN}}}endEvent", id="End_Aborted", name="已中止")
    etree.SubElement(
        process,
        f"{{{BPMN}}}sequenceFlow",
        id="Flow_Abort_End",
        sourceRef="Boundary_Abort",
        targetRef="End_Aborted",
    )


MISTAKES = [
    Mistake(
        "deleted_approve_flow",
        "construction_permit",
        lambda root: delete(root, "Flow_Decision_Approve"),
        "Gateway_CoSignNeeded",
        ("no incoming sequence flow",),
    ),
    Mistake(
        "deleted_review_passed_flow",
        "construction_permit",
        lambda root: delete(root, "Flow_Review_Approved"),
        "Task_Decision",
        ("never runs",),
    ),
    Mistake(
        "deleted_issue_flow",
        "construction_permit",
        lambda root: delete(root, "Flow_Held_Issue"),
        "Gateway_Held",
        ("single outgoing flow", "default flow"),
    ),
    Mistake(
        "deleted_decision_task",
        "construction_permit",
        lambda root: delete(root, "Gateway_DecisionMerge", "Task_Decision"),
        "Gateway_ReviewOutcome",
        ("single outgoing flow",),
    ),
    Mistake(
        "undefined_name",
        "construction_permit",
        _condition("Flow_Review_Rejected", 'review_result == "rejected"'),
        "Flow_Review_Rejected",
        ("'review_result'", "did you mean review_outcome?"),
    ),
    Mistake(
        "bad_duration",
        "complaint_handling",
        _timer("Timer_Rating", "timeDuration", '"P5WD"'),
        "Timer_Rating",
        ("P5WD", "not a value the engine can read", '"P5D"'),
    ),
    Mistake(
        "task_without_incoming_flow",
        "construction_permit",
        _orphan_task,
        "Task_Orphan",
        ("no incoming sequence flow", "never runs"),
    ),
    Mistake(
        "class_in_script",
        "construction_permit",
        _script("Script_Init", "class A: pass"),
        "Script_Init",
        ("class definitions are not supported",),
    ),
    Mistake(
        "star_args_call",
        "construction_permit",
        _script("Script_Init", "correction_rounds = max(*[0, 0])\ndeficient = False\nmissing_documents = []"),
        "Script_Init",
        ("*args", "max(v)"),
    ),
    Mistake(
        "endless_zero_cycle",
        "complaint_handling",
        _timer("Timer_Rating", "timeCycle", '"R/PT0S"'),
        "Timer_Rating",
        ("R/PT0S", "without pause"),
    ),
    Mistake(
        "flow_to_nothing",
        "construction_permit",
        _attribute("Flow_Decision_Approve", "targetRef", "Task_Deleted"),
        "Flow_Decision_Approve",
        ("targetRef='Task_Deleted' names nothing", "connect both ends"),
    ),
    Mistake(
        "missing_form",
        "construction_permit",
        _form("Task_Decision", "no_such_form.schema.json"),
        "Task_Decision",
        ("no_such_form.schema.json", "not found"),
    ),
    Mistake(
        "signal_boundary_on_its_own_thrower",
        "parallel_review",
        _self_signal,
        "Boundary_Abort",
        ("throws this signal itself",),
    ),
]
