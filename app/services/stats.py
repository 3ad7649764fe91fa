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

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
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
class StatsReport:
    start: date | None
    end: date | None
    process: str | None
    group: str | None
    generated_at: datetime
    processes: list[ProcessStats] = field(default_factory=list)
    steps: list[StepStats] = field(default_factory=list)
    groups: list[GroupStats] = field(default_factory=list)


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
        first, last = self.calendar.local_date(start), self.calendar.local_date(end)
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
    completed = session.execute(
        select(
            Case.process_key,
            func.count(),
            func.sum(when((Case.status == CaseStatus.APPROVED, 1), else_=0)),
            func.sum(when((Case.status == CaseStatus.REJECTED, 1), else_=0)),
        )
        .where(completed_filter)
        .group_by(Case.process_key)
    )
    for key, count, approved, rejected in completed:
        item = entry(key)
        item.cases_completed, item.cases_approved = int(count), int(approved or 0)
        item.cases_rejected = int(rejected or 0)

    case_days: dict[str, list[int]] = defaultdict(list)
    for key, submitted_at, completed_at, pauses in session.execute(
        select(Case.process_key, Case.submitted_at, Case.completed_at, Case.clock_pauses).where(
            completed_filter
        )
    ):
        case_days[key].append(days.case_days(submitted_at, completed_at, pauses))

    rating = Case.data["rating"].as_string()
    satisfaction = {
        key: (int(rated or 0), int(satisfied or 0))
        for key, rated, satisfied in session.execute(
            select(
                Case.process_key,
                func.sum(when((rating.in_(RATED), 1), else_=0)),
                func.sum(when((rating == "satisfied", 1), else_=0)),
            )
            .where(completed_filter, Case.process_key.contains("complaint", autoescape=True))
            .group_by(Case.process_key)
        )
    }

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

    step_key = (HumanTask.process_key, HumanTask.bpmn_id)
    steps: dict[tuple[str, str], StepStats] = {}
    process_tasks: dict[str, TaskFigures] = defaultdict(TaskFigures)
    groups: dict[str | None, GroupStats] = {}
    for key, bpmn_id, candidate, name, name_en, n_done, n_due, n_on_time, n_late, n_esc in session.execute(
        select(
            *step_key,
            HumanTask.candidate_group,
            func.max(HumanTask.name),
            func.max(HumanTask.name_en),
            count_of(done_in_period),
            count_of(with_due),
            count_of(and_(with_due, HumanTask.completed_at <= HumanTask.due_at)),
            count_of(late),
            count_of(HumanTask.escalation_level > 0),
        )
        .where(or_(done_in_period, open_late), *task_filters)
        .group_by(*step_key, HumanTask.candidate_group)
    ):
        figures = TaskFigures(
            tasks_completed=int(n_done or 0),
            with_due=int(n_due or 0),
            on_time=int(n_on_time or 0),
            overdue=int(n_late or 0),
            escalated=int(n_esc or 0),
        )
        step = steps.setdefault(
            (key, bpmn_id), StepStats(process=key, bpmn_id=bpmn_id, name=name, name_en=name_en)
        )
        step.add(figures)
        groups.setdefault(candidate, GroupStats(group=candidate)).add(figures)
        process_tasks[key].add(figures)

    step_days: dict[tuple[str, str], list[int]] = defaultdict(list)
    group_days: dict[str | None, list[int]] = defaultdict(list)
    for key, bpmn_id, candidate, created_at, completed_at in session.execute(
        select(*step_key, HumanTask.candidate_group, HumanTask.created_at, HumanTask.completed_at).where(
            done_in_period, *task_filters
        )
    ):
        spent = days.between(created_at, completed_at)
        step_days[(key, bpmn_id)].append(spent)
        group_days[candidate].append(spent)

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
            rated, satisfied = satisfaction.get(key, (0, 0))
            item.complaint_satisfaction = round(satisfied / rated, 4) if rated else None
    for step_id, step in steps.items():
        step.finish(step_days[step_id])
    for candidate, group_stats in groups.items():
        group_stats.finish(group_days[candidate])

    report.processes = sorted(per_process.values(), key=lambda p: p.process)
    report.steps = sorted(steps.values(), key=lambda s: (s.process, s.bpmn_id))
    report.groups = sorted(groups.values(), key=lambda g: (g.group is None, g.group or ""))
    return report
