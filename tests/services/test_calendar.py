"""Working days across statutory holidays and make-up working days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.services.calendar import WorkCalendar, sla_state

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
