"""A task's due time in words, counted in working days ("due tomorrow", "2 working days overdue")."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import format_time, gettext, ngettext

from app import edge


def due_in_words(due_at: datetime | None, now: datetime) -> str:
    """How a reviewer would say the due time: relative to today, in the local time zone."""
    if due_at is None:
        return gettext("no time limit")
    calendar = edge.platform().base_calendar
    today, due_day = calendar.local_date(now), calendar.local_date(due_at)
    if now > due_at:
        late = calendar.working_days_between(due_at, now)
        if late == 0:
            return gettext("overdue since %(time)s", time=format_time(due_at, "short"))
        return ngettext("%(num)d working day overdue", "%(num)d working days overdue", late)
    if due_day == today:
        return gettext("due today at %(time)s", time=format_time(due_at, "short"))
    if due_day == today + timedelta(days=1):
        return gettext("due tomorrow")
    left = calendar.working_days_between(now, due_at)
    return ngettext("due in %(num)d working day", "due in %(num)d working days", max(left, 1))
