"""`/track/recover`: a complainant who lost the query code gives the case number and the phone or
e-mail address given at filing; a new code is sent there (services/code_recovery.py). A mismatch and
an unknown number get the same answer, and count as a wrong guess of the address (the lookup
budget), so the page cannot be used to test phone numbers against cases."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.errors import TooManyRequests
from app.limits import client_address, lookup_limiter
from app.services import code_recovery
from app.services.rate_limit import LOOKUP_REFUSED

from . import common
from .track import bp
from .track_access import clean


def _page(
    number: str = "", error: str | None = None, sent: code_recovery.Recovery | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template("track_recover.html", number=number, error=error, sent=sent), status


def _too_many(number: str, err: TooManyRequests, *, case_window: bool) -> ResponseReturnValue:
    if case_window:
        hours = max(1, -(-err.retry_after // 3600))
        message = ngettext(
            "A new query code was sent for this case a short while ago. Check your messages; another "
            "can be sent in %(num)d hour, or call the bureau's hotline.",
            "A new query code was sent for this case a short while ago. Check your messages; another "
            "can be sent in %(num)d hours, or call the bureau's hotline.",
            hours,
        )
    else:
        minutes = max(1, -(-err.retry_after // 60))
        message = ngettext(
            "Too many attempts from your network. Please try again in %(num)d minute.",
            "Too many attempts from your network. Please try again in %(num)d minutes.",
            minutes,
        )
    html, _status = _page(number, message)
    return html, 429, {"Retry-After": str(err.retry_after)}


@bp.route("/track/recover", methods=["GET", "POST"])
def recover_code() -> ResponseReturnValue:
    """Ask for a new query code by the case number and the contact given at filing."""
    if request.method == "GET":
        return _page(clean(request.args.get("number"), 40).upper())
    number = clean(request.form.get("number"), 40).upper()
    contact = clean(request.form.get("contact"), 254)
    if not number or not contact:
        return _page(
            number, gettext("Enter the case number and the phone number or e-mail address."), status=400
        )
    limiter = lookup_limiter()
    try:
        limiter.check(client_address(), LOOKUP_REFUSED)
    except TooManyRequests as err:
        return _too_many(number, err, case_window=False)
    try:
        sent = code_recovery.recover(common.session(), number, contact)
        common.commit()
    except TooManyRequests as err:
        common.rollback()
        return _too_many(number, err, case_window=True)
    if sent is None:
        limiter.hit(client_address())
        message = gettext(
            "No complaint matches this number and contact. Give the phone number or e-mail address "
            "exactly as entered when the complaint was filed, or call the bureau's hotline."
        )
        return _page(number, message, status=404)
    return _page(number, sent=sent)
