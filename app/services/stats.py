"""Figures computed in SQL from case and human_task rows (never by loading workflows).

The bureau's statistics (DOMAIN.md, "Statistics the bureau asks for") are :func:`bureau_stats`.

Definitions (the ones the report, the API and the CSV export all use):

* **Working days** (用时 N 个工作日) are whole working days, counted like every time limit of the
  platform (期限自次日起算): the working days from the day *after* the start up to and including
  the day of the end, in local time (``WorkCalendar.working_days_between``), with statutory
  holidays excluded and make-up working days (调休) included. Work started and finished on the
  same day takes 0 working days; started on a Friday and finished the next Monday, 1.
* A **case's** working days run from its submission to its completion, minus the working days of
  its clock stops (``case.clock_pauses``, each counted the same way); never below 0. This is the
  ``working_days_used`` the case page shows.
* A **task's** working days run from its creation to its completion.
* **Average** is the arithmetic mean rounded to 2 decimals; the **90th percentile** is the
  nearest-rank value: of the n values sorted ascending, the one at rank ceil(0.9 × n).
* The **period** ``start``..``end`` is a range of local dates, both included (Asia/Shanghai by
  default). Cases *received* were submitted in it; cases *completed* (approved, rejected or
  closed) and tasks *completed* finished in it.
* **On-time rate**: of the tasks completed in the period that had a due time, the share completed
  at or before it (``completed_at <= due_at``), rounded to 4 decimals; null when there are none.
* **Overdue**: tasks completed in the period after their due time, plus tasks still open whose
  due time fell in the period and has passed. **Escalated**: of those same tasks (completed in the
  period, or open and past a due time in the period), the ones with ``escalation_level > 0``.
  Cancelled tasks count nowhere.
* **Group** filter: tasks of that candidate group; case figures count the cases in which the group
  had at least one task.
* **Complaints**: for processes whose key contains ``complaint``: answer time is the average
  case working days of the complaints completed in the period; satisfaction is, of those rated
  (``data.rating`` is ``satisfied`` or ``not_satisfied``), the share rated ``satisfied``. Both are
  null for other processes and when nothing was completed or rated.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Text, and_, cast, exists, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseStatus, HumanTask, ProcessVersion, TaskState

from . import platform
from .calendar import WorkCalendar

RATED = ("satisfied", "not_satisfied")


def open_tasks_by_step(session: Session, process_key: str) -> dict[str, dict[str, int]]:
    """Open tasks per BPMN task id of a process: how many wait, how many are overdue."""
    now = clock.now()
    rows = session.execute(
        select(
            HumanTask.bpmn_id,
            func.count(),
            func.sum(when((HumanTask.due_at < now, 1), else_=0)),
        )
        .where(HumanTask.process_key == process_key, HumanTask.state == TaskState.OPEN)
        .group_by(HumanTask.bpmn_id)
    )
    return {bpmn_id: {"waiting": int(n), "overdue": int(late or 0)} for bpmn_id, n, late in rows}


@dataclass
class TaskFigures:
    """Task figures of one step or one group in the period."""

    tasks_completed: int = 0
    average_working_days: float | None = None
    p90_working_days: int | None = None
    on_time_rate: float | None = None
    overdue: int = 0
    escalated: int = 0
    # Completed tasks that had a due time, and of those the ones on time (for the rate).
    with_due: int = 0
    on_time: int = 0

    def add(self, other: TaskFigures) -> None:
        self.tasks_completed += other.tasks_completed
        self.overdue += other.overdue
        self.escalated += other.escalated
        self.with_due += other.with_due
        self.on_time += other.on_time

    def finish(self, days: list[int]) -> None:
        self.average_working_days, self.p90_working_days = average(days), p90(days)
        self.on_time_rate = round(self.on_time / self.with_due, 4) if self.with_due else None


@dataclass
class StepStats(TaskFigures):
    process: str = ""
    bpmn_id: str = ""
    name: str = ""
    name_en: str = ""


@dataclass
class GroupStats(TaskFigures):
    group: str | None = None


@dataclass
class ProcessStats:
    """A process's case figures, and the task figures summed over its steps."""

    process: str = ""
    name: str | None = None
    name_en: str | None = None
    cases_received: int = 0
    cases_completed: int = 0
    cases_approved: int = 0
    cases_rejected: int = 0
    case_average_working_days: float | None = None
    case_p90_working_days: int | None = None
    tasks_completed: int = 0
    on_time_rate: float | None = None
    overdue: int = 0
    escalated: int = 0
    complaint_answer_working_days: float | None = None
    complaint_satisfaction: float | None = None


@dataclass
class Totals(ProcessStats):
    """All processes together (the dashboard's tiles). Averages and percentiles are taken over
    every case and task, not averaged over processes. ``open_tasks``, ``overdue_now`` and
    ``escalated_now`` are the open tasks at ``generated_at`` (whatever the period), of which
    past their due time, and of those escalated (督办)."""

    open_tasks: int = 0
    overdue_now: int = 0
    escalated_now: int = 0


@dataclass
class StatsReport:
    start: date | None
    end: date | None
    process: str | None
    group: str | None
    generated_at: datetime
    processes: list[ProcessStats] = field(default_factory=list)
    steps: list[StepStats] = field(default_factory=list)
    groups: list[GroupStats] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


def average(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def p90(values: list[int]) -> int | None:
    """The 90th percentile by the nearest-rank method (ceil(0.9 n)-th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(0.9 * len(ordered))) - 1]


class WorkingDays:
    """``WorkCalendar.working_days_between`` for many rows: cumulative counts of working days,
    so each row costs two look-ups instead of a walk over its dates."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self._origin = date.min
        self._cumulative: list[int] = []  # [i]: working days in (origin, origin + i days]

    def _cover(self, day: date) -> None:
        if not self._cumulative:
            self._origin, self._cumulative = day, [0]
        elif day < self._origin:
            # Counts are relative to the origin: start again from the earlier day.
            last = self._origin + timedelta(days=len(self._cumulative) - 1)
            self._origin, self._cumulative = day, [0]
            self._extend(last)
        self._extend(day)

    def _extend(self, day: date) -> None:
        while len(self._cumulative) <= (day - self._origin).days:
            following = self._origin + timedelta(days=len(self._cumulative))
            self._cumulative.append(self._cumulative[-1] + int(self.calendar.is_workday(following)))

    def between(self, start: datetime, end: datetime) -> int:
        return self.between_days(self.calendar.local_date(start), self.calendar.local_date(end))

    def between_days(self, first: date, last: date) -> int:
        """Working days after local day ``first`` up to and including ``last``."""
        if last <= first:
            return 0
        self._cover(first)
        self._cover(last)
        return self._cumulative[(last - self._origin).days] - self._cumulative[(first - self._origin).days]

    def case_days(self, submitted: datetime, completed: datetime, pauses: Iterable[Any]) -> int:
        paused = 0
        for pause in pauses or []:
            begin = _moment(pause.get("from")) if isinstance(pause, dict) else None
            if begin is None:
                continue
            stop = _moment(pause.get("to")) or completed
            paused += self.between(begin, min(stop, completed))
        return max(self.between(submitted, completed) - paused, 0)


@functools.cache
def _fixed_offset_minutes(timezone: str) -> int | None:
    """The zone's UTC offset in minutes when it has been the same since 1992 and stays so (no
    daylight saving: Asia/Shanghai), else None."""
    zone = ZoneInfo(timezone)
    offsets = {
        datetime(year, month, 1, 12, tzinfo=zone).utcoffset()
        for year in range(1992, 2101)
        for month in (1, 7)
    }
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return None if offset is None else int(offset.total_seconds() // 60)


def _local_day(session: Session, calendar: WorkCalendar) -> Any:
    """A function giving the SQL expression of a timestamp column's local day, or None when the
    database cannot compute it (then rows are counted one by one in Python).

    PostgreSQL converts by the zone's name; SQLite, for a zone with a fixed UTC offset
    (Asia/Shanghai), gives the whole number of days since 1970-01-01."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return lambda column: func.date(func.timezone(calendar.timezone, column))
    minutes = _fixed_offset_minutes(calendar.timezone)
    if minutes is not None and dialect == "sqlite":
        # julianday() counts days from noon, 24 November 4714 BC; 2440587.5 is 1970-01-01 00:00.
        shift = 2440587.5 - minutes / 1440
        return lambda column: cast(func.julianday(column) - shift, Integer)
    return None


EPOCH = date(1970, 1, 1)


def _day(value: Any) -> date:
    """A local day from the database: days since 1970-01-01, a date, or ISO text."""
    if isinstance(value, int | float):
        return EPOCH + timedelta(days=int(value))
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _moment(value: Any) -> datetime | None:
    """An aware timestamp from a pause's ISO text (naive text is UTC); None when unreadable."""
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _bounds(calendar: WorkCalendar, start: date | None, end: date | None) -> tuple[Any, Any]:
    begin = datetime.combine(start, time(0), calendar.tz).astimezone(UTC) if start else None
    stop = datetime.combine(end + timedelta(days=1), time(0), calendar.tz).astimezone(UTC) if end else None
    return begin, stop


def _within(column: Any, begin: datetime | None, stop: datetime | None) -> ColumnElement[bool]:
    conditions = [column.is_not(None)]
    if begin is not None:
        conditions.append(column >= begin)
    if stop is not None:
        conditions.append(column < stop)
    return and_(*conditions)


def bureau_stats(
    session: Session,
    *,
    process: str | None = None,
    group: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> StatsReport:
    """The bureau's statistics for the period ``start``..``end`` (local dates, both included;
    either may be open), optionally for one process key and one candidate group.

    See the module docstring for the exact definitions.
    """
    if start and end and start > end:
        raise ValueError("start must not be after end")
    calendar = platform.calendar(session)
    days = WorkingDays(calendar)
    now = clock.now()
    begin, stop = _bounds(calendar, start, end)
    report = StatsReport(start=start, end=end, process=process, group=group, generated_at=now)

    # --- cases -------------------------------------------------------------------------
    case_filters: list[ColumnElement[bool]] = []
    if process is not None:
        case_filters.append(Case.process_key == process)
    if group is not None:
        case_filters.append(exists().where(HumanTask.case_id == Case.id, HumanTask.candidate_group == group))
    per_process: dict[str, ProcessStats] = {}

    def entry(key: str) -> ProcessStats:
        if key not in per_process:
            per_process[key] = ProcessStats(process=key)
        return per_process[key]

    received = session.execute(
        select(Case.process_key, func.count())
        .where(_within(Case.submitted_at, begin, stop), *case_filters)
        .group_by(Case.process_key)
    )
    for key, count in received:
        entry(key).cases_received = int(count)

    final = [CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED]
    completed_filter = and_(_within(Case.completed_at, begin, stop), Case.status.in_(final), *case_filters)
    rating = Case.data["rating"].as_string()
    approved = func.sum(when((Case.status == CaseStatus.APPROVED, 1), else_=0))
    rejected = func.sum(when((Case.status == CaseStatus.REJECTED, 1), else_=0))
    rated = func.sum(when((rating.in_(RATED), 1), else_=0))
    satisfied = func.sum(when((rating == "satisfied", 1), else_=0))
    case_days: dict[str, list[int]] = defaultdict(list)
    satisfaction: dict[str, tuple[int, int]] = {}
    local_day = _local_day(session, calendar)

    def count_completed(key: str, n: Any, n_approved: Any, n_rejected: Any, n_rated: Any, n_sat: Any) -> None:
        item = entry(key)
        item.cases_completed += int(n)
        item.cases_approved += int(n_approved or 0)
        item.cases_rejected += int(n_rejected or 0)
        if "complaint" in key:
            before = satisfaction.get(key, (0, 0))
            satisfaction[key] = (before[0] + int(n_rated or 0), before[1] + int(n_sat or 0))

    if local_day is not None:
        # One pass, grouped by the pair of local days: a year of cases is a few thousand pairs,
        # not a hundred thousand rows. Cases with clock stops are counted one by one below.
        paused = when(
            (or_(Case.clock_pauses.is_(None), cast(Case.clock_pauses, Text).in_(["[]", "null"])), 0), else_=1
        )
        first, last = local_day(Case.submitted_at), local_day(Case.completed_at)
        for key, first_day, last_day, has_pauses, n, *sums in session.execute(
            select(Case.process_key, first, last, paused, func.count(), approved, rejected, rated, satisfied)
            .where(completed_filter)
            .group_by(Case.process_key, first, last, paused)
        ):
            count_completed(key, n, *sums)
            if not has_pauses:
                case_days[key].extend([days.between_days(_day(first_day), _day(last_day))] * int(n))
        row_by_row = and_(completed_filter, paused == 1)
    else:
        for key, n, *sums in session.execute(
            select(Case.process_key, func.count(), approved, rejected, rated, satisfied)
            .where(completed_filter)
            .group_by(Case.process_key)
        ):
            count_completed(key, n, *sums)
        row_by_row = completed_filter
    for key, submitted_at, completed_at, pauses in session.execute(
        select(Case.process_key, Case.submitted_at, Case.completed_at, Case.clock_pauses).where(row_by_row)
    ):
        case_days[key].append(days.case_days(submitted_at, completed_at, pauses))

    # --- tasks -------------------------------------------------------------------------
    task_filters: list[ColumnElement[bool]] = []
    if process is not None:
        task_filters.append(HumanTask.process_key == process)
    if group is not None:
        task_filters.append(HumanTask.candidate_group == group)
    done_in_period = and_(
        HumanTask.state == TaskState.COMPLETED, _within(HumanTask.completed_at, begin, stop)
    )
    open_late = and_(
        HumanTask.state == TaskState.OPEN, _within(HumanTask.due_at, begin, stop), HumanTask.due_at < now
    )
    late = or_(
        and_(done_in_period, HumanTask.completed_at > HumanTask.due_at),
        open_late,
    )
    with_due = and_(done_in_period, HumanTask.due_at.is_not(None))

    def count_of(condition: ColumnElement[bool]) -> Any:
        return func.sum(when((condition, 1), else_=0))

    step_key = (HumanTask.process_key, HumanTask.bpmn_id, HumanTask.candidate_group)
    figure_columns = (
        func.max(HumanTask.name),
        func.max(HumanTask.name_en),
        count_of(done_in_period),
        count_of(with_due),
        count_of(and_(with_due, HumanTask.completed_at <= HumanTask.due_at)),
        count_of(late),
        count_of(HumanTask.escalation_level > 0),
    )
    steps: dict[tuple[str, str], StepStats] = {}
    process_tasks: dict[str, TaskFigures] = defaultdict(TaskFigures)
    groups: dict[str | None, GroupStats] = {}
    step_days: dict[tuple[str, str], list[int]] = defaultdict(list)
    group_days: dict[str | None, list[int]] = defaultdict(list)

    def add_figures(
        key: str, bpmn_id: str, candidate: str | None, name: str, name_en: str, *counts: Any
    ) -> None:
        n_done, n_due, n_on_time, n_late, n_esc = (int(c or 0) for c in counts)
        figures = TaskFigures(
            tasks_completed=n_done, with_due=n_due, on_time=n_on_time, overdue=n_late, escalated=n_esc
        )
        step = steps.setdefault(
            (key, bpmn_id), StepStats(process=key, bpmn_id=bpmn_id, name=name, name_en=name_en)
        )
        step.add(figures)
        groups.setdefault(candidate, GroupStats(group=candidate)).add(figures)
        process_tasks[key].add(figures)

    def add_days(key: str, bpmn_id: str, candidate: str | None, spent: list[int]) -> None:
        step_days[(key, bpmn_id)].extend(spent)
        group_days[candidate].extend(spent)

    if local_day is not None:
        # Completed tasks in one pass grouped by the pair of local days (see the cases above),
        # then the open overdue ones.
        first, last = local_day(HumanTask.created_at), local_day(HumanTask.completed_at)
        summed: dict[tuple[str, str, str | None], list[Any]] = {}
        for key, bpmn_id, candidate, first_day, last_day, name, name_en, *counts in session.execute(
            select(*step_key, first, last, *figure_columns)
            .where(done_in_period, *task_filters)
            .group_by(*step_key, first, last)
        ):
            total = summed.setdefault((key, bpmn_id, candidate), [name, name_en, 0, 0, 0, 0, 0])
            for i, count in enumerate(counts, start=2):
                total[i] += int(count or 0)
            spent = days.between_days(_day(first_day), _day(last_day))
            add_days(key, bpmn_id, candidate, [spent] * int(counts[0]))
        for (key, bpmn_id, candidate), total in summed.items():
            add_figures(key, bpmn_id, candidate, *total)
        for row in session.execute(
            select(*step_key, *figure_columns).where(open_late, *task_filters).group_by(*step_key)
        ):
            add_figures(*row)
    else:
        for row in session.execute(
            select(*step_key, *figure_columns)
            .where(or_(done_in_period, open_late), *task_filters)
            .group_by(*step_key)
        ):
            add_figures(*row)
        for key, bpmn_id, candidate, created_at, completed_at in session.execute(
            select(*step_key, HumanTask.created_at, HumanTask.completed_at).where(
                done_in_period, *task_filters
            )
        ):
            add_days(key, bpmn_id, candidate, [days.between(created_at, completed_at)])

    # --- assemble ----------------------------------------------------------------------
    for key in list(process_tasks):
        entry(key)
    names = {
        key: (name, name_en)
        for key, name, name_en in session.execute(
            select(ProcessVersion.key, ProcessVersion.name, ProcessVersion.name_en).where(
                ProcessVersion.is_current.is_(True), ProcessVersion.key.in_(list(per_process))
            )
        )
    }
    for key, item in per_process.items():
        item.name, item.name_en = names.get(key, (None, None))
        totals = process_tasks[key]
        totals.finish([])
        item.tasks_completed, item.on_time_rate = totals.tasks_completed, totals.on_time_rate
        item.overdue, item.escalated = totals.overdue, totals.escalated
        item.case_average_working_days = average(case_days[key])
        item.case_p90_working_days = p90(case_days[key])
        if "complaint" in key:
            item.complaint_answer_working_days = average(case_days[key])
            n_rated, n_satisfied = satisfaction.get(key, (0, 0))
            item.complaint_satisfaction = round(n_satisfied / n_rated, 4) if n_rated else None
    for step_id, step in steps.items():
        step.finish(step_days[step_id])
    for candidate, group_stats in groups.items():
        group_stats.finish(group_days[candidate])

    report.totals = _totals(session, per_process, groups, case_days, satisfaction, process, group, now)
    report.processes = sorted(per_process.values(), key=lambda p: p.process)
    report.steps = sorted(steps.values(), key=lambda s: (s.process, s.bpmn_id))
    report.groups = sorted(groups.values(), key=lambda g: (g.group is None, g.group or ""))
    return report


def _totals(
    session: Session,
    per_process: dict[str, ProcessStats],
    groups: dict[str | None, GroupStats],
    case_days: dict[str, list[int]],
    satisfaction: dict[str, tuple[int, int]],
    process: str | None,
    group: str | None,
    now: datetime,
) -> Totals:
    totals = Totals(process="", name="全部", name_en="All")
    for item in per_process.values():
        totals.cases_received += item.cases_received
        totals.cases_completed += item.cases_completed
        totals.cases_approved += item.cases_approved
        totals.cases_rejected += item.cases_rejected
    tasks = TaskFigures()
    for figures in groups.values():
        tasks.add(figures)
    tasks.finish([])
    totals.tasks_completed, totals.on_time_rate = tasks.tasks_completed, tasks.on_time_rate
    totals.overdue, totals.escalated = tasks.overdue, tasks.escalated
    every_case = [n for values in case_days.values() for n in values]
    totals.case_average_working_days, totals.case_p90_working_days = average(every_case), p90(every_case)
    complaint_days = [n for key, values in case_days.items() if "complaint" in key for n in values]
    totals.complaint_answer_working_days = average(complaint_days)
    rated = sum(r for r, _ in satisfaction.values())
    totals.complaint_satisfaction = (
        round(sum(s for _, s in satisfaction.values()) / rated, 4) if rated else None
    )
    filters: list[ColumnElement[bool]] = [HumanTask.state == TaskState.OPEN]
    if process is not None:
        filters.append(HumanTask.process_key == process)
    if group is not None:
        filters.append(HumanTask.candidate_group == group)
    late = and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    open_tasks, overdue_now, escalated_now = session.execute(
        select(
            func.count(),
            func.sum(when((late, 1), else_=0)),
            func.sum(when((and_(late, HumanTask.escalation_level > 0), 1), else_=0)),
        ).where(*filters)
    ).one()
    totals.open_tasks, totals.overdue_now = int(open_tasks or 0), int(overdue_now or 0)
    totals.escalated_now = int(escalated_now or 0)
    return totals


@dataclass
class TrendPoint:
    """One period of the trend: cases received and completed in it, and of the tasks completed
    in it that had a due time, how many were on time (``on_time_rate`` as in the report)."""

    start: date
    end: date
    cases_received: int = 0
    cases_completed: int = 0
    with_due: int = 0
    on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.with_due, 4) if self.with_due else None


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
    with the filters and definitions of :func:`bureau_stats`. Three queries, grouped by local day
    (or, where the database cannot tell local days, one sum per period)."""
    if start > end:
        raise ValueError("start must not be after end")
    calendar = platform.calendar(session)
    unit, buckets = trend_buckets(start, end)
    points = [TrendPoint(first, last) for first, last in buckets]
    bounds = [_bounds(calendar, first, last) for first, last in buckets]
    low, high = bounds[0][0], bounds[-1][1]

    def per_bucket(column: Any, condition: ColumnElement[bool] | None = None) -> list[Any]:
        return [
            func.sum(
                when(
                    (and_(column >= b, column < e, *([condition] if condition is not None else [])), 1),
                    else_=0,
                )
            )
            for b, e in bounds
        ]

    case_filters: list[ColumnElement[bool]] = []
    if process is not None:
        case_filters.append(Case.process_key == process)
    if group is not None:
        case_filters.append(exists().where(HumanTask.case_id == Case.id, HumanTask.candidate_group == group))
    final = [CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED]
    task_filters: list[ColumnElement[bool]] = [
        HumanTask.state == TaskState.COMPLETED,
        HumanTask.due_at.is_not(None),
        _within(HumanTask.completed_at, low, high),
    ]
    if process is not None:
        task_filters.append(HumanTask.process_key == process)
    if group is not None:
        task_filters.append(HumanTask.candidate_group == group)
    on_time = when((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0)
    received_where = and_(_within(Case.submitted_at, low, high), *case_filters)
    completed_where = and_(_within(Case.completed_at, low, high), Case.status.in_(final), *case_filters)
    local_day = _local_day(session, calendar)
    if local_day is not None:
        # Per local day (at most a few hundred rows), then into the periods.
        starts = [first for first, _ in buckets]

        def per_day(column: Any, where: ColumnElement[bool], *sums: Any) -> Iterable[tuple[int, Any]]:
            day = local_day(column)
            for row in session.execute(select(day, func.count(), *sums).where(where).group_by(day)):
                yield bisect.bisect_right(starts, _day(row[0])) - 1, row

        for i, row in per_day(Case.submitted_at, received_where):
            points[i].cases_received += int(row[1])
        for i, row in per_day(Case.completed_at, completed_where):
            points[i].cases_completed += int(row[1])
        for i, row in per_day(HumanTask.completed_at, and_(*task_filters), func.sum(on_time)):
            points[i].with_due += int(row[1])
            points[i].on_time += int(row[2] or 0)
        return unit, points

    received = session.execute(select(*per_bucket(Case.submitted_at)).where(received_where)).one()
    completed = session.execute(select(*per_bucket(Case.completed_at)).where(completed_where)).one()
    tasks = session.execute(
        select(
            *per_bucket(HumanTask.completed_at),
            *per_bucket(HumanTask.completed_at, HumanTask.completed_at <= HumanTask.due_at),
        ).where(*task_filters)
    ).one()
    n = len(points)
    for i, point in enumerate(points):
        point.cases_received, point.cases_completed = int(received[i] or 0), int(completed[i] or 0)
        point.with_due, point.on_time = int(tasks[i] or 0), int(tasks[n + i] or 0)
    return unit, points
