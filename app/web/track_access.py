"""Who may see a case's status page: its applicant and staff (logged in), and any browser that
proved the case's query code once (remembered in the session, so codes leave the address)."""

from __future__ import annotations

from flask import session

from app.errors import NotFound
from app.models import Case, User
from app.services import cases

from . import common
from .auth import current_user

GRANTS = "tracked"  # session key: case numbers whose query code this browser has proved
MAX_GRANTS = 20


def clean(text: str | None, limit: int) -> str:
    """Typed text without NUL or surrounding space, at most ``limit`` characters."""
    return (text or "").replace("\x00", "").strip()[:limit]


def granted(number: str) -> bool:
    """Whether this browser proved the query code of case ``number``."""
    return number in (session.get(GRANTS) or [])


def grant(number: str) -> None:
    """Remember that this browser proved the query code (the last few cases only)."""
    numbers = [n for n in (session.get(GRANTS) or []) if n != number]
    session[GRANTS] = (numbers + [number])[-MAX_GRANTS:]


def viewable(number: str) -> tuple[Case, User | None] | None:
    """The case if this browser may see it (applicant, staff, or a proved query code)."""
    user = current_user()
    if user is not None:
        try:
            case, _with_data = cases.case_for_viewer(common.session(), number, user, None)
            return case, user
        except NotFound:
            pass
    if granted(number):
        try:
            return cases.find_case(common.session(), number), user
        except NotFound:
            return None
    return None


def may_rate(case: Case, user: User | None) -> bool:
    """The complainant: the account that filed the complaint, or, for an anonymous complaint, this
    browser once it proved the number and query code."""
    if case.applicant_id is not None:
        return user is not None and user.id == case.applicant_id
    return granted(case.number)
