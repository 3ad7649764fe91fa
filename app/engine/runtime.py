"""Running workflows: start, complete a task, fire due timers. Plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import message_events, signing
from .error_mapping import engine_error as _engine_error
from .error_mapping import unexpected_error as _unexpected_error
from .errors import EngineError, ScriptRefused, TaskNotReady
from .messages import Text, marked
from .migration import MigrationPlan, MigrationRefused, move, plan_migration
from .sandbox import SandboxEnvironment
from .specs import SpecCache, dump_state, load_state
from .step_facts import case_data, pending_timers, plain
from .types import ReadyTask, SpecSource, StepResult

_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


_UNSAVABLE = marked("the case's data cannot be saved after this step: {why}")


class _EngineDatetime(datetime):
    """SpiffWorkflow's timer module asks `datetime.now()`; answer from the platform's clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _EngineDatetime:  # type: ignore[override]
        current = _clock()
        value = current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)
        return _Now.fromisoformat(value.isoformat())


class _Now(_EngineDatetime):
    """The engine clock's reading. SpiffWorkflow fires a timer when ``due < now``, while the
    platform's timer rows are due when ``due_at <= now`` (the wake-up job, the sweep): at exactly
    its due time a BPMN timer would not go off, though the sweep picked it and an SLA timer due at
    the same moment does. Python asks the right operand first when its type is a subclass of the
    left's, so ``due < now`` lands here, and a timer goes off at its due time itself."""

    def __gt__(self, other: object) -> bool:
        return datetime.__ge__(self, other)  # type: ignore[operator]


def set_clock(clock: Callable[[], datetime]) -> None:
    """Make SpiffWorkflow's timers read ``clock`` (timezone-aware UTC) instead of the wall clock.

    SpiffWorkflow reads the time through its timer module's ``datetime``: the one way in is to
    replace that name, which happens when a Runtime is built (never at import), with the one
    clock of the platform (``app.clock.now``), so every runtime of a process shares it."""
    global _clock
    _clock = clock
    timer_module.datetime = _EngineDatetime  # type: ignore[misc]


Helpers = Mapping[str, Callable[..., Any]]


def _time_limit_of(workflow: BpmnWorkflow, bpmn_id: str) -> str:
    for spec in [workflow.spec, *workflow.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == bpmn_id:
                limit = _props(task_spec).get("time_limit")
                if not limit:
                    raise ScriptRefused(f"due_of('{bpmn_id}'): that task has no time_limit property")
                return limit
    raise ScriptRefused(f"due_of('{bpmn_id}'): no task with that id in this process")


class Runtime:
    """Runs workflows of deployed specs inside the script sandbox.

    ``helpers`` are the functions process code may always call; each operation may add more for
    that one step (``step_helpers``: e.g. helpers that read the caller's database session).
    If the helpers have ``due_in(limit)`` (the due time of a time limit such as `5wd` started
    now), process code also gets ``due_of("Task_Id")``: the due time of that task's own
    `time_limit`, e.g. for a boundary timer that fires exactly when its task is overdue.
    """

    def __init__(
        self,
        helpers: Helpers,
        script_time_budget: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if clock is not None:
            set_clock(clock)
        self.helpers = dict(helpers)
        self.script_time_budget = script_time_budget
        self.specs = SpecCache()

    # -- public operations ------------------------------------------------------------------

    def start(
        self,
        source: SpecSource,
        data: dict[str, Any],
        step_helpers: Helpers | None = None,
        message: str | None = None,
    ) -> StepResult:
        """Create a workflow with ``data`` as its start data and run it to its first wait; with
        ``message``, its message start event catches that message (``data`` as its payload)."""
        spec, subs = self.specs.get(source.hash, source.spec_json)
        workflow = BpmnWorkflow(spec, subs)
        engine = self._attach(workflow, step_helpers)
        workflow.task_tree.data.update(data)
        if message is not None:
            workflow.do_engine_steps()  # to the message start event, which waits
            message_events.catch(workflow, message, data)
        return self._advance(workflow, source, engine)

    def deliver(
        self,
        source: SpecSource,
        state: str,
        message: tuple[str, str, dict[str, Any]],
        step_helpers: Helpers | None = None,
    ) -> StepResult:
        """Deliver ``message`` (name, waiting task id, payload) to the workflow and run on; the
        payload (validated by the caller) is kept at ``messages[name]`` of the case data."""
        workflow, engine = self._load(source, state, step_helpers)
        name, task_id, payload = message
        message_events.catch(workflow, name, payload, task_id, keep=True)
        return self._advance(workflow, source, engine)

    def complete(
        self,
        source: SpecSource,
        state: str,
        task_id: str,
        data: dict[str, Any],
        step_helpers: Helpers | None = None,
    ) -> StepResult:
        """Complete the ready user task ``task_id`` with ``data`` and run on."""
        workflow, engine = self._load(source, state, step_helpers)
        task = self._ready_task(workflow, task_id)
        completed = {"id": task_id, "bpmn_id": task.task_spec.bpmn_id}
        try:
            task.task_spec.add_data_from_form(task, data)
            signing.prepare(task)
            task.run()
        except SpiffWorkflowException as err:
            raise _engine_error(err) from err
        result = self._advance(workflow, source, engine)
        result.completed_task = completed
        return result

    def fire_due_timers(
        self, source: SpecSource, state: str, step_helpers: Helpers | None = None
    ) -> StepResult:
        """Fire every BPMN timer that is due by the engine clock and run on."""
        workflow, engine = self._load(source, state, step_helpers)
        return self._advance(workflow, source, engine)

    def plan_migration(self, old: SpecSource, new: SpecSource, state: str) -> MigrationPlan:
        """Whether the workflow in ``state`` can move from version ``old`` to ``new`` (runs nothing)."""
        return plan_migration(old, new, state, self.specs)

    def migrate(
        self, old: SpecSource, new: SpecSource, state: str, step_helpers: Helpers | None = None
    ) -> StepResult:
        """Move the workflow in ``state`` from version ``old`` to ``new`` and run on.

        Raises ``MigrationRefused`` (nothing is changed) when the move is not possible.
        """
        workflow, engine = self._load(old, state, step_helpers)
        new_spec, new_subs = self.specs.get(new.hash, new.spec_json)
        plan = move(workflow, new_spec, new_subs)
        if not plan.possible:
            raise MigrationRefused(plan.reason or "the case cannot move to this version")
        return self._advance(workflow, new, engine)

    def reset_to(
        self, source: SpecSource, state: str, task_id: str, step_helpers: Helpers | None = None
    ) -> StepResult:
        """Send the workflow back to the completed user task ``task_id`` (退回, recall): it is ready
        again, with the data it had, and what followed it is undone; then run on."""
        workflow, engine = self._load(source, state, step_helpers)
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, WorkflowException):
            task = None
        if task is None or task.state != TaskState.COMPLETED or not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not a completed step of this case")
        try:
            workflow.reset_from_task_id(task.id)
        except SpiffWorkflowException as err:
            raise _engine_error(err) from err
        return self._advance(workflow, source, engine)

    def task_data(self, source: SpecSource, state: str, task_id: str) -> dict[str, Any]:
        """The data a ready task sees (for showing a performer its case)."""
        workflow, _engine = self._load(source, state, None)
        return plain(self._ready_task(workflow, task_id).data)

    # -- internals ---------------------------------------------------------------------------

    def _load(
        self, source: SpecSource, state: str, step_helpers: Helpers | None
    ) -> tuple[BpmnWorkflow, PythonScriptEngine]:
        spec, subs = self.specs.get(source.hash, source.spec_json)
        workflow = load_state(state, spec, subs)
        return workflow, self._attach(workflow, step_helpers)

    def _attach(self, workflow: BpmnWorkflow, step_helpers: Helpers | None) -> PythonScriptEngine:
        """Give ``workflow`` a sandboxed script engine with this step's helpers. Always set: a
        deserialized or new workflow carries SpiffWorkflow's unrestricted default engine."""
        helpers = {**self.helpers, **(step_helpers or {})}
        if "due_in" in helpers and "due_of" not in helpers:
            due_in = helpers["due_in"]
            helpers["due_of"] = lambda bpmn_id: due_in(_time_limit_of(workflow, str(bpmn_id)))
        engine = PythonScriptEngine(environment=SandboxEnvironment(helpers, self.script_time_budget))
        workflow.script_engine = engine
        return engine

    @staticmethod
    def _ready_task(workflow: BpmnWorkflow, task_id: str) -> Any:
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, WorkflowException):
            task = None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not ready in this case")
        return task

    def _advance(self, workflow: BpmnWorkflow, source: SpecSource, engine: PythonScriptEngine) -> StepResult:
        error: EngineError | None = None
        done_before = {t.id for t in workflow.get_tasks(state=TaskState.COMPLETED)}
        try:
            # SpiffWorkflow fires due timers only when asked, and do_engine_steps checks them last.
            workflow.refresh_timers()
            workflow.do_engine_steps()
        except (SpiffWorkflowException, ScriptRefused) as err:
            error = _engine_error(err)
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises bare Exception (timer values)
            # Whatever the engine raises puts the case in error at the task it was running, never a 500.
            error = _unexpected_error(workflow, err)
        result = self._result(workflow, source, error, engine)
        if error is None:
            try:
                result.credit_deductions = self._credit_deductions(workflow, done_before, engine)
            except EngineError as err:
                result.error = err
            result.messages_thrown = message_events.thrown_messages(workflow)
            result.notices = message_events.step_notices(workflow, done_before)
        result.messages_waiting = message_events.waiting_messages(workflow)
        result.catches_messages = message_events.catches_messages(workflow)
        return result

    def _result(
        self,
        workflow: BpmnWorkflow,
        source: SpecSource,
        error: EngineError | None,
        engine: PythonScriptEngine,
    ) -> StepResult:
        ready = [
            self._ready(t, source, engine) for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        ]
        timers = pending_timers(workflow)
        finished = workflow.is_completed()
        end_status = None
        end_properties: dict[str, str] = {}
        if finished:
            for task in workflow.get_tasks(state=TaskState.COMPLETED):
                if task.workflow is workflow and "case_status" in _props(task.task_spec):
                    end_properties = dict(_props(task.task_spec))
                    end_status = end_properties["case_status"]
        try:
            state, data = dump_state(workflow), case_data(workflow)
        except (TypeError, ValueError, RecursionError) as err:
            # Scripts are checked (script_values) and run on copies; what still cannot be saved
            # refuses the step (a 4xx, the case as it was) instead of a 500 or a job failing.
            raise EngineError(Text(_UNSAVABLE, why=str(err)[:200])) from None
        return StepResult(
            state=state,
            ready=ready,
            timers=timers,
            finished=finished,
            end_status=end_status,
            end_properties=end_properties,
            data=data,
            error=error,
        )

    def _credit_deductions(
        self, workflow: BpmnWorkflow, done_before: set[Any], engine: PythonScriptEngine
    ) -> list[dict[str, Any]]:
        """Events completed in this step with the property `credit_deduction` (points, an expression)
        and `credit_of` (the company's credit code, an expression); `credit_reason` is text."""
        found = []
        for task in workflow.get_tasks(state=TaskState.COMPLETED):
            props = _props(task.task_spec)
            if task.id in done_before or not props.get("credit_deduction") or not props.get("credit_of"):
                continue
            points = _evaluate(engine, task, props["credit_deduction"])
            code = _evaluate(engine, task, props["credit_of"])
            if not code or not isinstance(points, int) or isinstance(points, bool) or points <= 0:
                continue
            found.append(
                {
                    "bpmn_id": task.task_spec.bpmn_id,
                    "credit_code": str(code),
                    "points": points,
                    "reason": props.get("credit_reason")
                    or task.task_spec.bpmn_name
                    or task.task_spec.bpmn_id,
                }
            )
        return found

    def _ready(self, task: Any, source: SpecSource, engine: PythonScriptEngine) -> ReadyTask:
        spec = task.task_spec
        props = _props(spec)
        lane = getattr(spec, "lane", None)
        group: str | None
        if props.get("candidate_groups"):
            value = _evaluate(engine, task, props["candidate_groups"])
            group = value[0] if isinstance(value, list | tuple) and value else (value or None)
            group = str(group) if group is not None else None
        else:
            group = source.lane_groups.get(lane, lane) if lane else None
        context: dict[str, Any] = {}
        if props.get("request_items"):
            context["items"] = plain(_evaluate(engine, task, props["request_items"]))
        if props.get("performer_credit_code"):
            # Performed by the company with this credit code (its users), not the case's applicant.
            code = _evaluate(engine, task, props["performer_credit_code"])
            context["performer_credit_code"] = str(code) if code else None
        if props.get("performer_data"):
            # What a performer outside the administration (a company account) may see of the case:
            # only what the analyst names, never the whole case data (a complaint's case data holds
            # the complainant's contact details).
            context["performer_data"] = plain(_evaluate(engine, task, props["performer_data"])) or {}
        if props.get("supervising_group"):
            # The staff group whose supervisors receive this task's escalations (督办).
            context["supervising_group"] = props["supervising_group"].strip()
        if props.get("returnable_to"):
            # 退回: the earlier user tasks (BPMN ids) this task may send the case back to.
            context["returnable_to"] = [t.strip() for t in props["returnable_to"].split(",") if t.strip()]
        if props.get("note"):
            # A remark shown with the task in the case's timeline (e.g. work ordered stopped).
            context["note"] = plain(_evaluate(engine, task, props["note"])) or None
        if props.get("prefill"):
            # What the task's form starts filled with (a returned draft, to revise rather than retype).
            context["prefill"] = plain(_evaluate(engine, task, props["prefill"])) or None
        signing_round = signing.context_of(task)
        if signing_round is not None:
            # 会签 / 或签: one signer's task of a round.
            context["signing"] = plain(signing_round)
        if (signing_round or {}).get("supervisors_only") or props.get("supervisors_only") == "true":
            # Only the heads of the task's group take it: a signer that says so, or a task whose
            # property says so (e.g. the section head's review of a notice, 科室负责人审核).
            context["supervisors_only"] = True
        return ReadyTask(
            id=str(task.id),
            bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            name_en=props.get("name_en") or spec.bpmn_name or spec.bpmn_id,
            process_id=task.workflow.spec.name,
            lane=lane,
            candidate_group=group,
            form=props.get("formJsonSchemaFilename"),
            ui_form=props.get("formUiSchemaFilename"),
            time_limit=props.get("time_limit"),
            pauses_clock=props.get("clock") == "paused",
            properties=dict(props),
            context=context,
        )


def _evaluate(engine: PythonScriptEngine, task: Any, expression: str) -> Any:
    try:
        return engine.evaluate(task, expression)
    except SpiffWorkflowException as err:
        raise _engine_error(err) from err


def _props(task_spec: Any) -> dict[str, str]:
    ext = getattr(task_spec, "extensions", None) or {}
    return ext.get("properties", {}) or {}


# In-memory runs of the engine package (simulation) map errors exactly as cases do.
engine_error = _engine_error
unexpected_error = _unexpected_error
