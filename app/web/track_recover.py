"""`/track/recover`: a complainant who lost the query code gives the case number and the phone or
e-mail address given at filing; a new code is sent there (services/code_recovery.py). A match, a
mismatch, an unknown number and a case whose code was replaced within the window all get the same page and
status, and every attempt counts against the address (the lookup budget), so the page cannot be
used to test phone numbers against cases."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app import edge
from app.errors import TooManyRequests
from app.limits import client_address, lookup_limiter
from app.services import code_recovery
from app.services.rate_limit import LOOKUP_REFUSED

from . import common
from .track import bp
from .track_access import clean


def _page(
    number: str = "", error: str | None = None, sent: bool = False, status: int = 200
) -> tuple[str, int]:
    hours = edge.settings().code_recovery_hours
    html = render_template("track_recover.html", number=number, error=error, sent=sent, config_hours=hours)
    return html, status


def _too_many(number: str, err: TooManyRequests) -> ResponseReturnValue:
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
    """Ask for a new query code by the case number and the contact given at filing. The answer is
    the same whether or not they match (and whether the case's window allows a new code): the page
    tells nobody which phone numbers belong to which complaint."""
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
        return _too_many(number, err)
    code_recovery.recover(common.session(), number, contact)
    common.commit()
    limiter.hit(client_address())  # every attempt, matching or not: the budget tells nothing either
    return _page(number, sent=True)
