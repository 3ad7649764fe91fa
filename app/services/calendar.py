"""Working days (工作日): statutory holidays, make-up working days (调休) and time limits.

Holidays come from the maintained `chinese_calendar` library; admin overrides (for years the
library does not know yet) take precedence. A limit of N working days ends at the close of the
N-th working day after the day the clock started (期限自次日起算).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import parse_time_limit
from app.models import CalendarOverride, User

from . import audit


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of one time zone with a close of day, a warning ratio and admin overrides.

    Immutable: a change of overrides or warning ratio makes a new calendar (``with_overrides``,
    ``with_warning_ratio``), so a calendar handed to a step never changes under it.
    """

    timezone: str = "Asia/Shanghai"
    workday_end: str = "17:30"
    warning_ratio: float = 0.8
    overrides: Mapping[date, bool] = field(default_factory=dict)
    # is_workday answers by date: the inbox asks it ~20 times per row it shows. The memo depends on
    # the overrides only, so calendars that differ in the warning ratio share it.
    _known: dict[date, bool] = field(default_factory=dict, repr=False, compare=False)

    def with_overrides(self, overrides: Mapping[date, bool]) -> WorkCalendar:
        return replace(self, overrides=dict(overrides), _known={})

    def with_warning_ratio(self, ratio: float) -> WorkCalendar:
        return replace(self, warning_ratio=ratio)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def end_of_day(self) -> time:
        hours, minutes = self.workday_end.split(":")
        return time(int(hours), int(minutes))

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> bool:
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

        Warning comes when the warning ratio of the limit has elapsed (counted in working days)
        or when only the last working day is left, whichever is first.
        """
        parsed = parse_time_limit(limit or "")
        if parsed is None:
            return None, None
        amount, unit = parsed
        if unit == "wd":
            due = self.add_working_days(start, amount)
            if amount == 1:
                # One working day: the ratio of the time until it closes.
                return due, start + (due - start) * self.warning_ratio
            # The ratio counts working days (holidays do not use up a limit), and warning also
            # comes when only the last working day is left: whichever is first.
            days = max(1, min(math.floor(self.warning_ratio * amount), amount - 1))
            return due, self.add_working_days(start, days)
        span = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
        return start + span, start + span * self.warning_ratio


def set_override(session: Session, actor: User | None, day: date, is_workday: bool, note: str) -> None:
    """Declare ``day`` a working day or a day off (replacing any earlier override of it)."""
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
    if row is None:
        row = CalendarOverride(day=day, created_at=clock.now(), created_by_id=actor.id if actor else None)
        session.add(row)
    row.is_workday, row.note = is_workday, note[:200]
    session.flush()
    audit.record(
        session,
        "calendar.override",
        actor=actor,
        detail={"day": day.isoformat(), "is_workday": is_workday, "note": note[:200], "before": before},
    )


def remove_override(session: Session, actor: User | None, day: date) -> bool:
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        return False
    before = {"is_workday": row.is_workday, "note": row.note}
    session.delete(row)
    session.flush()
    audit.record(
        session, "calendar.override_removed", actor=actor, detail={"day": day.isoformat(), "before": before}
    )
    return True


class SlaState(enum.StrEnum):
    """Where a task or case stands against its time limit."""

    ON_TIME = "on_time"
    WARNING = "warning"
    OVERDUE = "overdue"


def sla_state(now: datetime, due_at: datetime | None, warn_at: datetime | None) -> SlaState:
    """`on_time`, `warning` or `overdue` for a task at ``now``."""
    if due_at is not None and now > due_at:
        return SlaState.OVERDUE
    if warn_at is not None and now >= warn_at:
        return SlaState.WARNING
    return SlaState.ON_TIME
