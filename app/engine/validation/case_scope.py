"""Checks on a process run as a case, called processes included: what would leave the case and be lost
(uncaught errors and escalations, messages and signals nothing in the case sends or catches)."""

from __future__ import annotations

from typing import Any

from ..messages import Text
from .problems import NS, Problem, id_ref, local_name, owning_id

CATCHING_EVENTS = ("startEvent", "intermediateCatchEvent", "boundaryEvent")
THROWING_EVENTS = ("intermediateThrowEvent", "endEvent")


def check_case_scope(file: str, key: str, processes: dict[str, Any]) -> list[Problem]:
    """Checks on process ``key`` run as a case: what would leave the case and be lost.

    ``processes`` maps process ids to their ``bpmn:process`` elements (every loaded file), so that
    called processes count as part of the case.
    """
    top = processes.get(key)
    if top is None:
        return []
    scope = _case_processes(key, processes)
    problems = _uncaught_ends(file, key, top)
    gateways = {g.get("id") for el in scope for g in el.xpath(".//bpmn:eventBasedGateway", namespaces=NS)}
    after_gateway = {
        f.get("targetRef")
        for el in scope
        for f in el.xpath(".//bpmn:sequenceFlow", namespaces=NS)
        if f.get("sourceRef") in gateways
    }
    # Messages reach a case from outside (POST /messages) and go to other cases: only signals stay
    # inside the case.
    problems += _unmatched(file, "signal", scope, after_gateway)
    return problems


def _case_processes(key: str, processes: dict[str, Any]) -> list[Any]:
    """The process ``key`` and every process it calls, directly or not."""
    scope: list[Any] = []
    todo = [key]
    while todo:
        pid = todo.pop()
        el = processes.get(pid)
        if el is None or el in scope:
            continue
        scope.append(el)
        todo += [id_ref(c.get("calledElement")) for c in el.xpath(".//bpmn:callActivity", namespaces=NS)]
    return scope


def _uncaught_ends(file: str, key: str, top: Any) -> list[Problem]:
    problems: list[Problem] = []
    for kind in ("error", "escalation"):
        for end in top.xpath(f"./bpmn:endEvent[bpmn:{kind}EventDefinition]", namespaces=NS):
            problems.append(
                Problem(
                    file,
                    end.sourceline or 0,
                    owning_id(end),
                    Text(
                        "{kind} end event of process '{key}': nothing catches the {kind} when '{key}' runs "
                        "as a case, which would then end as if it had completed normally",
                        kind=kind,
                        key=key,
                    ),
                    Text(
                        "throw it inside a subprocess that has an {kind} boundary event, or end with a none "
                        "end event and set the property case_status",
                        kind=kind,
                    ),
                )
            )
    return problems


def _events_by_ref(kind: str, scope: list[Any], *, throwing: bool) -> dict[str, Any]:
    """The first element of the case throwing (or catching) each ``kind`` reference."""
    found: dict[str, Any] = {}
    for el in scope:
        for tag in THROWING_EVENTS if throwing else CATCHING_EVENTS:
            for d in el.xpath(f".//bpmn:{tag}/bpmn:{kind}EventDefinition", namespaces=NS):
                found.setdefault(id_ref(d.get(f"{kind}Ref")), d.getparent())
        if kind == "message":
            task = "sendTask" if throwing else "receiveTask"
            for t in el.xpath(f".//bpmn:{task}", namespaces=NS):
                found.setdefault(id_ref(t.get("messageRef")), t)
    return found


def _unmatched(file: str, kind: str, scope: list[Any], after_gateway: set[Any]) -> list[Problem]:
    """Waits for a ``kind`` nothing in the case sends, and ``kind``s thrown that nothing catches."""
    problems: list[Problem] = []
    caught = _events_by_ref(kind, scope, throwing=False)
    thrown = _events_by_ref(kind, scope, throwing=True)
    for ref, catcher in caught.items():
        waits = local_name(catcher.tag) in ("intermediateCatchEvent", "receiveTask")
        if waits and ref not in thrown and catcher.get("id") not in after_gateway:
            problems.append(
                Problem(
                    file,
                    catcher.sourceline or 0,
                    owning_id(catcher),
                    Text(
                        "waits for {kind} '{ref}', which nothing in the same case sends; PermitFlow has no "
                        "way to deliver a {kind} to a case, so it would wait forever",
                        kind=kind,
                        ref=ref,
                    ),
                    Text(
                        "use a user task for input from outside, or put a timer beside it behind an "
                        "event-based gateway"
                    ),
                )
            )
    for ref, thrower in thrown.items():
        if ref not in caught:
            problems.append(
                Problem(
                    file,
                    thrower.sourceline or 0,
                    owning_id(thrower),
                    Text(
                        "{kind} '{ref}' is thrown but nothing in the same case catches it; PermitFlow does "
                        "not deliver {kind}s between cases or processes",
                        kind=kind,
                        ref=ref,
                    ),
                    Text(
                        "catch the {kind} in this process (or a process it calls), or model the hand-over "
                        "as a call activity",
                        kind=kind,
                    ),
                )
            )
    return problems
