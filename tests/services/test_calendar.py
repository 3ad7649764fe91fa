"""Working days across statutory holidays and make-up working days."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import select

from app.models import AuditEvent, CalendarOverride
from app.services.calendar import WorkCalendar, remove_override, set_override, sla_state
from tests.helpers import user_named

SH = ZoneInfo("Asia/Shanghai")


def test_five_working_days_span_national_day_and_a_make_up_saturday() -> None:
    cal = WorkCalendar()
    # 2026: 1–7 Oct are holidays; Sat 10 Oct is a make-up working day.
    start = datetime(2026, 9, 30, 10, 0, tzinfo=SH)
    due = cal.add_working_days(start, 5)
    # Counting from the next day: 8 Oct, 9 Oct, 10 Oct (Sat, make-up), 12 Oct, 13 Oct.
    assert due == datetime(2026, 10, 13, 17, 30, tzinfo=SH)


def test_warning_comes_at_the_ratio_or_the_last_day_whichever_first() -> None:
    cal = WorkCalendar()
    start = datetime(2026, 11, 16, 9, 0, tzinfo=SH)  # Monday
    due, warn = cal.due(start, "2wd")
    assert due == datetime(2026, 11, 18, 17, 30, tzinfo=SH)
    assert warn == datetime(2026, 11, 17, 17, 30, tzinfo=SH)  # only the last day left
    due1, warn1 = cal.due(start, "1wd")
    assert due1 == datetime(2026, 11, 17, 17, 30, tzinfo=SH)
    assert start < warn1 < due1  # a one-day limit is not yellow from the start
    assert sla_state(due1, due1, warn1) == "warning"
    assert sla_state(datetime(2026, 11, 18, 9, 0, tzinfo=SH), due1, warn1) == "overdue"


def test_calendar_and_hour_limits_and_overrides() -> None:
    cal = WorkCalendar(overrides={date(2027, 2, 8): False})
    start = datetime(2027, 2, 5, 12, 0, tzinfo=SH)  # a Friday in a year the library may not know
    assert cal.due(start, "4h")[0] == datetime(2027, 2, 5, 16, 0, tzinfo=SH)
    assert cal.due(start, "3d")[0] == datetime(2027, 2, 8, 12, 0, tzinfo=SH)
    assert cal.add_working_days(start, 1).date() == date(2027, 2, 9)  # Monday overridden off
    assert cal.due(start, "soon") == (None, None)


# ------------------------------------------------------------ working days, explicitly constructed

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)  # an ordinary week: Mon 16 – Fri 20 November 2026


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(SH)


@pytest.fixture
def server_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's own time zone is neither UTC nor Shanghai (what `astimezone()` would use)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_is_workday_follows_the_library_then_the_overrides() -> None:
    cal = WorkCalendar(overrides={date(2026, 10, 3): True, date(2026, 10, 9): False})
    assert cal.is_workday(date(2026, 9, 30)) is True  # Wednesday
    assert cal.is_workday(date(2026, 10, 1)) is False  # National Day
    assert cal.is_workday(date(2026, 10, 10)) is True  # make-up Saturday (调休)
    assert cal.is_workday(date(2026, 10, 11)) is False  # Sunday
    assert cal.is_workday(date(2026, 10, 3)) is True  # holiday overridden to a working day
    assert cal.is_workday(date(2026, 10, 9)) is False  # working day overridden to a day off
    # A year the library does not know: Monday to Friday.
    assert [cal.is_workday(date(2031, 6, d)) for d in range(2, 9)] == [True] * 5 + [False] * 2


def test_each_day_is_asked_of_the_library_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[date] = []
    real = chinese_calendar.is_workday

    def counting(day: date) -> bool:
        asked.append(day)
        return bool(real(day))

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    cal = WorkCalendar()
    for _ in range(3):
        assert cal.is_workday(date(2026, 11, 16)) is True
        assert cal.is_workday(date(2026, 11, 21)) is False
    assert asked == [date(2026, 11, 16), date(2026, 11, 21)]


def test_the_local_date_is_the_shanghai_date_whatever_the_servers_zone(server_in_new_york: None) -> None:
    cal = WorkCalendar()
    # 17:00 UTC on Monday is 01:00 on Tuesday in Shanghai (and noon on Monday in New York).
    assert cal.local_date(datetime(2026, 11, 16, 17, 0, tzinfo=UTC)) == date(2026, 11, 17)
    assert cal.local_date(datetime(2026, 11, 16, 15, 59, tzinfo=UTC)) == date(2026, 11, 16)
    assert WorkCalendar(timezone="UTC").local_date(datetime(2026, 11, 16, 17, 0, tzinfo=UTC)) == date(
        2026, 11, 16
    )


def test_close_of_a_day_is_its_end_of_work_in_utc(server_in_new_york: None) -> None:
    closes = WorkCalendar().close_of(date(2026, 11, 17))
    assert closes.isoformat() == "2026-11-17T09:30:00+00:00"
    assert closes.tzinfo is UTC
    later = WorkCalendar(workday_end="18:05").close_of(date(2026, 11, 17))
    assert later.isoformat() == "2026-11-17T10:05:00+00:00"


def test_working_days_count_from_the_next_day_by_the_shanghai_date() -> None:
    cal = WorkCalendar()
    assert cal.add_working_days(MONDAY, 0) == datetime(2026, 11, 16, 17, 30, tzinfo=SH)
    assert cal.add_working_days(MONDAY, 1) == datetime(2026, 11, 17, 17, 30, tzinfo=SH)
    # Friday → the next working day is Monday.
    assert cal.add_working_days(datetime(2026, 11, 20, 16, 0, tzinfo=SH), 1) == datetime(
        2026, 11, 23, 17, 30, tzinfo=SH
    )
    # 01:00 Tuesday in Shanghai, given in UTC (17:00 Monday): the clock starts on Tuesday.
    assert cal.add_working_days(datetime(2026, 11, 16, 17, 0, tzinfo=UTC), 1) == datetime(
        2026, 11, 18, 17, 30, tzinfo=SH
    )


def test_working_days_between() -> None:
    cal = WorkCalendar()
    assert cal.working_days_between(MONDAY, MONDAY.replace(hour=17)) == 0  # the same day
    assert cal.working_days_between(MONDAY, datetime(2026, 11, 17, 8, 0, tzinfo=SH)) == 1
    # Friday → Monday: the weekend does not count.
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=SH)
    assert cal.working_days_between(friday, datetime(2026, 11, 23, 9, 0, tzinfo=SH)) == 1
    assert cal.working_days_between(friday, datetime(2026, 11, 22, 9, 0, tzinfo=SH)) == 0
    # 30 Sep → 13 Oct 2026: 8, 9, 10 (make-up Saturday), 12, 13 October.
    assert (
        cal.working_days_between(
            datetime(2026, 9, 30, 10, 0, tzinfo=SH), datetime(2026, 10, 13, 9, 0, tzinfo=SH)
        )
        == 5
    )
    # An end before the start counts nothing (never negative).
    assert cal.working_days_between(datetime(2026, 11, 18, 9, 0, tzinfo=SH), MONDAY) == 0
    # By the Shanghai date: 17:00 UTC on Monday is already Tuesday there.
    assert cal.working_days_between(MONDAY, datetime(2026, 11, 16, 17, 0, tzinfo=UTC)) == 1
    # It agrees with add_working_days.
    for days in range(8):
        assert cal.working_days_between(MONDAY, cal.add_working_days(MONDAY, days)) == days


@pytest.mark.parametrize(
    ("limit", "due", "warn"),
    [
        # 80% of the working days, rounded down (floor), at the close of that day ...
        ("3wd", datetime(2026, 11, 19, 17, 30, tzinfo=SH), datetime(2026, 11, 18, 17, 30, tzinfo=SH)),
        ("5wd", datetime(2026, 11, 23, 17, 30, tzinfo=SH), datetime(2026, 11, 20, 17, 30, tzinfo=SH)),
        # 7 × 0.8 = 5.6 → 5 working days (Mon 23 Nov), not 6.
        ("7wd", datetime(2026, 11, 25, 17, 30, tzinfo=SH), datetime(2026, 11, 23, 17, 30, tzinfo=SH)),
        ("10wd", datetime(2026, 11, 30, 17, 30, tzinfo=SH), datetime(2026, 11, 26, 17, 30, tzinfo=SH)),
        # Calendar days and hours: 80% of the span itself, weekends included.
        ("3d", datetime(2026, 11, 19, 9, 0, tzinfo=SH), datetime(2026, 11, 18, 18, 36, tzinfo=SH)),
        ("4h", datetime(2026, 11, 16, 13, 0, tzinfo=SH), datetime(2026, 11, 16, 12, 12, tzinfo=SH)),
        ("1wd", datetime(2026, 11, 17, 17, 30, tzinfo=SH), datetime(2026, 11, 17, 11, 0, tzinfo=SH)),
        (None, None, None),
        ("", None, None),
        ("5 days", None, None),
    ],
)
def test_due_and_warning_of_each_kind_of_limit(limit: str | None, due: datetime, warn: datetime) -> None:
    got_due, got_warn = WorkCalendar().due(MONDAY, limit)
    assert (_local(got_due), _local(got_warn)) == (due, warn)


def test_the_warning_ratio_counts_working_days_across_holidays() -> None:
    # 5 working days from 30 Sep 2026 end on 13 Oct; 4 of them have passed at the close of 12 Oct.
    due, warn = WorkCalendar().due(datetime(2026, 9, 30, 10, 0, tzinfo=SH), "5wd")
    assert (_local(due), _local(warn)) == (
        datetime(2026, 10, 13, 17, 30, tzinfo=SH),
        datetime(2026, 10, 12, 17, 30, tzinfo=SH),
    )


@pytest.mark.parametrize(
    ("ratio", "limit", "warn_day"),
    [
        # A ratio of 1 would warn at the due time: the last working day left warns first.
        (1.0, "5wd", date(2026, 11, 20)),
        (1.0, "2wd", date(2026, 11, 17)),
        # 3 × 0.5 = 1.5 → 1 working day, rounded down.
        (0.5, "3wd", date(2026, 11, 17)),
        (0.5, "5wd", date(2026, 11, 18)),
        # Never before the close of the first working day, however small the ratio.
        (0.1, "5wd", date(2026, 11, 17)),
    ],
)
def test_the_warning_is_the_ratio_or_the_last_working_day_whichever_first(
    ratio: float, limit: str, warn_day: date
) -> None:
    _due, warn = WorkCalendar(warning_ratio=ratio).due(MONDAY, limit)
    assert _local(warn) == datetime.combine(warn_day, datetime.min.time().replace(hour=17, minute=30), SH)


def test_the_warning_ratio_applies_to_calendar_and_hour_limits() -> None:
    cal = WorkCalendar(warning_ratio=0.5)
    assert cal.due(MONDAY, "4h") == (MONDAY + timedelta(hours=4), MONDAY + timedelta(hours=2))
    assert cal.due(MONDAY, "3d") == (MONDAY + timedelta(days=3), MONDAY + timedelta(hours=36))
    due, warn = cal.due(MONDAY, "1wd")  # 32.5 hours to Tuesday's close: warned after 16.25
    assert warn == MONDAY + timedelta(hours=16, minutes=15)


def test_sla_state_boundaries() -> None:
    due = datetime(2026, 11, 18, 17, 30, tzinfo=SH)
    warn = datetime(2026, 11, 17, 17, 30, tzinfo=SH)
    tick = timedelta(microseconds=1)
    assert sla_state(warn - tick, due, warn) == "on_time"
    assert sla_state(warn, due, warn) == "warning"  # warned from the warning moment itself
    assert sla_state(due, due, warn) == "warning"  # the due moment is still in time
    assert sla_state(due + tick, due, warn) == "overdue"
    # Without a warning moment, or a due time, or either.
    assert sla_state(due, due, None) == "on_time"
    assert sla_state(due + tick, due, None) == "overdue"
    assert sla_state(warn, None, warn) == "warning"
    assert sla_state(due + tick, None, None) == "on_time"


# ---------------------------------------------------------------------- overrides in the database


def _events(db: Any, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _stored_calendar(db: Any) -> WorkCalendar:
    db.expire_all()
    return WorkCalendar().with_overrides({o.day: o.is_workday for o in db.scalars(select(CalendarOverride))})


def test_a_calendar_is_never_changed_by_a_new_one() -> None:
    saturday = date(2026, 11, 21)
    cal = WorkCalendar(warning_ratio=0.5)
    assert cal.is_workday(saturday) is False  # remembered
    working = cal.with_overrides({saturday: True})
    assert (working.is_workday(saturday), cal.is_workday(saturday)) == (True, False)
    assert (working.warning_ratio, working.timezone) == (0.5, "Asia/Shanghai")
    assert working.with_overrides({}).is_workday(saturday) is False
    stricter = working.with_warning_ratio(1.0)
    assert (stricter.warning_ratio, working.warning_ratio, stricter.is_workday(saturday)) == (1.0, 0.5, True)
    # Five working days with the Saturday working: due on it, warned on the last day before.
    assert stricter.due(MONDAY, "5wd") == (
        datetime(2026, 11, 21, 17, 30, tzinfo=SH),
        datetime(2026, 11, 20, 17, 30, tzinfo=SH),
    )


def test_an_override_is_stored_audited_and_read_by_a_fresh_calendar(db: Any) -> None:
    boss = user_named(db, "admin")
    saturday = date(2026, 11, 21)
    set_override(db, boss, saturday, True, "调休" * 130)  # 260 characters: kept to 200
    db.commit()
    row = db.scalar(select(CalendarOverride).where(CalendarOverride.day == saturday))
    assert (row.is_workday, row.note, row.created_by_id) == (True, "调休" * 100, boss.id)
    [event] = _events(db, "calendar.override")
    assert (event.actor_id, event.actor) == (boss.id, "admin")
    assert event.detail == {"day": "2026-11-21", "is_workday": True, "note": "调休" * 100, "before": None}
    cal = _stored_calendar(db)
    assert cal.is_workday(saturday) is True
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=SH)
    assert cal.add_working_days(friday, 1) == datetime(2026, 11, 21, 17, 30, tzinfo=SH)


def test_an_override_without_an_actor_and_its_removal(db: Any) -> None:
    tuesday = date(2026, 11, 17)
    set_override(db, None, tuesday, False, "停电")
    db.commit()
    row = db.scalar(select(CalendarOverride).where(CalendarOverride.day == tuesday))
    assert (row.is_workday, row.created_by_id) == (False, None)
    assert _events(db, "calendar.override")[0].actor_id is None
    assert _stored_calendar(db).is_workday(tuesday) is False
    boss = user_named(db, "admin")
    assert remove_override(db, boss, tuesday) is True
    db.commit()
    [removed] = _events(db, "calendar.override_removed")
    assert (removed.actor_id, removed.detail) == (
        boss.id,
        {"day": "2026-11-17", "before": {"is_workday": False, "note": "停电"}},
    )
    assert remove_override(db, boss, tuesday) is False  # nothing left to remove, nothing audited
    db.commit()
    assert len(_events(db, "calendar.override_removed")) == 1
    assert _stored_calendar(db).is_workday(tuesday) is True
