"""The statistics' figures: what a report holds, and the mean and percentile they use.

The definitions are in the docstring of app/services/stats.py.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime


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
    # Completed cases that had a statutory limit, of those finished within it (stops excluded).
    cases_with_limit: int = 0
    cases_on_time: int = 0
    case_on_time_rate: float | None = None
    tasks_completed: int = 0
    on_time_rate: float | None = None
    overdue: int = 0
    escalated: int = 0
    complaint_answer_working_days: float | None = None
    complaint_satisfaction: float | None = None
    service_ratings: int = 0  # 好差评 given in the period
    service_rating_average: float | None = None  # 5 非常满意 … 1 非常不满意
    poor_ratings: int = 0  # 差评 (levels 1–2): each opens a follow-up
    poor_ratings_answered: int = 0  # of which the follow-up replied


@dataclass
class Totals(ProcessStats):
    """All processes together (the dashboard's tiles). Averages and percentiles are taken over
    every case and task, not averaged over processes. ``open_tasks``, ``overdue_now`` and
    ``escalated_now`` are the open tasks at ``generated_at`` (whatever the period), of which
    past their due time, and of those escalated (督办); ``cases_overdue_now`` the running cases
    past their overall statutory limit (case level, beside the step-level ``overdue_now``)."""

    open_tasks: int = 0
    overdue_now: int = 0
    escalated_now: int = 0
    cases_overdue_now: int = 0  # running cases past their statutory limit now (stops excluded)


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
