"""BPMN messages between the platform and a workflow: what a workflow waits for (message start,
intermediate catch and boundary events, receive tasks), what it threw that it does not catch itself
(send tasks, throw and end events), and delivering a message to it.

Correlation is the platform's, declared in the BPMN by the property ``correlation`` on the element
(key names, comma-separated, e.g. ``case_number`` or ``project_code,kind``): the platform resolves
what each key is for a case and routes a message to the cases whose keys match it.
"""

from __future__ import annotations

import weakref
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .errors import TaskNotReady
from .step_facts import plain, props
from .types import PAYLOADS_KEY, ThrownMessage, WaitingMessage
from .validation.problems import NS


def correlation_keys(task_spec: Any) -> tuple[str, ...]:
    """The correlation keys the element declares (property ``correlation``), in order."""
    return tuple(k.strip() for k in props(task_spec).get("correlation", "").split(",") if k.strip())


def _message_definitions(task: Any) -> list[tuple[MessageEventDefinition, Any]]:
    """The messages a waiting task catches, each with the element declaring its keys: the task
    itself, or for an event-based gateway the catch event after it."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MessageEventDefinition):
        return [(definition, task.task_spec)]
    if isinstance(definition, MultipleEventDefinition):
        # SpiffWorkflow moves the catch events' definitions onto the gateway, in the same order.
        outputs = list(getattr(task.task_spec, "outputs", []))
        inner = list(definition.event_definitions)
        return [
            (d, outputs[i] if len(outputs) == len(inner) else task.task_spec)
            for i, d in enumerate(inner)
            if isinstance(d, MessageEventDefinition)
        ]
    return []


MESSAGE_DEFINITIONS = (MessageEventDefinition, MultipleEventDefinition)
_CATCHES: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def catches_messages(workflow: BpmnWorkflow) -> bool:
    """Whether any element of the workflow's process or its subprocesses has a message event
    (catching or throwing: erring on the side of reading the waits); computed once per spec."""
    known = _CATCHES.get(workflow.spec)
    if known is None:
        specs = [workflow.spec, *workflow.subprocess_specs.values()]
        known = any(
            isinstance(getattr(t, "event_definition", None), MESSAGE_DEFINITIONS)
            for spec in specs
            for t in spec.task_specs.values()
        )
        _CATCHES[workflow.spec] = known
    return known


def _waiting_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return [t for t in workflow.get_tasks(state=TaskState.WAITING) if _message_definitions(t)]


def waiting_messages(workflow: BpmnWorkflow) -> list[WaitingMessage]:
    """Every message the workflow waits for now, with the keys that correlate it."""
    found = []
    for task in _waiting_tasks(workflow):
        spec = task.task_spec
        attached = None
        if task.parent is not None and type(task.parent.task_spec).__name__ == "BoundaryEventSplit":
            attached = next((s.task_spec.bpmn_id for s in task.parent.children if s is not task), None)
        for definition, declaring in _message_definitions(task):
            found.append(
                WaitingMessage(
                    task_id=str(task.id),
                    bpmn_id=declaring.bpmn_id,
                    name=definition.name,
                    keys=correlation_keys(declaring),
                    attached_to=attached,
                    interrupting=bool(getattr(spec, "cancel_activity", False)),
                )
            )
    return found


def thrown_messages(workflow: BpmnWorkflow) -> list[ThrownMessage]:
    """Messages thrown in the step that nothing in the workflow caught: the platform delivers them."""
    keys_by_name: dict[str, tuple[str, ...]] = {}
    for spec in [workflow.spec, *workflow.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition):
                keys_by_name.setdefault(definition.name, correlation_keys(task_spec))
    return [
        ThrownMessage(
            name=event.event_definition.name,
            payload=plain(event.payload) if isinstance(event.payload, dict) else {},
            keys=keys_by_name.get(event.event_definition.name, ()),
        )
        for event in workflow.get_events()
        if isinstance(event.event_definition, MessageEventDefinition)
    ]


def catch(
    workflow: BpmnWorkflow,
    name: str,
    payload: dict[str, Any],
    task_id: str | None = None,
    *,
    keep: bool = False,
) -> str:
    """Deliver message ``name`` to the waiting task ``task_id`` (any waiting for it when None);
    returns the BPMN id of the element that caught it. Raises TaskNotReady when none waits.

    With ``keep``, a non-empty ``payload`` (the platform validated it against the element's
    schema) is kept in the case data at ``messages[name]``, the last one of that name replacing
    the one before; nothing else of the data changes."""
    waiting = [
        (t, d)
        for t in _waiting_tasks(workflow)
        for d, _declaring in _message_definitions(t)
        if d.name == name and (task_id is None or str(t.id) == task_id)
    ]
    if not waiting:
        raise TaskNotReady(f"the case does not wait for the message '{name}'")
    task, definition = waiting[0]
    try:
        task.task_spec.catch(task, BpmnEvent(definition, payload=dict(payload)))
        task.task_spec._update(task)
    except SpiffWorkflowException as err:
        raise TaskNotReady(str(err)) from err
    if keep and payload:
        # After the update: the task has inherited its parent's data, and what it holds when it
        # runs is what the tasks after it inherit.
        kept = task.data.get(PAYLOADS_KEY)
        task.data[PAYLOADS_KEY] = {**(kept if isinstance(kept, dict) else {}), name: dict(payload)}
    return str(task.task_spec.bpmn_id)


def step_notices(workflow: BpmnWorkflow, done_before: set[Any]) -> list[dict[str, str]]:
    """Events completed in this step with the property ``notify_group``: the members of that group
    are told (``notify_title`` / ``notify_title_en``, plain text)."""
    found = []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        p = props(task.task_spec)
        if task.id in done_before or not p.get("notify_group"):
            continue
        title = p.get("notify_title") or task.task_spec.bpmn_name or task.task_spec.bpmn_id
        title_en = p.get("notify_title_en") or title
        found.append({"group": p["notify_group"].strip(), "title": title, "title_en": title_en})
    return found


def start_message(process_el: Any, start_el: Any) -> str | None:
    """The name of the message ``start_el`` catches, if it is a message start event."""
    refs = start_el.xpath("./bpmn:messageEventDefinition/@messageRef", namespaces=NS)
    if not refs:
        return None
    ref = str(refs[0]).split(":")[-1]
    names = process_el.getroottree().getroot().xpath(f"./bpmn:message[@id='{ref}']/@name", namespaces=NS)
    return str(names[0]) if names else ref
