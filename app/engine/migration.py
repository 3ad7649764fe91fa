"""Moving a running workflow to another version of its process: checked, never implicit.

SpiffWorkflow aligns the old and new specs by BPMN id (``diff_workflow``) and swaps the specs of a
workflow's tasks (``migrate_workflow``). Its diff only describes; what is safe to move is decided
here. A workflow can move when every task that exists in it (done, waiting or running, in the
process and in every called process) still has a spec of the same kind in the new version. Ready
tasks are reset and predicted again from the new spec; waiting tasks (timers) are left alone, so
their due times carry over (``reset_mask=READY``: SpiffWorkflow's default also resets timers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .specs import SpecCache, _registry, dump_state, load_state
from .types import SpecSource, StepResult

if TYPE_CHECKING:
    from .runtime import Runtime

# Tasks that are where the workflow is now.
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# Tasks that exist in the workflow (anything but a prediction of what may come).
_EXISTING = _ACTIVE | TaskState.COMPLETED | TaskState.ERROR | TaskState.CANCELLED


class MigrationRefused(Exception):
    """The workflow cannot move to the new version; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MigrationPlan:
    """What moving one workflow to a new version would do, as plain data.

    ``changed``/``removed``/``added`` list BPMN ids of the specs (top process and called
    processes) that differ between the versions; ``current`` the BPMN ids the workflow is at.
    """

    possible: bool
    reason: str | None
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)


_plan_specs = SpecCache()


def plan_migration(
    old: SpecSource, new: SpecSource, state: str, specs: SpecCache | None = None
) -> MigrationPlan:
    """Whether the workflow saved in ``state`` (running ``old``) can move to ``new``. Runs nothing."""
    cache = specs or _plan_specs
    old_spec, old_subs = cache.get(old.hash, old.spec_json)
    new_spec, new_subs = cache.get(new.hash, new.spec_json)
    workflow = load_state(state, old_spec, old_subs)
    return move(workflow, new_spec, new_subs)


def migrate_state(old: SpecSource, new: SpecSource, state: str, runtime: Runtime) -> StepResult:
    """Move the workflow to ``new`` and run it on, as the runtime does after any step.

    Raises :class:`MigrationRefused` when :func:`plan_migration` would say it is not possible.
    """
    return runtime.migrate(old, new, state)


def move(workflow: BpmnWorkflow, new_spec: Any, new_subs: dict[str, Any]) -> MigrationPlan:
    """Check, and when possible do, the move of ``workflow`` (in place) to ``new_spec``.

    On a refusal the workflow may have been partly changed: callers work on a freshly loaded copy.
    """
    current = sorted(
        {t.task_spec.bpmn_id or t.task_spec.name for t in workflow.get_tasks(state=_ACTIVE) if _visible(t)}
    )
    facts = _Facts()
    try:
        top_diff, sub_diffs = diff_workflow(_registry, workflow, new_spec, new_subs)
        facts.add_specs(workflow.spec, new_spec)
        for name, spec in workflow.subprocess_specs.items():
            if name in new_subs:
                facts.add_specs(spec, new_subs[name], prefix=f"{name}/")
            else:
                facts.removed.append(f"{name}/*")
        facts.added.extend(f"{name}/*" for name in new_subs if name not in workflow.subprocess_specs)
    except Exception as err:  # noqa: BLE001 - a diff that fails means "cannot tell, do not move"
        failure = f"SpiffWorkflow could not compare the versions: {type(err).__name__}: {err}"
        return MigrationPlan(False, failure, current=current)

    reason: str | None = _check(list(workflow.tasks.values()), top_diff, "")
    for sp_id, sub in workflow.subprocesses.items():
        if reason:
            break
        diff = sub_diffs.get(sp_id)
        live = [t for t in sub.tasks.values() if t.state & _EXISTING]
        if diff is None:
            if live:
                reason = f"the called process '{sub.spec.name}' is not part of the new version"
            continue
        reason = _check(list(sub.tasks.values()), diff, f"{sub.spec.name}/")
    if reason is None:
        try:
            migrate_workflow(top_diff, workflow, new_spec, reset_mask=TaskState.READY)
            for sp_id, sub in workflow.subprocesses.items():
                diff = sub_diffs.get(sp_id)
                if diff is not None:
                    migrate_workflow(diff, sub, new_subs[sub.spec.name], reset_mask=TaskState.READY)
            workflow.subprocess_specs = dict(new_subs)
            reason = _leftover(workflow, new_spec, new_subs)
            if reason is None:
                # Proves the moved state saves and loads against the new version alone.
                load_state(dump_state(workflow), new_spec, new_subs)
        except Exception as err:  # noqa: BLE001 - any failure here means "cannot move"
            reason = f"SpiffWorkflow could not move the workflow: {type(err).__name__}: {err}"
    return MigrationPlan(
        possible=reason is None,
        reason=reason,
        changed=sorted(facts.changed),
        removed=sorted(facts.removed),
        added=sorted(facts.added),
        current=current,
    )


class _Facts:
    def __init__(self) -> None:
        self.changed: list[str] = []
        self.removed: list[str] = []
        self.added: list[str] = []

    def add_specs(self, old: Any, new: Any, prefix: str = "") -> None:
        from SpiffWorkflow.bpmn.util.diff import SpecDiff

        diff = SpecDiff(_registry, old, new)
        self.changed.extend(prefix + _id(s) for s in diff.changed if _is_bpmn(s))
        self.removed.extend(prefix + _id(s) for s in diff.removed if _is_bpmn(s))
        self.added.extend(prefix + _id(s) for s in diff.added if _is_bpmn(s))


def _check(tasks: list[Any], diff: Any, prefix: str) -> str | None:
    removed = {id(t) for t in diff.removed}
    for task in tasks:
        if not task.state & _EXISTING:
            continue  # predictions are thrown away and made again from the new spec
        spec = task.task_spec
        where = "is at" if task.state & _ACTIVE else "has passed"
        if id(task) in removed:
            return f"the case {where} '{prefix}{_label(spec)}', which the new version no longer has"
        new = diff.alignment.get(task)
        if new is not None and type(new) is not type(spec):
            return (
                f"the case {where} '{prefix}{_label(spec)}', which the new version turns from "
                f"{type(spec).__name__} into {type(new).__name__}"
            )
        if task.state & (TaskState.WAITING | TaskState.STARTED) and new is not None:
            old_event = type(getattr(spec, "event_definition", None))
            new_event = type(getattr(new, "event_definition", None))
            if old_event is not new_event:
                return f"the case waits at '{prefix}{_label(spec)}', whose event the new version changes"
    return None


def _leftover(workflow: BpmnWorkflow, new_spec: Any, new_subs: dict[str, Any]) -> str | None:
    """A task still holding a spec of the old version after the move (a removed prediction
    that no reset threw away) would not load again: refuse rather than save it."""
    owners = [(workflow, new_spec)]
    owners.extend((sub, new_subs.get(sub.spec.name)) for sub in workflow.subprocesses.values())
    for owner, spec in owners:
        for task in owner.tasks.values():
            if spec is None or spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                state = TaskState.get_name(task.state)
                return f"'{_label(task.task_spec)}' ({state}) has no place in the new version"
    return None


def _visible(task: Any) -> bool:
    return _is_bpmn(task.task_spec)


def _is_bpmn(spec: Any) -> bool:
    return bool(getattr(spec, "bpmn_id", None))


def _id(spec: Any) -> str:
    return str(spec.bpmn_id or spec.name)


def _label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    return f"{name} ({bpmn_id})" if name else str(bpmn_id)


__all__ = ["MigrationPlan", "MigrationRefused", "migrate_state", "move", "plan_migration"]
