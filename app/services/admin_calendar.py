"""The admin console's calendar overrides: holidays and make-up working days the holiday library
does not know. Audited by services.calendar; flushed, never committed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidData
from app.models import CalendarOverride, User

from . import calendar, platform
from .accounts import REQUIRED, TOO_LONG
from .admin_rules import BAD_DAY, BAD_DAY_KIND, YEAR_RANGE, clean, refuse


def overrides_of_year(session: Session, year: int) -> list[CalendarOverride]:
    return list(
        session.scalars(
            select(CalendarOverride)
            .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
            .order_by(CalendarOverride.day)
        )
    )


def parse_day(text: str) -> date:
    try:
        day = date.fromisoformat(clean(text, 10))
    except ValueError:
        raise InvalidData(BAD_DAY, {"day": [BAD_DAY]}) from None
    if not YEAR_RANGE[0] <= day.year <= YEAR_RANGE[1]:
        raise InvalidData(BAD_DAY, {"day": [BAD_DAY]})
    return day


def set_day(session: Session, actor: User, day_text: str, kind: str, note: str) -> date:
    """Declare a day a holiday or a (make-up) working day with a name; replaces an earlier one."""
    errors: dict[str, list[str]] = {}
    day: date | None = None
    try:
        day = parse_day(day_text)
    except InvalidData as err:
        errors.update(err.errors)
    if kind not in ("holiday", "workday"):
        errors["kind"] = [BAD_DAY_KIND]
    note = clean(note)
    if not note:
        errors["note"] = [REQUIRED]
    elif len(note) > 200:
        errors["note"] = [TOO_LONG]
    refuse(errors)
    assert day is not None
    calendar.set_override(session, actor, day, kind == "workday", note)
    platform.of(session).calendars.forget()
    return day


def remove_day(session: Session, actor: User, day_text: str) -> bool:
    removed = calendar.remove_override(session, actor, parse_day(day_text))
    platform.of(session).calendars.forget()
    return removed
