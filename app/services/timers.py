"""Firing what is due: BPMN timers, SLA warnings, overdue escalation (督办).

Timer rows are the source of truth. A wake-up job per case and a periodic sweep both call
:func:`fire_due`; it runs under the case's lock and only touches rows that are still unfired,
so running it twice (or in two workers at once) changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Timer, User

from . import search_index, steps


def due_case_ids(
    session: Session,
    now: datetime | None = None,
    limit: int = 10_000,
    *,
    start: datetime | None = None,
    part: tuple[int, int] | None = None,
) -> list[int]:
    """Cases with at least one due, unfired timer (for the sweep); with ``start``, only timers due
    from ``start`` on (the cases of one wake-up second; ``now`` then excludes its end); with
    ``part`` ``(k, n)``, only cases whose id is ``k`` modulo ``n`` (one batch of a peak)."""
    now = now or clock.now()
    due = Timer.due_at <= now if start is None else (Timer.due_at >= start) & (Timer.due_at < now)
    if part is not None:
        due = due & (Timer.case_id % part[1] == part[0])
    rows = session.scalars(
        select(Timer.case_id)
        .where(Timer.fired_at.is_(None), Timer.cancelled_at.is_(None), due)
        .group_by(Timer.case_id)
        .order_by(Timer.case_id)
        .limit(limit)
    )
    return list(rows)


def lock_batch(session: Session, case_ids: list[int]) -> list[int]:
    """Lock the cases of a batch of firings and read what their firings read, a few statements
    for the whole batch: the cases, their open tasks and unfired timers (``steps.lock_many``), the
    users their tasks are assigned to, their search-index rows and applicants. Returns the ids
    locked; a case left out is locked by another transaction (PostgreSQL), or gone."""
    locked = steps.lock_many(session, case_ids)
    assignees = {t.assignee_id for lk in locked for t in lk.open_tasks if t.assignee_id is not None}
    if assignees:  # reminders and overdue notices name them: kept in this session's identity map
        session.info[_ASSIGNEES] = list(session.scalars(select(User).where(User.id.in_(assignees))))
    search_index.read_ahead(session, [lk.case for lk in locked])
    return [lk.case.id for lk in locked]


_ASSIGNEES = "timer_batch_assignees"  # Session.info: strong references (the identity map is weak)


def fire_due(session: Session, case_id: int) -> int:
    """Fire every due timer of one case (through the step path). Returns how many fired.
    Flushes, never commits."""
    return steps.advance(session, steps.FireTimers(case_id)).fired


def due_unfired(session: Session, now: datetime | None = None) -> tuple[int, datetime | None]:
    """How many timers are due and still unfired, and the earliest due time among them (the
    metrics' backlog: a few for a second or two is normal, many for minutes means no worker)."""
    now = now or clock.now()
    count, oldest = session.execute(
        select(func.count(), func.min(Timer.due_at)).where(
            Timer.fired_at.is_(None), Timer.cancelled_at.is_(None), Timer.due_at <= now
        )
    ).one()
    return int(count), oldest
