"""The statistics' case figures: cases received and completed per process, their working days
and, for complaint processes, how their answers were rated (definitions: app/services/stats.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus

from .durations import RATED, WorkingDays
from .process_traits import SATISFIED
from .stats_figures import ProcessStats
from .stats_sql import unindexed, within

FINAL = [CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED]


@dataclass
class CaseFigures:
    """Per process: its figures, the working days of its completed cases (a count per number of
    days) and, for complaint processes, (rated, rated satisfied)."""

    per_process: dict[str, ProcessStats] = field(default_factory=dict)
    case_days: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    satisfaction: dict[str, tuple[int, int]] = field(default_factory=dict)

    def entry(self, key: str) -> ProcessStats:
        if key not in self.per_process:
            self.per_process[key] = ProcessStats(process=key)
        return self.per_process[key]


def count_cases(
    session: Session,
    days: WorkingDays,
    filters: list[ColumnElement[bool]],
    begin: datetime | None,
    stop: datetime | None,
    complaints: set[str],
) -> CaseFigures:
    """Working days are the stored ``case.working_days`` (fixed when the case finished, see
    services/durations.py): one pass grouped by that number. Cases finished before the column
    existed (NULL until `flask stats backfill`) are counted from their timestamps, one by one."""
    figures = CaseFigures()
    received = session.execute(
        select(Case.process_key, func.count())
        .where(within(Case.submitted_at, begin, stop), *filters)
        .group_by(Case.process_key)
    )
    for key, count in received:
        figures.entry(key).cases_received = int(count)
    sqlite = session.get_bind().dialect.name == "sqlite"
    finished_at = unindexed(Case.completed_at) if sqlite else Case.completed_at
    completed = and_(within(finished_at, begin, stop), Case.status.in_(FINAL), *filters)
    _count_on_time(session, figures, completed)
    if _count_completed(session, figures, completed, complaints):
        for key, submitted_at, done_at, pauses in session.execute(
            select(Case.process_key, Case.submitted_at, Case.completed_at, Case.clock_pauses).where(
                completed, Case.working_days.is_(None)
            )
        ):
            figures.case_days[key][days.case_days(submitted_at, done_at, pauses)] += 1
    return figures


def _count_on_time(session: Session, figures: CaseFigures, completed: ColumnElement[bool]) -> None:
    """Per process: completed cases with a statutory due time, and those finished by it (the due
    time stored moves with every stop and extension, so it excludes them)."""
    on_time = case((Case.completed_at <= Case.due_at, 1), else_=0)
    for key, n, n_on_time in session.execute(
        select(Case.process_key, func.count(), func.sum(on_time))
        .where(completed, Case.due_at.is_not(None))
        .group_by(Case.process_key)
    ):
        item = figures.entry(key)
        item.cases_with_limit, item.cases_on_time = int(n), int(n_on_time or 0)
        item.case_on_time_rate = round(item.cases_on_time / item.cases_with_limit, 4) if n else None


def _count_completed(
    session: Session, figures: CaseFigures, completed: ColumnElement[bool], complaints: set[str]
) -> bool:
    """Count the completed cases with stored working days; True when some had none stored.

    Only complaints are rated; the stored rating (case.rating) is counted in the same pass, from
    the same index."""
    legacy = False
    for key, spent, status, rating, n in session.execute(
        select(Case.process_key, Case.working_days, Case.status, Case.rating, func.count())
        .where(completed)
        .group_by(Case.process_key, Case.working_days, Case.status, Case.rating)
    ):
        item = figures.entry(key)
        item.cases_completed += n
        item.cases_approved += n if status == CaseStatus.APPROVED else 0
        item.cases_rejected += n if status == CaseStatus.REJECTED else 0
        if key in complaints:
            n_rated, n_satisfied = figures.satisfaction.get(key, (0, 0))
            figures.satisfaction[key] = (
                n_rated + (n if rating in RATED else 0),
                n_satisfied + (n if rating == SATISFIED else 0),
            )
        if spent is None:
            legacy = True
        else:
            figures.case_days[key][int(spent)] += n
    return legacy
