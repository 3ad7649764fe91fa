"""The ``returnable_to`` property (退回): the earlier user tasks a task may send the case back to.

Each id must name a user task of the same process that comes before this task on some path;
otherwise a reviewer's return fails at run time (unknown step) or sends the case forward.
"""

from __future__ import annotations

from typing import Any

from ..messages import Text
from .problems import NS, Problem, id_ref, local_name

HUMAN_TAGS = ("userTask", "manualTask")
SCOPES = ("subProcess", "transaction")


def check_returns(file: str, process: Any) -> list[Problem]:
    """Problems of every ``returnable_to`` property in ``process`` (its subprocesses included)."""
    problems: list[Problem] = []
    elements = {str(el.get("id")): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    successors = _successors(process, elements)
    for prop in process.xpath(".//spiffworkflow:property[@name='returnable_to']", namespaces=NS):
        task = prop.getparent().getparent().getparent()
        task_id = str(task.get("id"))
        for target in [t.strip() for t in (prop.get("value") or "").split(",") if t.strip()]:
            message = _refusal(target, task_id, elements, successors)
            if message:
                problems.append(
                    Problem(
                        file,
                        task.sourceline or 0,
                        task_id,
                        message,
                        Text(
                            "returnable_to lists ids of user tasks that come before this task, "
                            "e.g. Task_Acceptance"
                        ),
                    )
                )
    return problems


def _refusal(
    target: str, task_id: str, elements: dict[str, Any], successors: dict[str, set[str]]
) -> Text | None:
    el = elements.get(target)
    if el is None:
        return Text("returnable_to names '{target}', which is no element of this process", target=target)
    if local_name(el.tag) not in HUMAN_TAGS:
        return Text(
            "returnable_to names '{target}', a {kind}: a case can only go back to a user task",
            target=target,
            kind=local_name(el.tag),
        )
    if target == task_id or task_id not in _reachable(target, successors):
        return Text(
            "returnable_to names '{target}', which does not come before this task on any path", target=target
        )
    return None


def _successors(process: Any, elements: dict[str, Any]) -> dict[str, set[str]]:
    """Where the flow may go next from each element: its flows, its boundary events, into a
    subprocess (its first nodes) and out of it (its successors)."""
    nexts: dict[str, set[str]] = {}
    for flow in process.iter(f"{{{NS['bpmn']}}}sequenceFlow"):
        nexts.setdefault(id_ref(flow.get("sourceRef")), set()).add(id_ref(flow.get("targetRef")))
    for el in process.iter(f"{{{NS['bpmn']}}}boundaryEvent"):
        nexts.setdefault(id_ref(el.get("attachedToRef")), set()).add(str(el.get("id")))
    for el_id, el in elements.items():
        if local_name(el.tag) in SCOPES:
            inner = {str(c.get("id")) for c in el if isinstance(c.tag, str) and c.get("id")}
            nexts.setdefault(el_id, set()).update(inner)
            for child in inner:
                nexts.setdefault(child, set()).update(nexts.get(el_id, set()) - inner)
    return nexts


def _reachable(start: str, successors: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(successors.get(start, set()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo += successors.get(node, set())
    return seen
