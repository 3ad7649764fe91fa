"""A case's statutory clock: its due time from its limit in working days, extended by the days
the clock stood still (waiting for the applicant, suspended)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app import clock
from app.engine import parse_time_limit
from app.models import Case

from .calendar import WorkCalendar


def paused_working_days(calendar: WorkCalendar, case: Case, until: datetime | None = None) -> int:
    """Working days the case's clock stood still, counting an open pause up to ``until`` (now).
    Pauses that overlap (a suspension while waiting for the applicant) count once."""
    spans = sorted(
        (
            datetime.fromisoformat(pause["from"]),
            datetime.fromisoformat(pause["to"]) if pause.get("to") else (until or clock.now()),
        )
        for pause in case.clock_pauses or []
    )
    merged: list[list[datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return sum(calendar.working_days_between(start, end) for start, end in merged)


def open_suspension(case: Case) -> dict[str, Any] | None:
    """The suspension (挂起) the case's clock is in, if any."""
    return next(
        (p for p in case.clock_pauses or [] if p.get("kind") == "suspension" and p.get("to") is None), None
    )


def case_due(calendar: WorkCalendar, case: Case) -> datetime | None:
    """The case's statutory due time: its limit in working days, extended by paused days."""
    parsed = parse_time_limit(case.time_limit or "")
    if parsed is None:
        return None
    amount, unit = parsed
    if unit != "wd":
        return calendar.due(case.submitted_at, case.time_limit)[0]
    extra = (case.extension_days or 0) + paused_working_days(calendar, case)
    return calendar.add_working_days(case.submitted_at, amount + extra)


def is_overrun(calendar: WorkCalendar, case: Case, now: datetime) -> bool:
    """Whether a running case is past its overall statutory limit, the days its clock stood still
    (suspended, waiting for the applicant, an open pause up to ``now``) and its extension excluded."""
    if case.status.is_final or case.status.value == "error":
        return False
    due = case_due(calendar, case)
    return due is not None and due < now
