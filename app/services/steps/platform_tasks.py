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


def _answer_to(
    session: Session, case: Case, username: Any, kind: str, titles: tuple[str, str], text: str, link: str
) -> None:
    """Tell the one who asked (by username, from the task's context) that the answer came."""
    asker = session.scalar(select(User).where(User.username == username))
    if asker is not None:
        notifications.notify(
            session,
            [asker],
            kind,
            title=f"{titles[0]}：{case.number}",
            title_en=f"{titles[1]}: {case.number}",
            body=text,
            body_en=text,
            case=case,
            link=link,
        )


def _supervision_done(
    session: Session, case: Case, task: HumanTask, data: dict[str, Any], actor: User | None
) -> str:
    ordered_by = (task.context or {}).get("ordered_by")
    titles = ("督办已回复", "Supervision answered")
    _answer_to(
        session,
        case,
        ordered_by,
        "supervision.replied",
        titles,
        str(data.get("reply") or ""),
        f"/tasks/{task.id}",
    )
    return "replied"


def _opinion_given(
    session: Session, case: Case, task: HumanTask, data: dict[str, Any], actor: User | None
) -> str:
    """加签 answered: the asker is told; the asking task may be completed once none is open."""
    context = task.context or {}
    link = f"/tasks/{context.get('asking_task_id')}"
    titles = ("加签意见已回复", "Opinion given")
    _answer_to(
        session,
        case,
        context.get("asked_by"),
        "consultation.answered",
        titles,
        str(data.get("opinion") or ""),
        link,
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
