"""The statistics' task figures: completed tasks per step and candidate group, their working days,
on-time share, overdue and escalated counts (definitions: app/services/stats.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app.models import HumanTask, TaskState

from .durations import WorkingDays, task_facts
from .stats_figures import GroupStats, StepStats, TaskFigures
from .stats_sql import unindexed, within

STEP_KEY = (HumanTask.process_key, HumanTask.bpmn_id, HumanTask.candidate_group)


@dataclass
class TaskTally:
    """Task figures per step, per process and per group, with the working days behind them."""

    steps: dict[tuple[str, str], StepStats] = field(default_factory=dict)
    process_tasks: dict[str, TaskFigures] = field(default_factory=lambda: defaultdict(TaskFigures))
    groups: dict[str | None, GroupStats] = field(default_factory=dict)
    step_days: dict[tuple[str, str], Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    group_days: dict[str | None, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def add_figures(self, key: str, bpmn_id: str, candidate: str | None, figures: TaskFigures) -> None:
        self.steps.setdefault((key, bpmn_id), StepStats(process=key, bpmn_id=bpmn_id)).add(figures)
        self.groups.setdefault(candidate, GroupStats(group=candidate)).add(figures)
        self.process_tasks[key].add(figures)

    def add_days(self, key: str, bpmn_id: str, candidate: str | None, spent: int, n: int) -> None:
        self.step_days[(key, bpmn_id)][spent] += n
        self.group_days[candidate][spent] += n

    def finish(self) -> None:
        """Averages, percentiles and rates of every step and group."""
        for step_id, step in self.steps.items():
            step.finish(self.step_days[step_id])
        for candidate, group_stats in self.groups.items():
            group_stats.finish(self.group_days[candidate])


def count_tasks(
    session: Session,
    days: WorkingDays,
    filters: list[ColumnElement[bool]],
    begin: datetime | None,
    stop: datetime | None,
    now: datetime,
) -> TaskTally:
    """Completed tasks counted per step, group, stored working days, stored on time and escalation
    level: only counts, read in the order of ix_human_task_stats_steps. Tasks completed before
    those columns existed (working_days NULL until `flask stats backfill`) are counted from their
    timestamps, one by one. Then the tasks still open whose due time fell in the period and has
    passed."""
    tally = TaskTally()
    sqlite = session.get_bind().dialect.name == "sqlite"
    completed_at = unindexed(HumanTask.completed_at) if sqlite else HumanTask.completed_at
    done = and_(HumanTask.state == TaskState.COMPLETED, within(completed_at, begin, stop), *filters)
    if _count_stored(session, tally, done):
        _count_unstored(session, tally, days, done)
    for key, bpmn_id, candidate, n, n_escalated in session.execute(
        select(*STEP_KEY, func.count(), func.sum(when((HumanTask.escalation_level > 0, 1), else_=0)))
        .where(
            HumanTask.state == TaskState.OPEN,
            within(HumanTask.due_at, begin, stop),
            HumanTask.due_at < now,
            *filters,
        )
        .group_by(*STEP_KEY)
    ):
        tally.add_figures(key, bpmn_id, candidate, TaskFigures(overdue=n, escalated=int(n_escalated or 0)))
    _name_steps(session, tally.steps)
    return tally


def _count_stored(session: Session, tally: TaskTally, done: ColumnElement[bool]) -> bool:
    """Count the completed tasks with stored durations; True when some had none stored."""
    legacy = False
    for key, bpmn_id, candidate, spent, on_time, level, n in session.execute(
        select(*STEP_KEY, HumanTask.working_days, HumanTask.on_time, HumanTask.escalation_level, func.count())
        .where(done)
        .group_by(*STEP_KEY, HumanTask.working_days, HumanTask.on_time, HumanTask.escalation_level)
    ):
        if spent is None:
            legacy = True
            continue
        figures = TaskFigures(
            tasks_completed=n,
            with_due=n if on_time is not None else 0,
            on_time=n if on_time else 0,
            overdue=n if on_time is False else 0,
            escalated=n if level else 0,
        )
        tally.add_figures(key, bpmn_id, candidate, figures)
        tally.add_days(key, bpmn_id, candidate, int(spent), n)
    return legacy


def _count_unstored(session: Session, tally: TaskTally, days: WorkingDays, done: ColumnElement[bool]) -> None:
    for key, bpmn_id, candidate, created_at, done_at, due_at, level in session.execute(
        select(
            *STEP_KEY,
            HumanTask.created_at,
            HumanTask.completed_at,
            HumanTask.due_at,
            HumanTask.escalation_level,
        ).where(done, HumanTask.working_days.is_(None))
    ):
        spent, on_time = task_facts(days, created_at, done_at, due_at)
        figures = TaskFigures(
            tasks_completed=1,
            with_due=int(on_time is not None),
            on_time=int(bool(on_time)),
            overdue=int(on_time is False),
            escalated=int(level > 0),
        )
        tally.add_figures(key, bpmn_id, candidate, figures)
        tally.add_days(key, bpmn_id, candidate, spent, 1)


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
