"""SQL building blocks the statistics share: period bounds, index-friendly filters, planner
settings, and the filters of a report (process, group)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, literal_column, text
from sqlalchemy.orm import Session

from app.models import Case, HumanTask

from .calendar import WorkCalendar


def unindexed(column: Any) -> Any:
    """``column`` as SQLite's ``+column``: a period filter on it then uses no index of its own, so
    SQLite reads the statistics' grouping index in order (no sort of a year of rows); other
    databases plan that alone. Compared values still go through the column's type."""
    table = column.table.name
    return literal_column(f'+"{table}".{column.name}', type_=column.type)


@contextlib.contextmanager
def index_reads(session: Session) -> Iterator[None]:
    """On PostgreSQL, plan the statistics' statements for index-only scans of their covering
    indexes (ix_human_task_stats_steps, ix_case_stats_days, ...), which are read in order and
    grouped without hashing. With the default random_page_cost (4, priced for spinning disks) the
    planner reads the whole table and hashes every row instead: over a year of a busy bureau
    more than twice as slow. The setting is local to the transaction and put back afterwards."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = session.execute(text("SELECT current_setting('random_page_cost')")).scalar_one()
    session.execute(text("SELECT set_config('random_page_cost', '1.1', true)"))
    yield
    session.execute(text("SELECT set_config('random_page_cost', :value, true)"), {"value": previous})


def bounds(calendar: WorkCalendar, start: date | None, end: date | None) -> tuple[Any, Any]:
    begin = datetime.combine(start, time(0), calendar.tz).astimezone(UTC) if start else None
    stop = datetime.combine(end + timedelta(days=1), time(0), calendar.tz).astimezone(UTC) if end else None
    return begin, stop


def within(column: Any, begin: datetime | None, stop: datetime | None) -> ColumnElement[bool]:
    conditions = [column.is_not(None)]
    if begin is not None:
        conditions.append(column >= begin)
    if stop is not None:
        conditions.append(column < stop)
    return and_(*conditions)


def case_filters(process: str | None, group: str | None) -> list[ColumnElement[bool]]:
    """Cases of the process, and cases in which the group had at least one task."""
    filters: list[ColumnElement[bool]] = []
    if process is not None:
        filters.append(Case.process_key == process)
    if group is not None:
        filters.append(exists().where(HumanTask.case_id == Case.id, HumanTask.candidate_group == group))
    return filters


def task_filters(process: str | None, group: str | None) -> list[ColumnElement[bool]]:
    """Tasks of the process and of the candidate group."""
    filters: list[ColumnElement[bool]] = []
    if process is not None:
        filters.append(HumanTask.process_key == process)
    if group is not None:
        filters.append(HumanTask.candidate_group == group)
    return filters
