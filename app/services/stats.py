"""Figures computed in SQL from case and human_task rows (never by loading workflows).

The bureau's statistics (DOMAIN.md, "Statistics the bureau asks for") are :func:`bureau_stats`;
who may see them is decided in services/stats_access.py. The figures are added up in
stats_cases.py and stats_tasks.py, the trend in stats_trend.py.

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
* **Case on-time rate** (case level, beside the tasks'): of the cases completed in the period that
  had a statutory limit, the share completed at or before their due time, which every stop
  (waiting for the applicant, 挂起) and an approved extension moved. **Cases overdue now**: running
  cases past that limit at the report's time (services/case_overrun.py).
* **Overdue**: tasks completed in the period after their due time, plus tasks still open whose
  due time fell in the period and has passed. **Escalated**: of those same tasks (completed in the
  period, or open and past a due time in the period), the ones with ``escalation_level > 0``.
  Cancelled tasks count nowhere.
* **Group** filter: tasks of that candidate group; case figures count the cases in which the group
  had at least one task.
* **Complaints**: for processes whose current version declares ``case_kind`` = ``complaint``
  (a BPMN property, see services/process_traits.py): answer time is the average case working days
  of the complaints completed in the period; satisfaction is, of those rated (the value of the
  field the rating task declares, normalised by its ``rating_satisfied`` / ``rating_not_satisfied``
  and stored as ``case.rating``), the share rated satisfied. Both are null for other processes and
  when nothing was completed or rated.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app import clock
from app.models import HumanTask, ProcessVersion, TaskState

from . import case_overrun, platform, process_traits
from .durations import WorkingDays
from .stats_cases import CaseFigures, count_cases
from .stats_figures import (
    GroupStats,
    ProcessStats,
    StatsReport,
    StepStats,
    TaskFigures,
    Totals,
    TrendPoint,
    average,
    p90,
)
from .stats_ratings import RatingFigures, rating_figures
from .stats_sql import bounds, case_filters, index_reads, task_filters
from .stats_tasks import TaskTally, count_tasks
from .stats_trend import MAX_TREND_POINTS, trend, trend_buckets

__all__ = [
    "MAX_TREND_POINTS",
    "GroupStats",
    "ProcessStats",
    "StatsReport",
    "StepStats",
    "TaskFigures",
    "Totals",
    "TrendPoint",
    "WorkingDays",
    "average",
    "bureau_stats",
    "open_tasks_by_step",
    "p90",
    "trend",
    "trend_buckets",
]


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
    with index_reads(session):
        return _bureau_stats(session, process=process, group=group, start=start, end=end)


def _bureau_stats(
    session: Session, *, process: str | None, group: str | None, start: date | None, end: date | None
) -> StatsReport:
    calendar = platform.calendar(session)
    days = WorkingDays(calendar)
    now = clock.now()
    begin, stop = bounds(calendar, start, end)
    report = StatsReport(start=start, end=end, process=process, group=group, generated_at=now)
    complaints = process_traits.complaint_keys(session)
    cases = count_cases(session, days, case_filters(process, group), begin, stop, complaints)
    tally = count_tasks(session, days, task_filters(process, group), begin, stop, now)
    _ratings(cases, rating_figures(session, process, group, begin, stop))
    _assemble(session, cases, tally, complaints)
    report.totals = _totals(cases, tally, complaints)
    _rating_totals(report.totals, cases)
    report.totals.open_tasks, report.totals.overdue_now, report.totals.escalated_now = _open_now(
        session, task_filters(process, group), now
    )
    report.totals.cases_overdue_now = case_overrun.count_overrun(session, case_filters(process, group), now)
    report.processes = sorted(cases.per_process.values(), key=lambda p: p.process)
    report.steps = sorted(tally.steps.values(), key=lambda s: (s.process, s.bpmn_id))
    report.groups = sorted(tally.groups.values(), key=lambda g: (g.group is None, g.group or ""))
    return report


def _assemble(session: Session, cases: CaseFigures, tally: TaskTally, complaints: set[str]) -> None:
    """Each process's names, task totals, case working days and complaint figures."""
    for key in list(tally.process_tasks):
        cases.entry(key)
    names = {
        key: (name, name_en)
        for key, name, name_en in session.execute(
            select(ProcessVersion.key, ProcessVersion.name, ProcessVersion.name_en).where(
                ProcessVersion.is_current.is_(True), ProcessVersion.key.in_(list(cases.per_process))
            )
        )
    }
    for key, item in cases.per_process.items():
        item.name, item.name_en = names.get(key, (None, None))
        totals = tally.process_tasks[key]
        totals.finish(Counter())
        item.tasks_completed, item.on_time_rate = totals.tasks_completed, totals.on_time_rate
        item.overdue, item.escalated = totals.overdue, totals.escalated
        item.case_average_working_days = average(cases.case_days[key])
        item.case_p90_working_days = p90(cases.case_days[key])
        if key in complaints:
            item.complaint_answer_working_days = average(cases.case_days[key])
            n_rated, n_satisfied = cases.satisfaction.get(key, (0, 0))
            item.complaint_satisfaction = round(n_satisfied / n_rated, 4) if n_rated else None
    tally.finish()


def _ratings(cases: CaseFigures, figures: dict[str, RatingFigures]) -> None:
    """Each process's 好差评 figures (a process rated but with no case in the period is listed)."""
    for key, rated in figures.items():
        item = cases.entry(key)
        item.service_ratings, item.service_rating_average = rated.ratings, rated.average
        item.poor_ratings, item.poor_ratings_answered = rated.poor, rated.answered


def _rating_totals(totals: Totals, cases: CaseFigures) -> None:
    items = list(cases.per_process.values())
    totals.service_ratings = sum(i.service_ratings for i in items)
    totals.poor_ratings = sum(i.poor_ratings for i in items)
    totals.poor_ratings_answered = sum(i.poor_ratings_answered for i in items)
    level_sum = sum((i.service_rating_average or 0) * i.service_ratings for i in items)
    totals.service_rating_average = (
        round(level_sum / totals.service_ratings, 2) if totals.service_ratings else None
    )


def _totals(cases: CaseFigures, tally: TaskTally, complaints: set[str]) -> Totals:
    """All processes together: averages and percentiles over every case and task."""
    totals = Totals(process="", name="全部", name_en="All")
    for item in cases.per_process.values():
        totals.cases_received += item.cases_received
        totals.cases_completed += item.cases_completed
        totals.cases_approved += item.cases_approved
        totals.cases_rejected += item.cases_rejected
        totals.cases_with_limit += item.cases_with_limit
        totals.cases_on_time += item.cases_on_time
    if totals.cases_with_limit:
        totals.case_on_time_rate = round(totals.cases_on_time / totals.cases_with_limit, 4)
    tasks = TaskFigures()
    for figures in tally.groups.values():
        tasks.add(figures)
    tasks.finish(Counter())
    totals.tasks_completed, totals.on_time_rate = tasks.tasks_completed, tasks.on_time_rate
    totals.overdue, totals.escalated = tasks.overdue, tasks.escalated
    every_case = sum(cases.case_days.values(), Counter[int]())
    totals.case_average_working_days, totals.case_p90_working_days = average(every_case), p90(every_case)
    complaint_days = sum((v for key, v in cases.case_days.items() if key in complaints), Counter[int]())
    totals.complaint_answer_working_days = average(complaint_days)
    rated = sum(r for r, _ in cases.satisfaction.values())
    satisfied = sum(s for _, s in cases.satisfaction.values())
    totals.complaint_satisfaction = round(satisfied / rated, 4) if rated else None
    return totals


def _open_now(session: Session, filters: list[ColumnElement[bool]], now: datetime) -> tuple[int, int, int]:
    """Open tasks now, of which past their due time, and of those escalated (督办)."""
    late = and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    open_tasks, overdue_now, escalated_now = session.execute(
        select(
            func.count(),
            func.sum(when((late, 1), else_=0)),
            func.sum(when((and_(late, HumanTask.escalation_level > 0), 1), else_=0)),
        ).where(HumanTask.state == TaskState.OPEN, *filters)
    ).one()
    return int(open_tasks or 0), int(overdue_now or 0), int(escalated_now or 0)
