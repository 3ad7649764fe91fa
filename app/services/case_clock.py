"""A case's statutory clock: its due time from its limit in working days, extended by the days
the clock stood still (waiting for the applicant, suspended)."""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.engine import parse_time_limit
from app.models import Case

from .calendar import WorkCalendar


def paused_working_days(calendar: WorkCalendar, case: Case, until: datetime | None = None) -> int:
    """Working days the case's clock stood still, counting an open pause up to ``until`` (now)."""
    total = 0
    for pause in case.clock_pauses or []:
        start = datetime.fromisoformat(pause["from"])
        end = datetime.fromisoformat(pause["to"]) if pause.get("to") else (until or clock.now())
        total += calendar.working_days_between(start, end)
    return total


def case_due(calendar: WorkCalendar, case: Case) -> datetime | None:
    """The case's statutory due time: its limit in working days, extended by paused days."""
    parsed = parse_time_limit(case.time_limit or "")
    if parsed is None:
        return None
    amount, unit = parsed
    if unit != "wd":
        return calendar.due(case.submitted_at, case.time_limit)[0]
    return calendar.add_working_days(case.submitted_at, amount + paused_working_days(calendar, case))
