"""What a fired timer does besides the engine step: SLA warnings, overdue escalation (督办) up the
groups, reminders, the case's own overdue notice. Called by the step path under the case's lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, Group, HumanTask, TaskState, Timer, TimerKind, User

from . import audit, notifications, performer_tasks, platform, runtime_settings
from .case_clock import open_suspension
from .gateway import APPLICANT_GROUP


def record_failure(session: Session, case: Case, error: dict[str, Any]) -> None:
    """A BPMN timer could not fire (e.g. a broken timer expression): the trail says why."""
    audit.record(session, "timer.failed", actor=None, case=case, detail={"error": error})


def after_bpmn_timers(session: Session, case: Case, went_off: list[Timer], now: datetime) -> None:
    """Escalations and reminders that BPMN timers carry (`escalation_level`, `notify`)."""
    cal = platform.calendar(session)
    for timer in went_off:
        task = session.get(HumanTask, timer.human_task_id) if timer.human_task_id else None
        if task is not None and timer.level > 0:
            _escalate(session, case, task, timer.level, reason=timer.bpmn_id or "timer")
        note = timer.note or ""
        if task is not None and note.startswith(DEEMED):
            _deemed_consent(session, case, task, note[len(DEEMED) :] or None)
            continue
        if task is not None and timer.note and cal.is_workday(cal.local_date(now)):
            # Reminders go out on working days only (a daily cycle timer stays quiet at weekends).
            _remind(session, case, task, timer.note)


DEEMED = "deemed_consent:"  # a boundary timer's `notify`: 默认同意, then the lead group to tell


def _deemed_consent(session: Session, case: Case, task: HumanTask, lead: str | None) -> None:
    """超时默认: the agency's review ended at its due time as deemed consent (the BPMN wrote the
    opinion); the step shows it, the lead group and the agency's supervisors are told."""
    task.outcome = "deemed_consent"
    agency = task.candidate_group or ""
    users = [
        *(notifications.group_members(session, lead) if lead else []),
        *notifications.group_members(session, agency, supervisors_only=True),
    ]
    notifications.notify(
        session,
        users,
        "review.deemed_consent",
        title=f"超时默认同意：{case.number} {task.name}",
        title_en=f"Deemed consent: {case.number} {task.name_en}",
        body=f"{case.project_name or ''} · {task.name}",
        body_en=f"{case.project_name or ''} · {task.name_en}",
        case=case,
    )
    detail = {
        "task_id": task.id,
        "task": task.bpmn_id,
        "agency": agency,
        "notified": [u.username for u in users],
    }
    audit.record(session, "review.deemed_consent", actor=None, case=case, detail=detail)


def fire_platform_timer(
    session: Session, case: Case, timer: Timer, now: datetime, open_tasks: list[HumanTask]
) -> list[Timer]:
    """Fire a timer that needs no engine step (``open_tasks``: the case's, read under its lock).
    Returns the timers it added (an escalation's next level)."""
    timer.fired_at = now
    task = session.get(HumanTask, timer.human_task_id) if timer.human_task_id else None
    if timer.kind is TimerKind.SLA_OVERDUE and task is None:
        _case_overdue(session, case, open_tasks)
        return []
    if timer.kind is TimerKind.SUSPENSION_NOTICE:
        _suspension_overlong(session, case, open_tasks)
        return []
    if task is None or task.state is not TaskState.OPEN:
        return []
    if timer.kind is TimerKind.SLA_WARNING:
        _remind(session, case, task, "assignee_or_group")
        audit.record(session, "task.sla_warning", actor=None, case=case, detail={"task_id": task.id})
    elif timer.kind is TimerKind.SLA_OVERDUE:
        _overdue_notice(session, case, task)
        _escalate(session, case, task, 1, reason="overdue")
        days = runtime_settings.escalation_working_days(session)
        level_two = Timer(
            case_id=case.id,
            kind=TimerKind.ESCALATION,
            human_task_id=task.id,
            level=2,
            due_at=platform.calendar(session).add_working_days(timer.due_at, days),
            created_at=now,
        )
        session.add(level_two)
        return [level_two]
    elif timer.kind is TimerKind.ESCALATION:
        _escalate(session, case, task, timer.level or 2, reason="still overdue")
    return []


def _escalate(session: Session, case: Case, task: HumanTask, level: int, *, reason: str) -> None:
    """Raise a task's escalation (督办) level and tell who must act at that level."""
    if task.escalation_level >= level or task.state is not TaskState.OPEN:
        return
    task.escalation_level = level
    recipients = _escalation_recipients(session, task, level)
    notifications.notify(
        session,
        recipients,
        f"escalation.{level}",
        title=f"督办（{level}级）：{case.number} {task.name}已超期",
        title_en=f"Escalation level {level}: {case.number} {task.name_en} is overdue",
        body=f"{case.project_name or ''} · {task.name}",
        body_en=f"{case.project_name or ''} · {task.name_en}",
        case=case,
        link=f"/tasks/{task.id}",
    )
    audit.record(
        session,
        "task.escalated",
        actor=None,
        case=case,
        detail={
            "task_id": task.id,
            "task": task.bpmn_id,
            "level": level,
            "reason": reason,
            "notified": [u.username for u in recipients],
        },
    )


def _staff_group(task: HumanTask) -> str:
    """The group answerable for the task: its `supervising_group` (for work done outside the
    bureau, e.g. by a contractor), else its candidate group."""
    return str((task.context or {}).get("supervising_group") or task.candidate_group or "")


def _performers(session: Session, case: Case, task: HumanTask) -> list[User]:
    """Who may do a task of the applicant side: the verified users of its performing company, else
    the case's applicant."""
    code = (task.context or {}).get("performer_credit_code")
    if code:
        return performer_tasks.performers(session, str(code))
    applicant = session.get(User, case.applicant_id) if case.applicant_id else None
    return [applicant] if applicant is not None else []


def _escalation_recipients(session: Session, task: HumanTask, level: int) -> list[User]:
    group = _staff_group(task)
    if level <= 1:
        return notifications.group_members(session, group, supervisors_only=True)
    memo = notifications.batch_memo(session, "escalates_to")  # a batch of firings reads it once
    higher = memo.get(group) if memo is not None else None
    if higher is None:
        higher = session.scalar(select(Group.escalates_to).where(Group.slug == group)) or "bureau"
        if memo is not None:
            memo[group] = higher
    return notifications.group_members(session, higher)


def _remind(session: Session, case: Case, task: HumanTask, who: str) -> None:
    """A reminder about an open task: to its assignee, else its group (or its supervisors)."""
    if who == "supervisors":
        users = notifications.group_members(session, _staff_group(task), supervisors_only=True)
    elif task.candidate_group == APPLICANT_GROUP and task.assignee_id is None:
        users = _performers(session, case, task)
    elif task.assignee_id is not None and who != "group":
        assignee = session.get(User, task.assignee_id)
        users = [assignee] if assignee is not None else []
    else:
        users = notifications.group_members(session, task.candidate_group or "")
    notifications.notify(
        session,
        users,
        "reminder",
        title=f"提醒：{case.number} {task.name}即将到期",
        title_en=f"Reminder: {case.number} {task.name_en} is due soon",
        case=case,
        link=f"/tasks/{task.id}",
    )


def _overdue_notice(session: Session, case: Case, task: HumanTask) -> None:
    """The task is past its time limit: whoever works on it (its assignee, else its group) is told,
    beside the supervisors' escalation (by SMS too for those who opted in: `task.overdue`)."""
    if task.assignee_id is not None:
        assignee = session.get(User, task.assignee_id)
        users = [assignee] if assignee is not None else []
    elif task.candidate_group == APPLICANT_GROUP:
        users = _performers(session, case, task)
    else:
        users = notifications.group_members(session, task.candidate_group or "")
    notifications.notify(
        session,
        users,
        "task.overdue",
        title=f"已超期：{case.number} {task.name}",
        title_en=f"Overdue: {case.number} {task.name_en}",
        body=case.project_name or "",
        body_en=case.project_name or "",
        case=case,
        link=f"/tasks/{task.id}",
    )


def _open_staff_groups(open_tasks: list[HumanTask]) -> list[str]:
    return sorted(
        {
            task.candidate_group
            for task in open_tasks
            if task.state is TaskState.OPEN
            and task.candidate_group is not None
            and task.candidate_group != APPLICANT_GROUP
        }
    )


def _supervisors_of_open_groups(session: Session, open_tasks: list[HumanTask]) -> list[User]:
    return [
        u
        for g in _open_staff_groups(open_tasks)
        for u in notifications.group_members(session, g, supervisors_only=True)
    ]


def _suspension_overlong(session: Session, case: Case, open_tasks: list[HumanTask]) -> None:
    """A suspension has lasted its notice period (20 working days by default): supervisors are told."""
    pause = open_suspension(case)
    if pause is None or case.status.is_final:
        return
    users = _supervisors_of_open_groups(session, open_tasks)
    notifications.notify(
        session,
        users,
        "case.suspension_overlong",
        title=f"挂起已超过通知期限：{case.number}",
        title_en=f"Suspended past its notice period: {case.number}",
        body=str(pause.get("code") or ""),
        body_en=str(pause.get("code") or ""),
        case=case,
    )
    audit.record(
        session, "case.suspension_overlong", actor=None, case=case, detail={"since": pause.get("from")}
    )


def _case_overdue(session: Session, case: Case, open_tasks: list[HumanTask]) -> None:
    if case.status.is_final:
        return
    if any(p.get("to") is None for p in case.clock_pauses or []):
        # The clock stands still (suspended, waiting for the applicant): not overdue; the limit's
        # timer is set again when the clock runs.
        return
    users = _supervisors_of_open_groups(session, open_tasks)
    notifications.notify(
        session,
        users,
        "case.overdue",
        title=f"办件超期：{case.number}",
        title_en=f"Case overdue: {case.number}",
        body=case.project_name or "",
        body_en=case.project_name or "",
        case=case,
    )
    audit.record(
        session,
        "case.overdue",
        actor=None,
        case=case,
        detail={"due_at": case.due_at.isoformat() if case.due_at else None},
    )
