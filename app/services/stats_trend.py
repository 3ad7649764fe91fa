"""The statistics' trend: cases received and completed and the on-time rate per period, with the
filters and definitions of the report (app/services/stats.py)."""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, union_all
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus, HumanTask, TaskState

from . import platform
from .stats_figures import TrendPoint
from .stats_sql import bounds, case_filters, index_reads, task_filters, within

MAX_TREND_POINTS = 60


def trend_buckets(start: date, end: date) -> tuple[str, list[tuple[date, date]]]:
    """The periods of a trend from ``start`` to ``end`` (both included): days for up to a month,
    weeks (from Monday) for up to half a year, else calendar months; at most
    :data:`MAX_TREND_POINTS` (the latest ones)."""
    span = (end - start).days + 1
    buckets: list[tuple[date, date]] = []
    if span <= 31:
        unit = "day"
        buckets = [(start + timedelta(days=i), start + timedelta(days=i)) for i in range(span)]
    elif span <= 183:
        unit = "week"
        first = start - timedelta(days=start.weekday())
        while first <= end:
            buckets.append((max(first, start), min(first + timedelta(days=6), end)))
            first += timedelta(days=7)
    else:
        unit = "month"
        first = start.replace(day=1)
        while first <= end:
            following = (first + timedelta(days=32)).replace(day=1)
            buckets.append((max(first, start), min(following - timedelta(days=1), end)))
            first = following
    return unit, buckets[-MAX_TREND_POINTS:]


def trend(
    session: Session, *, process: str | None = None, group: str | None = None, start: date, end: date
) -> tuple[str, list[TrendPoint]]:
    """Cases received and completed and the on-time rate per period (see :func:`trend_buckets`),
    with the filters and definitions of :func:`app.services.stats.bureau_stats`. Each figure is
    one statement of counts per period, each an index range of its own (no sort of a year of rows)."""
    if start > end:
        raise ValueError("start must not be after end")
    with index_reads(session):
        return _trend(session, process=process, group=group, start=start, end=end)


Bounds = list[tuple[datetime, datetime]]


def _per_period(
    session: Session, periods: Bounds, column: Any, *where: ColumnElement[bool], of: Any = None
) -> list[tuple[int, int]]:
    """Per period: how many rows, and of those how many meet ``of`` (when given)."""
    among = func.sum(when((of, 1), else_=0)) if of is not None else literal(0)
    parts = [
        select(literal(i).label("i"), func.count().label("n"), among.label("k")).where(
            column >= b, column < e, *where
        )
        for i, (b, e) in enumerate(periods)
    ]
    counts = [(0, 0)] * len(periods)
    for i, n, k in session.execute(union_all(*parts)):
        counts[int(i)] = (int(n), int(k or 0))
    return counts


def _trend(
    session: Session, *, process: str | None, group: str | None, start: date, end: date
) -> tuple[str, list[TrendPoint]]:
    calendar = platform.calendar(session)
    unit, buckets = trend_buckets(start, end)
    points = [TrendPoint(first, last) for first, last in buckets]
    periods: Bounds = [bounds(calendar, first, last) for first, last in buckets]
    cases = case_filters(process, group)
    final = [CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED]
    tasks = [HumanTask.state == TaskState.COMPLETED, *task_filters(process, group)]
    received = _per_period(session, periods, Case.submitted_at, *cases)
    completed = _per_period(session, periods, Case.completed_at, Case.status.in_(final), *cases)
    # The stored on_time is null exactly when there was no due time (or before it was stored). IN
    # (not IS NOT NULL) keeps each period two ranges of ix_human_task_stats_on_time.
    due = _per_period(
        session,
        periods,
        HumanTask.completed_at,
        HumanTask.on_time.in_([True, False]),
        *tasks,
        of=HumanTask.on_time.is_(True),
    )
    for i, point in enumerate(points):
        point.cases_received, point.cases_completed = received[i][0], completed[i][0]
        point.with_due, point.on_time = due[i]
    _count_unstored_on_time(session, periods, points, tasks)
    return unit, points


def _count_unstored_on_time(
    session: Session, periods: Bounds, points: list[TrendPoint], tasks: list[ColumnElement[bool]]
) -> None:
    """Tasks completed before on_time was stored (until `flask stats backfill`): one by one."""
    starts = [b for b, _ in periods]
    low, high = periods[0][0], periods[-1][1]
    for done_at, due_at in session.execute(
        select(HumanTask.completed_at, HumanTask.due_at).where(
            *tasks,
            HumanTask.on_time.is_(None),  # null with working_days: ix_human_task_stats_on_time
            HumanTask.working_days.is_(None),
            HumanTask.due_at.is_not(None),
            within(HumanTask.completed_at, low, high),
        )
    ):
        point = points[bisect.bisect_right(starts, done_at) - 1]
        point.with_due += 1
        point.on_time += int(done_at <= due_at)
