"""Going back in a case: 退回 (return to an earlier step the task declares) and a reviewer's recall
of their own completion. Both reset the workflow to a completed step through the engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Runtime
from app.errors import CaseInError, Conflict, Forbidden, InvalidData
from app.models import CaseStatus, HumanTask, TaskState

from .. import gateway, processes
from .commands import RecallTask, ReturnTask, StepOutcome
from .core import Locked, run_engine
from .effects import AfterStep, run_effects


def send_back(
    session: Session, locked: Locked, target: HumanTask, actor: Any, action: str, detail: dict[str, Any]
) -> StepOutcome:
    """Reset the workflow to the completed ``target`` step and mirror it: what followed is undone
    (its open tasks cancelled), the target's row is open again."""
    case = locked.case
    if case.status == CaseStatus.ERROR:
        raise CaseInError("the case stopped on an error; an administrator must resolve it first")
    source = processes.spec_source(processes.version_by_id(session, case.process_version_id))
    result = run_engine(session, Runtime.reset_to, source, case.state, target.spiff_task_id)
    if result.error is not None:
        raise CaseInError(f"the process could not go back to {target.name}: {result.error.message}")
    mirrored = gateway.mirror(session, case, result, locked.open_tasks, actor=actor, reopen=target)
    if target.state != TaskState.OPEN:
        raise Conflict(f"{target.name} cannot be done again in this case")
    run_effects(session, AfterStep(case, result, mirrored, actor, action=action, detail=detail))
    return StepOutcome(case, target)


def return_to(session: Session, command: ReturnTask, locked: Locked, task: HumanTask) -> StepOutcome:
    allowed = list((task.context or {}).get("returnable_to") or [])
    if command.to not in allowed:
        names = ", ".join(allowed) or "none"
        raise Conflict(f"{task.name} may not return the case to {command.to[:64]} (declared: {names})")
    reason = (command.reason or "").strip()
    if not reason:
        raise InvalidData("a reason is required to return a case", {"reason": ["is required"]})
    target = session.scalar(
        select(HumanTask)
        .where(
            HumanTask.case_id == locked.case.id,
            HumanTask.bpmn_id == command.to,
            HumanTask.state == TaskState.COMPLETED,
        )
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
        .limit(1)
    )
    if target is None:
        raise Conflict(f"the case has not passed {command.to[:64]} yet: nothing to return to")
    detail = {"task_id": task.id, "task": task.bpmn_id, "to": command.to, "reason": reason[:2000]}
    outcome = send_back(session, locked, target, command.actor, "task.returned", detail)
    task.outcome = "returned"
    task.completed_by_id = command.actor.id
    task.submitted = {"reason": reason[:2000]}
    session.flush()
    return outcome


def recall(session: Session, command: RecallTask, locked: Locked, task: HumanTask) -> StepOutcome:
    if task.state != TaskState.COMPLETED or task.completed_by_id != command.actor.id:
        raise Forbidden("only who completed a step may recall it")
    if task.procedure is not None:
        raise Conflict("a procedure's task cannot be recalled")
    after = list(
        session.scalars(
            select(HumanTask).where(
                HumanTask.case_id == locked.case.id,
                HumanTask.id != task.id,
                HumanTask.created_at >= task.completed_at,
                HumanTask.procedure.is_(None),
            )
        )
    )
    taken = [t for t in after if t.state == TaskState.COMPLETED or t.claimed_at is not None]
    if taken or locked.case.status.is_final:
        raise Conflict("the next step was already taken up: the completion can no longer be recalled")
    detail = {"task_id": task.id, "task": task.bpmn_id}
    return send_back(session, locked, task, command.actor, "task.recalled", detail)
