"""The case status page: `/track` (lookup by number and query code) and `/track/<number>`.

The applicant of a case (logged in) and staff open it directly. Anyone else proves the query code
once, by the lookup form (POST) or a `?code=` link; the page then remembers the case in the
session and drops the code from the address, so codes do not linger in histories and logs.
Unknown numbers and wrong codes give the same answer. Only the logged-in applicant of the case
sees its correction requests' details, answers them and uploads documents; everyone else sees
the status, with personal data masked.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.errors import NotFound, TooManyRequests
from app.limits import client_address, lookup_limiter
from app.models import Case
from app.services import cases
from app.services.rate_limit import LOOKUP_REFUSED

from . import common
from .track_access import clean, grant, viewable
from .track_status import render_status

bp = Blueprint("track", __name__)


def not_found_message() -> str:
    """One answer for a wrong code and an unknown number alike."""
    return gettext("No case matches this number and query code. Check both and try again.")


def lookup_page(number: str = "", error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The lookup form, with the number typed in and what went wrong."""
    return render_template("track_lookup.html", number=number, error=error), status


def _check_code(number: str, code: str) -> Case | None:
    """The case if ``code`` is its query code; None for a wrong code or an unknown number alike.

    Wrong codes are counted per address; past the limit this raises TooManyRequests for every
    code, the right one included, until the window ends (so a guesser learns nothing)."""
    limiter = lookup_limiter()
    limiter.check(client_address(), LOOKUP_REFUSED)
    try:
        case, _with_data = cases.case_for_viewer(common.session(), number, None, code)
    except NotFound:
        limiter.hit(client_address())
        return None
    return case


def _too_many(number: str, err: TooManyRequests) -> ResponseReturnValue:
    minutes = max(1, -(-err.retry_after // 60))
    message = ngettext(
        "Too many wrong query codes were entered from your network. For your security, lookups are "
        "paused for %(num)d minute; after that the right code works again.",
        "Too many wrong query codes were entered from your network. For your security, lookups are "
        "paused for %(num)d minutes; after that the right code works again.",
        minutes,
    )
    html = render_template("track_lookup.html", number=number, error=message)
    return html, 429, {"Retry-After": str(err.retry_after)}


@bp.route("/track", methods=["GET", "POST"])
def track() -> ResponseReturnValue:
    """The lookup form; posting a number and its query code opens the case's status page."""
    if request.method == "GET":
        return lookup_page(clean(request.args.get("number"), 40))
    number = clean(request.form.get("number"), 40).upper()
    code = clean(request.form.get("code"), 40).upper()
    if not number or not code:
        return lookup_page(number, gettext("Enter the case number and its query code."), 400)
    try:
        found = _check_code(number, code)
    except TooManyRequests as err:
        return _too_many(number, err)
    if found is None:
        return lookup_page(number, not_found_message(), 404)
    grant(found)
    return redirect(url_for("track.track_case", number=number))


@bp.route("/track/<number>")
def track_case(number: str) -> ResponseReturnValue:
    """The status page of one case."""
    number = clean(number, 40).upper()
    code = clean(request.args.get("code"), 40).upper()
    if code:
        try:
            found_by_code = _check_code(number, code)
        except TooManyRequests as err:
            return _too_many(number, err)
        if found_by_code is None:
            return lookup_page(number, not_found_message(), 404)
        grant(found_by_code)
        return redirect(url_for("track.track_case", number=number))
    found = viewable(number)
    if found is None:
        return lookup_page(number)
    case, user = found
    return render_status(case, user)
