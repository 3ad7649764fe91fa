"""What a figure of the dashboard is made of: the cases or tasks behind one tile or chart bar, with
the same filters and the same definitions as the figure (app/services/stats.py), so a leader who
clicks "overdue: 7" sees those seven."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden
from app.models import Case, CaseStatus, HumanTask, TaskState, User

from . import district_map, platform, stats_access
from .stats_cases import FINAL
from .stats_sql import bounds, case_filters, task_filters, within

LIMIT = 200  # rows listed; the count says how many there are in all


class Metric(enum.StrEnum):
    """The figures that drill down (the tiles' and bars' names in the report)."""

    CASES_RECEIVED = "cases_received"
    CASES_COMPLETED = "cases_completed"
    CASES_APPROVED = "cases_approved"
    CASES_REJECTED = "cases_rejected"
    TASKS_COMPLETED = "tasks_completed"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    OPEN_TASKS = "open_tasks"
    OVERDUE_NOW = "overdue_now"
    CASES_OPEN = "cases_open"  # the district map's figures: open now, whatever the period
    CASES_OPEN_ORDERS = "cases_open_orders"

    @property
    def of_cases(self) -> bool:
        return self.value.startswith("cases_")


@dataclass(frozen=True)
class DrillFilters:
    process: str | None
    group: str | None
    start: date | None
    end: date | None
    step: str | None = None  # a BPMN task id (the per-step chart), tasks only
    district: str | None = None  # a district code (the map), cases and tasks


@dataclass(frozen=True)
class DrillList:
    """The rows behind one figure: cases or tasks (one of the two lists is empty)."""

    metric: Metric
    total: int
    cases: list[Case]
    tasks: list[HumanTask]


def drill_down(session: Session, user: User | None, metric: Metric, filters: DrillFilters) -> DrillList:
    """The cases or tasks behind ``metric`` under ``filters``, most recent first, at most LIMIT."""
    if not stats_access.may_see_stats(user):
        raise Forbidden(stats_access.REFUSED)
    begin, stop = bounds(platform.calendar(session), filters.start, filters.end)
    places = [district_map.in_district(filters.district)] if filters.district else []
    if metric.of_cases:
        condition = _case_condition(metric, begin, stop, district_map.order_processes(session))
        where = and_(*case_filters(filters.process, filters.group), *places, condition)
        total = session.scalar(select(func.count()).select_from(Case).where(where)) or 0
        by_start = metric in (Metric.CASES_RECEIVED, Metric.CASES_OPEN, Metric.CASES_OPEN_ORDERS)
        order = Case.submitted_at if by_start else Case.completed_at
        found = session.scalars(select(Case).where(where).order_by(order.desc(), Case.id.desc()).limit(LIMIT))
        return DrillList(metric, int(total), list(found), [])
    conditions = task_filters(filters.process, filters.group)
    if filters.step:
        conditions.append(HumanTask.bpmn_id == filters.step)
    if places:
        conditions.append(HumanTask.case_id.in_(select(Case.id).where(*places)))
    where = and_(*conditions, _task_condition(metric, begin, stop))
    total = session.scalar(select(func.count()).select_from(HumanTask).where(where)) or 0
    rows = session.scalars(
        select(HumanTask)
        .where(where)
        .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)
        .limit(LIMIT)
    )
    return DrillList(metric, int(total), [], list(rows))


def _case_condition(metric: Metric, begin: Any, stop: Any, orders: list[str]) -> ColumnElement[bool]:
    if metric is Metric.CASES_RECEIVED:
        return within(Case.submitted_at, begin, stop)
    if metric is Metric.CASES_OPEN:
        return Case.status.in_(district_map.OPEN)
    if metric is Metric.CASES_OPEN_ORDERS:
        return and_(Case.status.in_(district_map.OPEN), Case.process_key.in_(orders))
    statuses = {
        Metric.CASES_COMPLETED: FINAL,
        Metric.CASES_APPROVED: [CaseStatus.APPROVED],
        Metric.CASES_REJECTED: [CaseStatus.REJECTED],
    }[metric]
    return and_(within(Case.completed_at, begin, stop), Case.status.in_(statuses))


def _task_condition(metric: Metric, begin: Any, stop: Any) -> ColumnElement[bool]:
    now = clock.now()
    is_open = HumanTask.state == TaskState.OPEN
    late_now = and_(is_open, HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    if metric is Metric.OPEN_TASKS:
        return is_open
    if metric is Metric.OVERDUE_NOW:
        return late_now
    done = and_(HumanTask.state == TaskState.COMPLETED, within(HumanTask.completed_at, begin, stop))
    if metric is Metric.TASKS_COMPLETED:
        return done
    # Overdue in the period: completed after the due time, or open past a due time in the period.
    late_done = and_(done, HumanTask.due_at.is_not(None), HumanTask.completed_at > HumanTask.due_at)
    late_open = and_(late_now, within(HumanTask.due_at, begin, stop))
    late = or_(late_done, late_open)
    return and_(late, HumanTask.escalation_level > 0) if metric is Metric.ESCALATED else late
