"""Driving one workflow in memory the way the runtime drives a case, without saving state after
each step: simulation only serializes where a path branches (saving and loading a workflow cost
more than running its step), and reads the live workflow everywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .. import signing
from ..errors import EngineError, ScriptRefused
from ..runtime import Helpers, Runtime, engine_error, unexpected_error
from ..specs import dump_state, load_state
from ..step_facts import case_data, pending_timers
from ..types import PendingTimer, ReadyTask, SpecSource
from .workflow_state import set_timers


@dataclass
class Live:
    """A workflow between two steps, with what the runtime would report about it."""

    workflow: BpmnWorkflow
    helpers: Helpers
    error: EngineError | None = None
    ready: list[ReadyTask] | None = None
    timers: list[PendingTimer] | None = None

    @property
    def finished(self) -> bool:
        return bool(self.workflow.is_completed())

    def end_status(self) -> str | None:
        for task in self.workflow.get_tasks(state=TaskState.COMPLETED):
            props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
            if task.workflow is self.workflow and "case_status" in props:
                return str(props["case_status"])
        return None

    def data(self) -> dict[str, Any]:
        return case_data(self.workflow)


class Driver:
    def __init__(self, runtime: Runtime, source: SpecSource) -> None:
        self.runtime, self.source = runtime, source
        self.specs = runtime.specs.get(source.hash, source.spec_json)

    def start(self, data: dict[str, Any], helpers: Helpers) -> Live:
        workflow = BpmnWorkflow(*self.specs)
        workflow.task_tree.data.update(data)
        return self._advance(Live(workflow, helpers))

    def snapshot(self, live: Live) -> str:
        return dump_state(live.workflow)

    def restore(self, state: str, helpers: Helpers) -> Live:
        live = Live(load_state(state, *self.specs), helpers)
        return self._facts(live, self.runtime._attach(live.workflow, helpers))

    def complete(self, live: Live, task_id: str, data: dict[str, Any]) -> Live:
        task = live.workflow.get_task_from_id(UUID(task_id))
        try:
            task.task_spec.add_data_from_form(task, data)
            signing.prepare(task)
            task.run()
        except SpiffWorkflowException as err:
            live.error = engine_error(err)
            return live
        return self._advance(live)

    def fire(self, live: Live, task_id: str) -> Live:
        """Fire the waiting timer ``task_id`` now (its due time moved to a moment ago)."""
        set_timers(live.workflow, task_id)
        live = self._advance(live)
        set_timers(live.workflow, None)  # a cycle's next time counts from the moved one
        live.timers = pending_timers(live.workflow)
        return live

    def _advance(self, live: Live) -> Live:
        workflow = live.workflow
        engine = self.runtime._attach(workflow, live.helpers)
        done_before = {t.id for t in workflow.get_tasks(state=TaskState.COMPLETED)}
        try:
            workflow.refresh_timers()
            workflow.do_engine_steps()
        except (SpiffWorkflowException, ScriptRefused) as err:
            live.error = engine_error(err)
        except Exception as err:  # noqa: BLE001 - whatever a case would put in error, a path reports
            live.error = unexpected_error(workflow, err)
        if live.error is None:
            self._facts(live, engine)
            try:
                self.runtime._credit_deductions(workflow, done_before, engine)
            except EngineError as err:
                live.error = err
        return live

    def _facts(self, live: Live, engine: Any) -> Live:
        """Ready tasks with their properties evaluated (as the runtime does for every case)."""
        try:
            live.ready = [
                self.runtime._ready(t, self.source, engine)
                for t in live.workflow.get_tasks(state=TaskState.READY, manual=True)
            ]
        except EngineError as err:
            live.error = err
        live.timers = pending_timers(live.workflow)
        return live
