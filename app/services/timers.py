"""Firing what is due: BPMN timers, SLA warnings, overdue escalation (督办).

Timer rows are the source of truth. A wake-up job per case and a periodic sweep both call
:func:`fire_due`; it runs under the case's lock and only touches rows that are still unfired,
so running it twice (or in two workers at once) changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import EngineError
from app.models import Case, CaseStatus, Group, HumanTask, TaskState, Timer, TimerKind, User

from . import audit, gateway, notifications, platform, processes, runtime_settings


def due_case_ids(session: Session, now: datetime | None = None, limit: int = 10_000) -> list[int]:
    """Cases with at least one due, unfired timer (for the sweep)."""
    now = now or clock.now()
    rows = session.scalars(
        select(Timer.case_id)
        .where(Timer.fired_at.is_(None), Timer.cancelled_at.is_(None), Timer.due_at <= now)
        .group_by(Timer.case_id)
        .order_by(Timer.case_id)
        .limit(limit)
    )
    return list(rows)


def fire_due(session: Session, case_id: int) -> int:
    """Fire every due timer of one case. Returns how many fired. Flushes, never commits."""
    now = clock.now()
    case = gateway.lock_case(session, case_id)
    due = list(
        session.scalars(
            select(Timer)
            .where(
                Timer.case_id == case_id,
                Timer.fired_at.is_(None),
                Timer.cancelled_at.is_(None),
                Timer.due_at <= now,
            )
            .order_by(Timer.due_at, Timer.id)
        )
    )
    if not due:
        gateway.schedule_wakeup(session, case)
        return 0
    fired = 0
    bpmn = [t for t in due if t.kind is TimerKind.BPMN]
    for timer in due:
        if timer.kind is TimerKind.BPMN:
            continue
        _fire_platform_timer(session, case, timer, now)
        fired += 1
    stepped = False
    if bpmn:
        fired_bpmn, stepped = _fire_bpmn(session, case, bpmn, now)
        fired += fired_bpmn
    if not stepped:  # apply_step schedules the next wake-up itself
        gateway.schedule_wakeup(session, case)
    session.flush()
    return fired


def _fire_bpmn(session: Session, case: Case, timers: list[Timer], now: datetime) -> tuple[int, bool]:
    """Fire the case's due BPMN timers; returns (how many went off, whether a step was saved)."""
    if case.status.is_final or case.status is CaseStatus.ERROR:
        for timer in timers:
            timer.cancelled_at = now
        return 0, False
    version = processes.version_by_id(session, case.process_version_id)
    try:
        with platform.engine_session(session) as runtime:
            result = runtime.fire_due_timers(processes.spec_source(version), case.state)
    except EngineError as err:  # a broken timer expression: the case shows the error
        audit.record(session, "timer.failed", actor=None, case=case, detail={"error": err.as_dict()})
        return 0, False
    still_waiting = {t.task_id: t.due_at for t in result.timers}
    # Gone from the workflow, or a cycle timer that moved on to its next due time.
    went_off = [
        t
        for t in timers
        if t.spiff_task_id not in still_waiting or still_waiting[t.spiff_task_id or ""] > t.due_at
    ]
    gateway.apply_step(
        session,
        case,
        result,
        actor=None,
        action="timer.fired",
        detail={"timers": [t.bpmn_id for t in went_off]},
    )
    cal = platform.calendar(session)
    for timer in went_off:
        task = session.get(HumanTask, timer.human_task_id) if timer.human_task_id else None
        if task is not None and timer.level > 0:
            _escalate(session, case, task, timer.level, reason=timer.bpmn_id or "timer")
        if task is not None and timer.note and cal.is_workday(cal.local_date(now)):
            # Reminders go out on working days only (a daily cycle timer stays quiet at weekends).
            _remind(session, case, task, timer.note)
    return len(went_off), True


def _fire_platform_timer(session: Session, case: Case, timer: Timer, now: datetime) -> None:
    timer.fired_at = now
    task = session.get(HumanTask, timer.human_task_id) if timer.human_task_id else None
    if timer.kind is TimerKind.SLA_OVERDUE and task is None:
        _case_overdue(session, case)
        return
    if task is None or task.state is not TaskState.OPEN:
        return
    if timer.kind is TimerKind.SLA_WARNING:
        _remind(session, case, task, "assignee_or_group")
        audit.record(session, "task.sla_warning", actor=None, case=case, detail={"task_id": task.id})
    elif timer.kind is TimerKind.SLA_OVERDUE:
        _escalate(session, case, task, 1, reason="overdue")
        days = runtime_settings.escalation_working_days(session)
        session.add(
            Timer(
                case_id=case.id,
                kind=TimerKind.ESCALATION,
                human_task_id=task.id,
                level=2,
                due_at=platform.calendar(session).add_working_days(timer.due_at, days),
                created_at=now,
            )
        )
    elif timer.kind is TimerKind.ESCALATION:
        _escalate(session, case, task, timer.level or 2, reason="still overdue")


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
    """Who may do a task of the applicant side: the users of its performing company, else the
    case's applicant."""
    code = (task.context or {}).get("performer_credit_code")
    if code:
        stmt = select(User).where(User.credit_code == code, User.is_active.is_(True)).order_by(User.id)
        return [u for u in session.scalars(stmt) if not u.is_staff]
    applicant = session.get(User, case.applicant_id) if case.applicant_id else None
    return [applicant] if applicant is not None else []


def _escalation_recipients(session: Session, task: HumanTask, level: int) -> list[User]:
    group = _staff_group(task)
    if level <= 1:
        return notifications.group_members(session, group, supervisors_only=True)
    higher = session.scalar(select(Group.escalates_to).where(Group.slug == group)) or "bureau"
    return notifications.group_members(session, higher)


def _remind(session: Session, case: Case, task: HumanTask, who: str) -> None:
    """A reminder about an open task: to its assignee, else its group (or its supervisors)."""
    if who == "supervisors":
        users = notifications.group_members(session, _staff_group(task), supervisors_only=True)
    elif task.candidate_group == gateway.APPLICANT_GROUP and task.assignee_id is None:
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


def _case_overdue(session: Session, case: Case) -> None:
    if case.status.is_final:
        return
    open_groups = {
        group
        for group in session.scalars(
            select(HumanTask.candidate_group).where(
                HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN
            )
        )
        if group is not None and group != gateway.APPLICANT_GROUP
    }
    users = [
        u for g in sorted(open_groups) for u in notifications.group_members(session, g, supervisors_only=True)
    ]
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
