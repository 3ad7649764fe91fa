"""加签 (consultation): the assignee of a task asks colleagues of any group for an opinion before
deciding. Each colleague (or group) gets an opinion task with its own time limit; the asking task
cannot be completed while one of them is open, until it is answered or the request withdrawn.
Called by the step path under the case's lock, after the caller's permission check."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import parse_time_limit
from app.errors import Conflict, InvalidData
from app.models import Case, Group, HumanTask, TaskState, Timer, User

from .. import audit, durations, notifications, platform, procedure_rows
from ..gateway import APPLICANT_GROUP
from .commands import ConsultTask, StepOutcome, WithdrawConsultation
from .core import RUNNING

PROCEDURE = "consultation"
MAX_ASKED = 10  # opinion tasks one request may open
MAX_QUESTION = 2000


def pending_opinions(open_tasks: list[HumanTask], task: HumanTask) -> list[HumanTask]:
    """The open opinion tasks asked for from ``task``."""
    return [
        t
        for t in open_tasks
        if t.procedure == PROCEDURE and (t.context or {}).get("asking_task_id") == task.id
    ]


def check_answered(open_tasks: list[HumanTask], task: HumanTask) -> None:
    """Refuse to complete (or return) ``task`` while an opinion asked from it is open."""
    waiting = pending_opinions(open_tasks, task)
    if waiting:
        raise Conflict(
            f"{len(waiting)} opinion(s) asked for (加签) are not answered yet: "
            "wait for them or withdraw the request"
        )


def _first_group(user: User) -> str | None:
    staff = sorted(m.group.slug for m in user.memberships)
    return staff[0] if staff else None


def _targets(session: Session, command: ConsultTask) -> list[tuple[str, User | None]]:
    """(group, user) per opinion asked for: a named colleague in their own group, or a group."""
    wanted: list[tuple[str, User | None]] = []
    # Names and slugs are matched whole: a longer one names no one (the refusal quotes 64 characters).
    for name in dict.fromkeys(u.strip() for u in command.users if u.strip()):
        user = session.scalar(select(User).where(User.username == name))
        if user is None or not user.is_staff or not user.is_active:
            raise InvalidData(f"no active staff member '{name[:64]}'", {"users": [f"unknown: {name[:64]}"]})
        if user.id == command.actor.id:
            raise InvalidData("ask a colleague, not yourself", {"users": ["not yourself"]})
        group = _first_group(user)
        if group is None:
            raise InvalidData(f"'{name}' belongs to no group", {"users": [f"no group: {name}"]})
        wanted.append((group, user))
    for slug in dict.fromkeys(g.strip() for g in command.groups if g.strip()):
        if slug == APPLICANT_GROUP or session.scalar(select(Group.id).where(Group.slug == slug)) is None:
            raise InvalidData(f"no group '{slug[:64]}'", {"groups": [f"unknown: {slug[:64]}"]})
        wanted.append((slug, None))
    if not wanted:
        raise InvalidData("name at least one colleague or group to ask", {"users": ["name someone to ask"]})
    if len(wanted) > MAX_ASKED:
        raise InvalidData(f"at most {MAX_ASKED} opinions per request", {"users": [f"at most {MAX_ASKED}"]})
    return wanted


def _checked(session: Session, command: ConsultTask, case: Case, task: HumanTask) -> tuple[str, str]:
    if case.status not in RUNNING:
        raise Conflict(f"the case is {case.status.value}: opinions are asked only while it runs")
    if task.procedure is not None or task.candidate_group == APPLICANT_GROUP:
        raise Conflict("opinions (加签) are asked from a reviewing step, not from this task")
    question = (command.question or "").strip()
    if not question:
        raise InvalidData("question is required", {"question": ["is required"]})
    if len(question) > MAX_QUESTION:
        raise InvalidData("question is too long", {"question": [f"at most {MAX_QUESTION} characters"]})
    limit = (command.time_limit or "").strip() or platform.of(session).settings.consultation_time_limit
    if parse_time_limit(limit) is None:
        raise InvalidData(
            f"'{limit[:20]}' is not a time limit", {"time_limit": ["e.g. 2wd (working days), 3d or 4h"]}
        )
    return question, limit


def consult(session: Session, command: ConsultTask, case: Case, task: HumanTask) -> StepOutcome:
    """Open one opinion task per colleague or group asked, each with the request's time limit."""
    question, limit = _checked(session, command, case, task)
    opened: list[tuple[HumanTask, str, User | None]] = []
    for group, user in _targets(session, command):
        row = procedure_rows.open_platform_task(
            session,
            case,
            procedure=PROCEDURE,
            name=f"加签意见：{task.name}",
            name_en=f"Opinion asked for: {task.name_en or task.name}",
            group=group,
            time_limit=limit,
            assignee_id=user.id if user else None,
            context={
                "asking_task_id": task.id,
                "asked_by": command.actor.username,
                "question": question,
                "note": question,
            },
        )
        opened.append((row, group, user))
    asked = [{"task_id": r.id, "group": g, "user": u.username if u else None} for r, g, u in opened]
    detail = {"task_id": task.id, "question": question, "time_limit": limit, "asked": asked}
    audit.record(session, "task.consultation_requested", actor=command.actor, case=case, detail=detail)
    for row, group, user in opened:
        notifications.notify(
            session,
            [user] if user else notifications.group_members(session, group),
            "consultation.requested",
            title=f"加签征求意见：{case.number} {task.name}",
            title_en=f"Your opinion is asked for: {case.number} {task.name_en or task.name}",
            body=question,
            body_en=question,
            case=case,
            link=f"/tasks/{row.id}",
        )
    return StepOutcome(case, task, opened=tuple(row for row, _group, _user in opened))


def withdraw(
    session: Session, command: WithdrawConsultation, case: Case, task: HumanTask, open_tasks: list[HumanTask]
) -> StepOutcome:
    """Cancel the unanswered opinion tasks of ``task``; answered ones stay on the record."""
    waiting = pending_opinions(open_tasks, task)
    if not waiting:
        raise Conflict("no opinion asked from this task is waiting: nothing to withdraw")
    now = clock.now()
    for row in waiting:
        row.state = TaskState.CANCELLED
        row.completed_at = now
        row.outcome = "withdrawn"
        durations.record_task(session, row)
        for timer in session.scalars(
            select(Timer).where(
                Timer.human_task_id == row.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
            )
        ):
            timer.cancelled_at = now
    detail = {"task_id": task.id, "withdrawn": [t.id for t in waiting]}
    audit.record(session, "task.consultation_withdrawn", actor=command.actor, case=case, detail=detail)
    session.flush()
    return StepOutcome(case, task)
