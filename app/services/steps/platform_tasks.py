"""The tasks the platform opens for procedures (an extension's approval, a poor rating's
follow-up, a 督办 reply): completing one runs its procedure's consequence, not the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, HumanTask, ServiceRating, Timer, User

from .. import audit, gateway, notifications, procedure_rows
from .commands import CompleteTask, StepOutcome
from .core import next_due, wake_at
from .procedures import tell_applicant


def _extension_done(
    session: Session, case: Case, task: HumanTask, data: dict[str, Any], actor: User | None
) -> str:
    days = int((task.context or {}).get("working_days") or 0)
    if data.get("decision") == "approve":
        case.extension_days = days
        procedure_rows.move_case_clock(session, case, clock.now())
        due = case.due_at.isoformat() if case.due_at else None
        audit.record(
            session, "case.extended", actor=actor, case=case, detail={"working_days": days, "due_at": due}
        )
        tell_applicant(session, case, "case.extended", "办理期限已延长", "the time limit was extended")
        return "approve"
    audit.record(session, "case.extension_refused", actor=actor, case=case, detail={"working_days": days})
    return "refuse"


def _follow_up_done(
    session: Session, case: Case, task: HumanTask, data: dict[str, Any], actor: User | None
) -> str:
    rating = session.get(ServiceRating, (task.context or {}).get("rating_id"))
    if rating is not None:
        rating.reply = str(data.get("reply") or "")
        rating.replied_at = clock.now()
    tell_applicant(session, case, "rating.replied", "差评回访答复", "a reply to your rating")
    return "replied"


def _supervision_done(
    session: Session, case: Case, task: HumanTask, data: dict[str, Any], actor: User | None
) -> str:
    ordered_by = session.scalar(select(User).where(User.username == (task.context or {}).get("ordered_by")))
    if ordered_by is not None:
        notifications.notify(
            session,
            [ordered_by],
            "supervision.replied",
            title=f"督办已回复：{case.number}",
            title_en=f"Supervision answered: {case.number}",
            body=str(data.get("reply") or ""),
            body_en=str(data.get("reply") or ""),
            case=case,
            link=f"/tasks/{task.id}",
        )
    return "replied"


def _opinion_given(
    session: Session, case: Case, task: HumanTask, data: dict[str, Any], actor: User | None
) -> str:
    """加签 answered: the asker is told; the asking task may be completed once none is open."""
    context = task.context or {}
    asker = session.scalar(select(User).where(User.username == context.get("asked_by")))
    if asker is not None:
        notifications.notify(
            session,
            [asker],
            "consultation.answered",
            title=f"加签意见已回复：{case.number}",
            title_en=f"Opinion given: {case.number}",
            body=str(data.get("opinion") or ""),
            body_en=str(data.get("opinion") or ""),
            case=case,
            link=f"/tasks/{context.get('asking_task_id')}",
        )
    return "answered"


PLATFORM_TASKS: dict[str, Callable[[Session, Case, HumanTask, dict[str, Any], User | None], str]] = {
    "extension_approval": _extension_done,
    "follow_up": _follow_up_done,
    "supervision_reply": _supervision_done,
    "consultation": _opinion_given,
}


def complete(
    session: Session, command: CompleteTask, case: Case, task: HumanTask, data: dict[str, Any]
) -> StepOutcome:
    """A task the platform opened for a procedure: its procedure, not the engine, says what follows."""
    outcome = PLATFORM_TASKS[task.procedure or ""](session, case, task, data, command.actor)
    now = clock.now()
    gateway.complete_row(session, task, command.actor, data, now)
    task.outcome = outcome
    for timer in session.scalars(
        select(Timer).where(
            Timer.human_task_id == task.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
        )
    ):
        timer.cancelled_at = now
    detail = {
        "task_id": task.id,
        "task": task.bpmn_id,
        "name": task.name,
        "outcome": outcome,
        **command.detail,
    }
    audit.record(session, "task.completed", actor=command.actor, case=case, detail=detail)
    session.flush()
    wake_at(session, case.id, next_due(session, case.id))
    return StepOutcome(case, task)
