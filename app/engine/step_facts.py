"""Facts of a workflow after a step that the platform mirrors: its waiting timers and the case
data as a person would read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .types import PendingTimer


def props(task_spec: Any) -> dict[str, str]:
    ext = getattr(task_spec, "extensions", None) or {}
    return ext.get("properties", {}) or {}


def pending_timers(workflow: BpmnWorkflow) -> list[PendingTimer]:
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        if not isinstance(definition, timer_module.TimerEventDefinition):
            continue
        due = timer_due(task._get_internal_data("event_value"))
        if due is None:
            continue
        attached = None
        if task.parent is not None and type(task.parent.task_spec).__name__ == "BoundaryEventSplit":
            # A boundary event's siblings under the split: the activity it is attached to.
            attached = next(
                (str(s.id) for s in task.parent.children if s is not task and s.task_spec.manual), None
            )
        timers.append(
            PendingTimer(
                task_id=str(task.id),
                bpmn_id=spec.bpmn_id,
                name=spec.bpmn_name or spec.bpmn_id,
                due_at=due,
                attached_to=attached,
                interrupting=bool(getattr(spec, "cancel_activity", False)),
                properties=dict(props(spec)),
            )
        )
    return timers


def timer_due(value: Any) -> datetime | None:
    if isinstance(value, dict):  # cycle timers keep {"cycles", "next", "duration"}
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        parsed = timer_module.TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
    return datetime.fromisoformat(parsed.isoformat()).astimezone(UTC)


def case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case's data as a person would read it: the latest data along every live branch."""
    data: dict[str, Any] = {}
    if workflow.last_task is not None:
        data.update(workflow.last_task.data)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        data.update(task.data)
    if workflow.is_completed():
        ends = [
            t
            for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if t.workflow is workflow and not t.children
        ]
        for task in ends:
            data.update(task.data)
    return plain(data)


def plain(value: Any) -> Any:
    """JSON-safe copy of task data (scripts may leave sets, dates, …)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
