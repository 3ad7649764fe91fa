"""Rows the administrative procedures write without an engine step: the case's clock moved
(suspended, resumed, extended), the case closed (withdrawn), and the tasks the platform opens
itself. Called by the step path only, under the case's lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind

from . import durations, gateway, platform
from .case_clock import case_due


def move_case_clock(session: Session, case: Case, now: datetime) -> None:
    """After the case's clock stopped, ran again or got more days (no engine step): its due time
    and the timer of its statutory limit follow."""
    case.due_at = case_due(platform.calendar(session), case)
    case.updated_at = now
    unfired = gateway.unfired_timers(session, case.id)
    gateway.sync_case_timer(session, case, now, unfired, [])
    session.flush()


def close_case(session: Session, case: Case, status: CaseStatus, now: datetime) -> None:
    """End the case without an engine step (withdrawn by the applicant): open tasks are cancelled,
    timers stop, the clock's open pauses end, the working days are stored."""
    assert status.is_final
    unfired = gateway.unfired_timers(session, case.id)
    for row in session.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
    ):
        row.state = TaskState.CANCELLED
        row.completed_at = now
        durations.record_task(session, row)
    pauses = [dict(p) for p in (case.clock_pauses or [])]
    for pause in pauses:
        if pause.get("to") is None:
            pause["to"] = now.isoformat()
    case.clock_pauses = pauses
    case.status = status
    case.completed_at = now
    case.updated_at = now
    case.stage, case.stage_en = None, None
    gateway.sync_case_timer(session, case, now, unfired, [])
    durations.record_case(session, case)
    session.flush()


def open_platform_task(
    session: Session,
    case: Case,
    *,
    procedure: str,
    name: str,
    name_en: str,
    group: str,
    time_limit: str | None,
    assignee_id: int | None = None,
    context: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> HumanTask:
    """A task the platform opens for a procedure (not a BPMN user task), with its SLA timers; it
    sits in the inbox like any other and is completed through the step path."""
    now = clock.now()
    due, warn_at = platform.calendar(session).due(now, time_limit)
    due_at = due_at or due
    if due_at is not None and (warn_at is None or warn_at > due_at):
        warn_at = None
    row = HumanTask(
        case_id=case.id,
        case_number=case.number,
        process_key=case.process_key,
        project_name=case.project_name,
        spiff_task_id=f"pf-{uuid4().hex}",
        bpmn_id=f"procedure.{procedure}",
        name=name,
        name_en=name_en,
        candidate_group=group,
        assignee_id=assignee_id,
        state=TaskState.OPEN,
        form_key=f"procedure/{procedure}",
        time_limit=time_limit,
        pauses_clock=False,
        created_at=now,
        claimed_at=now if assignee_id else None,
        due_at=due_at,
        warn_at=warn_at,
        escalation_level=0,
        context={"procedure": procedure, **(context or {})},
        procedure=procedure,
    )
    session.add(row)
    for kind, at in ((TimerKind.SLA_WARNING, warn_at), (TimerKind.SLA_OVERDUE, due_at)):
        if at is not None:
            session.add(Timer(case_id=case.id, kind=kind, human_task=row, due_at=at, created_at=now))
    session.flush()
    return row
