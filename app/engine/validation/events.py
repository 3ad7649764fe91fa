"""Events the engine ignores or runs differently from BPMN: global event definitions, error and
escalation boundaries on plain tasks, signal end events, triggered start events, event subprocesses,
and the id `Start` it reserves."""

from __future__ import annotations

from typing import Any

from ..messages import Text
from .flows import ACTIVITY_TAGS
from .problems import NS, Report, id_ref, local_name

EVENT_DEFINITIONS = (
    "messageEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "timerEventDefinition",
    "conditionalEventDefinition",
    "compensateEventDefinition",
    "cancelEventDefinition",
    "linkEventDefinition",
    "terminateEventDefinition",
)


def check_events(root: Any, add: Report) -> None:
    """Every event check, in the order the problems are reported."""
    for el in root.xpath("//bpmn:*[bpmn:eventDefinitionRef]", namespaces=NS):
        add(
            el,
            Text("global event definitions (eventDefinitionRef) are ignored by the engine"),
            Text("put the event definition (e.g. errorEventDefinition with errorRef) inside the event"),
        )
    _check_boundaries(root, add)
    for el in root.xpath("//bpmn:endEvent[bpmn:signalEventDefinition]", namespaces=NS):
        add(
            el,
            Text("signal end events are not run correctly by the engine"),
            Text("throw the signal with an intermediate throw event, then end with a none end event"),
        )
    _check_start_events(root, add)
    for sub in root.xpath("//bpmn:subProcess[@triggeredByEvent='true']", namespaces=NS):
        for start in sub.xpath("./bpmn:startEvent", namespaces=NS):
            _check_event_subprocess_start(start, add)
    # The engine names its own start task `Start`: a BPMN element with that id breaks parsing.
    for el in root.xpath("//bpmn:process//*[@id='Start']", namespaces=NS):
        if local_name(el.tag) not in ("sequenceFlow", "lane", "laneSet"):
            add(
                el,
                Text("the id 'Start' is reserved by the engine"),
                Text('rename it, e.g. id="StartEvent_1"'),
            )


def _definitions(event: Any) -> list[str]:
    return [local_name(d.tag) for d in event if local_name(d.tag) in EVENT_DEFINITIONS]


def _check_boundaries(root: Any, add: Report) -> None:
    activities = {
        el.get("id"): local_name(el.tag)
        for tag in ACTIVITY_TAGS
        for el in root.iter(f"{{{NS['bpmn']}}}{tag}")
    }
    for kind in ("error", "escalation"):
        for el in root.xpath(f"//bpmn:boundaryEvent[bpmn:{kind}EventDefinition]", namespaces=NS):
            attached = activities.get(id_ref(el.get("attachedToRef")))
            if attached and attached not in ("subProcess", "callActivity", "transaction"):
                add(
                    el,
                    Text(
                        "{kind} boundary event on a {attached} never fires: in this engine only subprocesses "
                        "and called processes throw {kind}s (a failing script stops the case instead)",
                        kind=kind,
                        attached=attached,
                    ),
                    Text(
                        "put the {attached} in a subprocess that ends with an {kind} end event where it "
                        "fails, and attach the boundary event to the subprocess",
                        kind=kind,
                        attached=attached,
                    ),
                )


def _check_start_events(root: Any, add: Report) -> None:
    for el in root.xpath("//bpmn:startEvent", namespaces=NS):
        kinds = _definitions(el)
        if not kinds or el.getparent().get("triggeredByEvent") == "true":
            continue
        if kinds == ["messageEventDefinition"] and local_name(el.getparent().tag) == "process":
            # A message start event: a case starts when the message arrives (POST /messages, or
            # another case throwing it); it must be the process's only way to start.
            starts = el.getparent().xpath("./bpmn:startEvent", namespaces=NS)
            if len(starts) == 1:
                continue
            add(
                el,
                Text("a process with a message start event may have no other start event"),
                Text("split it into two processes, or start from the message only"),
            )
            continue
        kind = kinds[0].replace("EventDefinition", "")
        add(
            el,
            Text(
                "{kind} start events are never triggered: cases start from a none start event (POST /cases)"
                " or a message start event (POST /messages)",
                kind=kind,
            ),
            Text("use a none start event; the start form's data becomes the case data"),
        )
    for el in root.xpath("//bpmn:correlationKey | //bpmn:correlationProperty", namespaces=NS):
        add(
            el,
            Text("BPMN correlation keys and properties are not how PermitFlow correlates messages"),
            Text(
                "remove them and declare the keys on each message element with the property "
                "correlation (e.g. case_number or project_code)"
            ),
        )


def _check_event_subprocess_start(start: Any, add: Report) -> None:
    kinds = _definitions(start)
    bad = [k for k in kinds if k in ("errorEventDefinition", "escalationEventDefinition")]
    if bad or "compensateEventDefinition" in kinds:
        kind = bad[0].replace("EventDefinition", "") if bad else "compensation"
        add(
            start,
            Text("{kind} start events of event subprocesses are not run correctly by the engine", kind=kind),
            Text("catch the {kind} with a boundary event on a subprocess around the activities", kind=kind),
        )
    elif start.get("isInterrupting", "true").strip().lower() != "false":
        add(
            start,
            Text(
                "interrupting event subprocess: the engine ignores isInterrupting and does not cancel "
                "the enclosing process"
            ),
            Text(
                'set isInterrupting="false" if the main flow must go on, or put the activities in a '
                "subprocess with an interrupting boundary event"
            ),
        )
    elif kinds != ["timerEventDefinition"]:
        kind = kinds[0].replace("EventDefinition", "") if kinds else "none"
        add(
            start,
            Text(
                "{kind} start events of event subprocesses are not triggered reliably by the engine",
                kind=kind,
            ),
            Text("use a boundary event on a subprocess, or a non-interrupting timer start"),
        )
