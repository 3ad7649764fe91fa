"""Reading and nudging a live workflow for simulation: moving timers and listing the gateway
branches a run took. Only simulation moves timers this way; cases never do."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.util.task import TaskState

# A due time far in the future never comes during a run.
FUTURE = "2999-01-01T00:00:00+00:00"
_LIVE = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _set_due(task: Any, when: str) -> None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # a cycle keeps {"cycles", "next", "duration"}
        task._set_internal_data(event_value={**value, "next": when})
    else:
        task._set_internal_data(event_value=when)


def _timer_tasks(workflow: Any) -> list[Any]:
    return [
        t
        for t in workflow.get_tasks(state=TaskState.WAITING)
        if isinstance(getattr(t.task_spec, "event_definition", None), timer_module.TimerEventDefinition)
        and t._get_internal_data("event_value") is not None
    ]


def _just_passed() -> str:
    """A moment ago by the clock the engine's timers read. Not long ago: a cycle fires once per
    period that has passed since its due time, so a due time years back would fire for years."""
    now = timer_module.datetime.now(UTC)
    return (now - timedelta(seconds=1)).isoformat()


def set_timers(workflow: Any, due_now: str | None) -> None:
    """The waiting timer with task id ``due_now`` due a moment ago and every other one far off,
    so the next engine step fires exactly that one whatever the wall clock says (None: all off)."""
    for task in _timer_tasks(workflow):
        _set_due(task, _just_passed() if str(task.id) == due_now else FUTURE)


def _ids_below(task: Any, depth: int = 3) -> set[str]:
    """The BPMN ids a branch starts with: the child itself, or (for SpiffWorkflow's own helper
    specs such as a boundary event split) the first tasks under it."""
    found: set[str] = set()
    bpmn_id = getattr(task.task_spec, "bpmn_id", None)
    if bpmn_id:
        found.add(str(bpmn_id))
    elif depth > 0:
        for child in task.children:
            found |= _ids_below(child, depth - 1)
    return found


def taken_branches(workflow: Any, gateways: set[str]) -> set[tuple[str, str]]:
    """(gateway id, target id) of every branch a finished or stopped run went down."""
    taken: set[tuple[str, str]] = set()
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        gid = getattr(task.task_spec, "bpmn_id", None)
        if gid not in gateways:
            continue
        for child in task.children:
            if child.state & _LIVE:
                taken |= {(str(gid), target) for target in _ids_below(child)}
    return taken


def waiting_elements(workflow: Any) -> list[str]:
    """Where a run that can go no further stands: the events it waits at (a message, a signal),
    else the last element it completed."""
    waiting = [
        str(t.task_spec.bpmn_id)
        for t in workflow.get_tasks(state=TaskState.WAITING)
        if getattr(t.task_spec, "bpmn_id", None)
    ]
    if waiting:
        return waiting
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if getattr(t.task_spec, "bpmn_id", None)]
    done.sort(key=lambda t: t.last_state_change)
    return [str(done[-1].task_spec.bpmn_id)] if done else []
