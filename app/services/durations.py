"""Working-day durations stored as facts when a step ends (用时 N 个工作日).

A human task's ``working_days`` (from its creation to its completion) and ``on_time`` (completed
at or before its due time; null without one) are written when the task is completed or cancelled;
a case's ``working_days`` (submission to completion, minus its clock stops) when it finishes. The
statistics then only add up columns instead of walking calendars per row.

Durations are fixed when a step ends, like the statutory record: a calendar override added later
(a holiday declared afterwards) changes time limits from then on but does not rewrite the working
days of steps already finished. ``backfill`` fills rows that finished before these columns existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus, HumanTask, TaskState

from . import platform, process_traits
from .calendar import WorkCalendar

# The ratings stored as ``case.rating`` (satisfaction = satisfied / both).
RATED = process_traits.RATED
# The rule before processes declared theirs (and the one the migration that added the column used):
# the data field ``rating`` with the values themselves.
LEGACY_RATING = process_traits.RatingRule(
    "", "rating", frozenset({process_traits.SATISFIED}), frozenset({process_traits.NOT_SATISFIED})
)


def rating_of(data: dict[str, Any], rule: process_traits.RatingRule = LEGACY_RATING) -> str | None:
    """The rating in a case's data by ``rule``, normalised to one of :data:`RATED`, else None."""
    return rule.rating_of(data)


def stored_rating(session: Session, case: Case, data: dict[str, Any]) -> str | None:
    """What ``case.rating`` holds: the rating by the rule the case's process declares (the BPMN
    property ``rating`` on its rating task); None for processes that declare none."""
    rule = process_traits.of_case(session, case).rating
    return rule.rating_of(data) if rule is not None else None


FINAL = (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN)
CLOSED_TASKS = (TaskState.COMPLETED, TaskState.CANCELLED)


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
        """A case's working days: submission to completion minus its clock stops (an open stop
        runs to the completion), never below 0."""
        paused = 0
        for pause in pauses or []:
            begin = moment(pause.get("from")) if isinstance(pause, dict) else None
            if begin is None:
                continue
            stop = moment(pause.get("to")) or completed
            paused += self.between(begin, min(stop, completed))
        return max(self.between(submitted, completed) - paused, 0)


def moment(value: Any) -> datetime | None:
    """An aware timestamp from a pause's ISO text (naive text is UTC); None when unreadable."""
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed and parsed.tzinfo is None else parsed


def task_facts(
    days: WorkingDays, created_at: datetime, completed_at: datetime, due_at: datetime | None
) -> tuple[int, bool | None]:
    """(working days, on time) of a task that ended at ``completed_at``."""
    return days.between(created_at, completed_at), (None if due_at is None else completed_at <= due_at)


def record_task(session: Session, task: HumanTask) -> None:
    """Store the duration of a task that has just been completed or cancelled."""
    if task.completed_at is None:
        return
    task.working_days, task.on_time = task_facts(
        WorkingDays(platform.calendar(session)), task.created_at, task.completed_at, task.due_at
    )


def record_case(session: Session, case: Case) -> None:
    """Store the working days of a case that has just finished (once: the record is fixed)."""
    if case.status not in FINAL or case.completed_at is None or case.working_days is not None:
        return
    days = WorkingDays(platform.calendar(session))
    case.working_days = days.case_days(case.submitted_at, case.completed_at, case.clock_pauses)


def backfill(session: Session, batch: int = 5000) -> tuple[int, int]:
    """Compute the columns of tasks and cases that finished before they existed, with today's
    calendar. Returns (tasks, cases) filled. Flushes, never commits."""
    days = WorkingDays(platform.calendar(session))
    # Core statements: an executemany by id, without the ORM's version check on cases.
    tasks: Table = HumanTask.__table__  # type: ignore[assignment]
    cases: Table = Case.__table__  # type: ignore[assignment]
    filled_tasks = filled_cases = 0
    while True:
        rows = session.execute(
            select(HumanTask.id, HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at)
            .where(
                HumanTask.state.in_(CLOSED_TASKS),
                HumanTask.completed_at.is_not(None),
                HumanTask.working_days.is_(None),
            )
            .limit(batch)
        ).all()
        if not rows:
            break
        values = []
        for task_id, created_at, completed_at, due_at in rows:
            spent, on_time = task_facts(days, created_at, completed_at, due_at)
            values.append({"row_id": task_id, "days": spent, "timely": on_time})
        session.execute(
            update(tasks)
            .where(tasks.c.id == bindparam("row_id"))
            .values(working_days=bindparam("days"), on_time=bindparam("timely")),
            values,
        )
        filled_tasks += len(values)
    while True:
        case_rows = session.execute(
            select(Case.id, Case.submitted_at, Case.completed_at, Case.clock_pauses)
            .where(Case.status.in_(FINAL), Case.completed_at.is_not(None), Case.working_days.is_(None))
            .limit(batch)
        ).all()
        if not case_rows:
            break
        session.execute(
            update(cases).where(cases.c.id == bindparam("row_id")).values(working_days=bindparam("days")),
            [
                {"row_id": case_id, "days": days.case_days(submitted, completed, pauses)}
                for case_id, submitted, completed, pauses in case_rows
            ],
        )
        filled_cases += len(case_rows)
    session.flush()
    return filled_tasks, filled_cases
