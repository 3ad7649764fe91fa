"""Working days (工作日): statutory holidays, make-up working days (调休) and time limits.

Holidays come from the maintained `chinese_calendar` library; admin overrides (for years the
library does not know yet) take precedence. A limit of N working days ends at the close of the
N-th working day after the day the clock started (期限自次日起算).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from app.engine import parse_time_limit


@dataclass
class WorkCalendar:
    timezone: str = "Asia/Shanghai"
    workday_end: str = "17:30"
    warning_ratio: float = 0.8
    overrides: Mapping[date, bool] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def end_of_day(self) -> time:
        hours, minutes = self.workday_end.split(":")
        return time(int(hours), int(minutes))

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def close_of(self, day: date) -> datetime:
        """The end of the working day ``day`` as UTC."""
        return datetime.combine(day, self.end_of_day, self.tz).astimezone(UTC)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The close of the ``days``-th working day after the day of ``start``."""
        day = self.local_date(start)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return self.close_of(day)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days from the day after ``start`` up to and including the day of ``end``."""
        day, last, count = self.local_date(start), self.local_date(end), 0
        while day < last:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def due(self, start: datetime, limit: str | None) -> tuple[datetime | None, datetime | None]:
        """(due_at, warn_at) of a time limit such as `5wd`, `3d` or `4h`, started at ``start``.

        Warning comes when the warning ratio of the limit has elapsed or when only the last
        working day is left, whichever is first (for limits longer than one working day).
        """
        parsed = parse_time_limit(limit or "")
        if parsed is None:
            return None, None
        amount, unit = parsed
        if unit == "wd":
            due = self.add_working_days(start, amount)
            warn = start + (due - start) * self.warning_ratio
            if amount > 1:
                # "One working day left" begins when the day before the last working day closes.
                # A one-day limit has only that day, so the ratio alone decides (else it would
                # warn from the moment it is created).
                warn = min(warn, self.add_working_days(start, amount - 1))
            return due, max(start, warn)
        span = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
        return start + span, start + span * self.warning_ratio


def sla_state(now: datetime, due_at: datetime | None, warn_at: datetime | None) -> str:
    """`on_time`, `warning` or `overdue` for a task at ``now``."""
    if due_at is not None and now > due_at:
        return "overdue"
    if warn_at is not None and now >= warn_at:
        return "warning"
    return "on_time"
