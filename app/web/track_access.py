"""Who may see a case's status page: its applicant and staff (logged in), and any browser that
proved the case's query code once (remembered in the session, so codes leave the address)."""

from __future__ import annotations

from flask import session

from app.errors import NotFound
from app.models import Case, User
from app.services import cases

from . import common
from .auth import current_user

GRANTS = "tracked"  # session key: the cases (number and code) whose query code this browser proved
MAX_GRANTS = 20


def clean(text: str | None, limit: int) -> str:
    """Typed text without NUL or surrounding space, at most ``limit`` characters."""
    return (text or "").replace("\x00", "").strip()[:limit]


def _token(case: Case) -> str:
    # The grant names the code in force: when a lost code is replaced (track_recover), browsers
    # that proved the old one lose their access with it.
    return f"{case.number}:{case.query_code_hash[:16]}"


def granted(case: Case) -> bool:
    """Whether this browser proved the query code of ``case`` (the code it has now)."""
    return _token(case) in (session.get(GRANTS) or [])


def grant(case: Case) -> None:
    """Remember that this browser proved the query code (the last few cases only)."""
    token = _token(case)
    kept = [t for t in (session.get(GRANTS) or []) if isinstance(t, str) and t.split(":")[0] != case.number]
    session[GRANTS] = (kept + [token])[-MAX_GRANTS:]


def viewable(number: str) -> tuple[Case, User | None] | None:
    """The case if this browser may see it (applicant, staff, or a proved query code)."""
    user = current_user()
    if user is not None:
        try:
            case, _with_data = cases.case_for_viewer(common.session(), number, user, None)
            return case, user
        except NotFound:
            pass
    if not any(isinstance(t, str) and t.startswith(number + ":") for t in session.get(GRANTS) or []):
        return None  # this browser proved no code of this number: nothing to read
    try:
        case = cases.find_case(common.session(), number)
    except NotFound:
        return None
    return (case, user) if granted(case) else None


def may_rate(case: Case, user: User | None) -> bool:
    """The complainant: the account that filed the complaint, or, for an anonymous complaint, this
    browser once it proved the number and query code."""
    if case.applicant_id is not None:
        return user is not None and user.id == case.applicant_id
    return granted(case)
