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
  (``data.rating``, stored as ``case.rating``, is ``satisfied`` or ``not_satisfied``), the share
  rated ``satisfied``. Both are null for other processes and when nothing was completed or rated.
"""

from __future__ import annotations

import bisect
import contextlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, literal_column, select, text, union_all
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseStatus, HumanTask, ProcessVersion, TaskState

from . import platform
from .calendar import WorkCalendar
from .durations import RATED, WorkingDays, task_facts

__all__ = ["WorkingDays", "average", "bureau_stats", "p90", "trend"]


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

    def finish(self, days: Counter[int]) -> None:
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


def average(values: list[int] | Counter[int]) -> float | None:
    """The mean of the values (a list, or a count per value), rounded to 2 decimals."""
    counts = values if isinstance(values, Counter) else Counter(values)
    n = sum(counts.values())
    return round(sum(value * k for value, k in counts.items()) / n, 2) if n else None


def p90(values: list[int] | Counter[int]) -> int | None:
    """The 90th percentile by the nearest-rank method (ceil(0.9 n)-th smallest) of the values (a
    list, or a count per value)."""
    counts = values if isinstance(values, Counter) else Counter(values)
    n = sum(counts.values())
    if not n:
        return None
    rank, seen = max(1, math.ceil(0.9 * n)), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to n")


def _name_steps(session: Session, steps: dict[tuple[str, str], StepStats]) -> None:
    """A step's names are those of its newest task row (a renamed step shows its current name)."""
    for (key, bpmn_id), step in steps.items():
        names = session.execute(
            select(HumanTask.name, HumanTask.name_en)
            .where(HumanTask.process_key == key, HumanTask.bpmn_id == bpmn_id)
            .order_by(HumanTask.id.desc())
            .limit(1)
        ).first()
        if names is not None:
            step.name, step.name_en = names


def _unindexed(column: Any) -> Any:
    """``column`` as SQLite's ``+column``: a period filter on it then uses no index of its own, so
    SQLite reads the statistics' grouping index in order (no sort of a year of rows); other
    databases plan that alone. Compared values still go through the column's type."""
    table = column.table.name
    return literal_column(f'+"{table}".{column.name}', type_=column.type)


@contextlib.contextmanager
def _index_reads(session: Session) -> Iterator[None]:
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
    with _index_reads(session):
        return _bureau_stats(session, process=process, group=group, start=start, end=end)


def _bureau_stats(
    session: Session,
    *,
    process: str | None = None,
    group: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> StatsReport:
    calendar = platform.calendar(session)
    days = WorkingDays(calendar)
    dialect = session.get_bind().dialect.name
    now = clock.now()
    begin, stop = _bounds(calendar, start, end)
    report = StatsReport(start=start, end=end, process=process, group=group, generated_at=now)

    # --- cases -------------------------------------------------------------------------
    # Working days are the stored ``case.working_days`` (fixed when the case finished, see
    # services/durations.py): one pass grouped by that number. Cases finished before the column
    # existed (NULL until `flask stats backfill`) are counted from their timestamps, one by one.
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
    finished_at = _unindexed(Case.completed_at) if dialect == "sqlite" else Case.completed_at
    completed_filter = and_(_within(finished_at, begin, stop), Case.status.in_(final), *case_filters)
    case_days: dict[str, Counter[int]] = defaultdict(Counter)
    # Only complaints are rated; the stored rating (case.rating) is counted in the same pass, from
    # the same index.
    satisfaction: dict[str, tuple[int, int]] = {}
    legacy_cases = False
    for key, spent, status, rating, n in session.execute(
        select(Case.process_key, Case.working_days, Case.status, Case.rating, func.count())
        .where(completed_filter)
        .group_by(Case.process_key, Case.working_days, Case.status, Case.rating)
    ):
        item = entry(key)
        item.cases_completed += n
        item.cases_approved += n if status == CaseStatus.APPROVED else 0
        item.cases_rejected += n if status == CaseStatus.REJECTED else 0
        if "complaint" in key:
            n_rated, n_satisfied = satisfaction.get(key, (0, 0))
            satisfaction[key] = (
                n_rated + (n if rating in RATED else 0),
                n_satisfied + (n if rating == "satisfied" else 0),
            )
        if spent is None:
            legacy_cases = True
        else:
            case_days[key][int(spent)] += n
    if legacy_cases:
        for key, submitted_at, done_at, pauses in session.execute(
            select(Case.process_key, Case.submitted_at, Case.completed_at, Case.clock_pauses).where(
                completed_filter, Case.working_days.is_(None)
            )
        ):
            case_days[key][days.case_days(submitted_at, done_at, pauses)] += 1

    # --- tasks -------------------------------------------------------------------------
    # Completed tasks counted per step, group, stored working days, stored on time and escalation
    # level: only counts, read in the order of ix_human_task_stats_steps. Tasks completed before
    # those columns existed (working_days NULL until `flask stats backfill`) are counted from
    # their timestamps, one by one.
    task_filters: list[ColumnElement[bool]] = []
    if process is not None:
        task_filters.append(HumanTask.process_key == process)
    if group is not None:
        task_filters.append(HumanTask.candidate_group == group)
    completed_at = _unindexed(HumanTask.completed_at) if dialect == "sqlite" else HumanTask.completed_at
    done_in_period = and_(HumanTask.state == TaskState.COMPLETED, _within(completed_at, begin, stop))
    step_key = (HumanTask.process_key, HumanTask.bpmn_id, HumanTask.candidate_group)
    steps: dict[tuple[str, str], StepStats] = {}
    process_tasks: dict[str, TaskFigures] = defaultdict(TaskFigures)
    groups: dict[str | None, GroupStats] = {}
    step_days: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    group_days: dict[str | None, Counter[int]] = defaultdict(Counter)

    def add_figures(key: str, bpmn_id: str, candidate: str | None, figures: TaskFigures) -> None:
        steps.setdefault((key, bpmn_id), StepStats(process=key, bpmn_id=bpmn_id)).add(figures)
        groups.setdefault(candidate, GroupStats(group=candidate)).add(figures)
        process_tasks[key].add(figures)

    def add_days(key: str, bpmn_id: str, candidate: str | None, spent: int, n: int) -> None:
        step_days[(key, bpmn_id)][spent] += n
        group_days[candidate][spent] += n

    legacy_tasks = False
    for key, bpmn_id, candidate, spent, on_time, level, n in session.execute(
        select(*step_key, HumanTask.working_days, HumanTask.on_time, HumanTask.escalation_level, func.count())
        .where(done_in_period, *task_filters)
        .group_by(*step_key, HumanTask.working_days, HumanTask.on_time, HumanTask.escalation_level)
    ):
        if spent is None:
            legacy_tasks = True
            continue
        add_figures(
            key,
            bpmn_id,
            candidate,
            TaskFigures(
                tasks_completed=n,
                with_due=n if on_time is not None else 0,
                on_time=n if on_time else 0,
                overdue=n if on_time is False else 0,
                escalated=n if level else 0,
            ),
        )
        add_days(key, bpmn_id, candidate, int(spent), n)
    if legacy_tasks:
        for key, bpmn_id, candidate, created_at, done_at, due_at, level in session.execute(
            select(
                *step_key,
                HumanTask.created_at,
                HumanTask.completed_at,
                HumanTask.due_at,
                HumanTask.escalation_level,
            ).where(done_in_period, HumanTask.working_days.is_(None), *task_filters)
        ):
            spent, on_time = task_facts(days, created_at, done_at, due_at)
            figures = TaskFigures(
                tasks_completed=1,
                with_due=int(on_time is not None),
                on_time=int(bool(on_time)),
                overdue=int(on_time is False),
                escalated=int(level > 0),
            )
            add_figures(key, bpmn_id, candidate, figures)
            add_days(key, bpmn_id, candidate, spent, 1)
    # Tasks still open whose due time fell in the period and has passed.
    for key, bpmn_id, candidate, n, n_escalated in session.execute(
        select(*step_key, func.count(), func.sum(when((HumanTask.escalation_level > 0, 1), else_=0)))
        .where(
            HumanTask.state == TaskState.OPEN,
            _within(HumanTask.due_at, begin, stop),
            HumanTask.due_at < now,
            *task_filters,
        )
        .group_by(*step_key)
    ):
        add_figures(key, bpmn_id, candidate, TaskFigures(overdue=n, escalated=int(n_escalated or 0)))
    _name_steps(session, steps)

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
        totals.finish(Counter())
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
    case_days: dict[str, Counter[int]],
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
    tasks.finish(Counter())
    totals.tasks_completed, totals.on_time_rate = tasks.tasks_completed, tasks.on_time_rate
    totals.overdue, totals.escalated = tasks.overdue, tasks.escalated
    every_case = sum(case_days.values(), Counter[int]())
    totals.case_average_working_days, totals.case_p90_working_days = average(every_case), p90(every_case)
    complaint_days = sum((v for key, v in case_days.items() if "complaint" in key), Counter[int]())
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
    with the filters and definitions of :func:`bureau_stats`. Each figure is one statement of
    counts per period, each an index range of its own (no sort of a year of rows)."""
    if start > end:
        raise ValueError("start must not be after end")
    with _index_reads(session):
        return _trend(session, process=process, group=group, start=start, end=end)


def _trend(
    session: Session, *, process: str | None, group: str | None, start: date, end: date
) -> tuple[str, list[TrendPoint]]:
    calendar = platform.calendar(session)
    unit, buckets = trend_buckets(start, end)
    points = [TrendPoint(first, last) for first, last in buckets]
    bounds = [_bounds(calendar, first, last) for first, last in buckets]

    def per_period(column: Any, *where: ColumnElement[bool], of: Any = None) -> list[tuple[int, int]]:
        """Per period: how many rows, and of those how many meet ``of`` (when given)."""
        among = func.sum(when((of, 1), else_=0)) if of is not None else literal(0)
        parts = [
            select(literal(i).label("i"), func.count().label("n"), among.label("k")).where(
                column >= b, column < e, *where
            )
            for i, (b, e) in enumerate(bounds)
        ]
        counts = [(0, 0)] * len(bounds)
        for i, n, k in session.execute(union_all(*parts)):
            counts[int(i)] = (int(n), int(k or 0))
        return counts

    case_filters: list[ColumnElement[bool]] = []
    if process is not None:
        case_filters.append(Case.process_key == process)
    if group is not None:
        case_filters.append(exists().where(HumanTask.case_id == Case.id, HumanTask.candidate_group == group))
    final = [CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED]
    task_filters: list[ColumnElement[bool]] = [HumanTask.state == TaskState.COMPLETED]
    if process is not None:
        task_filters.append(HumanTask.process_key == process)
    if group is not None:
        task_filters.append(HumanTask.candidate_group == group)
    received = per_period(Case.submitted_at, *case_filters)
    completed = per_period(Case.completed_at, Case.status.in_(final), *case_filters)
    # The stored on_time is null exactly when there was no due time (or before it was stored). IN
    # (not IS NOT NULL) keeps each period two ranges of ix_human_task_stats_on_time.
    due = per_period(
        HumanTask.completed_at,
        HumanTask.on_time.in_([True, False]),
        *task_filters,
        of=HumanTask.on_time.is_(True),
    )
    for i, point in enumerate(points):
        point.cases_received, point.cases_completed = received[i][0], completed[i][0]
        point.with_due, point.on_time = due[i]
    # Tasks completed before on_time was stored (until `flask stats backfill`): one by one.
    starts = [b for b, _ in bounds]
    low, high = bounds[0][0], bounds[-1][1]
    for done_at, due_at in session.execute(
        select(HumanTask.completed_at, HumanTask.due_at).where(
            *task_filters,
            HumanTask.on_time.is_(None),  # null with working_days: ix_human_task_stats_on_time
            HumanTask.working_days.is_(None),
            HumanTask.due_at.is_not(None),
            _within(HumanTask.completed_at, low, high),
        )
    ):
        point = points[bisect.bisect_right(starts, done_at) - 1]
        point.with_due += 1
        point.on_time += int(done_at <= due_at)
    return unit, points
