"""Session login for pages: who is logged in, requiring a login, and the
login, logout and language pages (the blueprint `account`).

The session cookie holds the user id, the user's ``token_version`` (bumped by logout everywhere and
password changes, which end page sessions as they revoke API tokens) and ``session_version``
(bumped at logout, so a session cookie saved before logout is worth nothing after it: the cookie is
signed but not stored, so only a version kept on the server can revoke it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.errors import LoginLocked, NotAuthenticated
from app.limits import client_address, login_guard
from app.models import User
from app.services import auth as auth_service
from app.services import caller

from . import common
from .i18n import COOKIE, LANGUAGES

LEADERS = "bureau"  # the bureau's leaders (the dashboard's LEADERS)

# `auth` is the API's blueprint (its OpenAPI tag), so the pages' login area is `account`.
bp = Blueprint("account", __name__)

USER_KEY = "uid"
VERSION_KEY = "tv"
SESSION_VERSION_KEY = "sv"


def current_user() -> User | None:
    """The logged-in user of this request, or None."""
    if "web_user" not in g:
        user = None
        user_id, version = session.get(USER_KEY), session.get(VERSION_KEY)
        session_version = session.get(SESSION_VERSION_KEY)
        if isinstance(user_id, int) and isinstance(version, int) and isinstance(session_version, int):
            found = caller.user_with_groups(common.session(), user_id)
            if (
                found is not None
                and found.is_active
                and found.token_version == version
                and found.session_version == session_version
            ):
                user = found
        g.web_user = user
    result: User | None = g.web_user
    return result


def log_in(user: User) -> None:
    # A fresh session on login, so a session id planted before login is worth nothing.
    session.clear()
    session[USER_KEY] = user.id
    session[VERSION_KEY] = user.token_version
    session[SESSION_VERSION_KEY] = user.session_version
    g.web_user = user


def log_out() -> None:
    """End the page session, and (server side) every page session cookie of the user saved so far."""
    user = current_user()
    if user is not None:
        auth_service.end_page_sessions(user)
        common.commit()
    session.clear()
    g.web_user = None


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send visitors who are not logged in to the login page, and back here afterwards."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("account.login", next=target.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def landing_url(user: User) -> str:
    """Where a login lands without a `next`: leaders on the dashboard, analysts on the processes,
    auditors on the audit trail, everyone else in the inbox (which sends applicants on to their cases)."""
    if any(m.group.slug == LEADERS for m in user.memberships):
        return url_for("dashboard.dashboard")
    if user.has_role("analyst"):
        return url_for("analyst.process_list")
    if user.has_role("auditor"):
        return url_for("audit.audit_trail")
    return url_for("inbox.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with username and password; repeated failures lock the username for a while."""
    next_url = common.safe_next(request.values.get("next"), url_for("inbox.inbox"))
    error = None
    username = ""
    status = 200
    if request.method == "POST":
        username = common.no_nul(request.form.get("username", "")).strip()[:64]
        password = common.no_nul(request.form.get("password", ""))[:256]
        if not username or not password:
            error, status = gettext("Enter your username and password."), 400
        else:
            try:
                user = auth_service.sign_in(
                    common.session(), login_guard(), username, password, client_address()
                )
            except LoginLocked as locked:
                common.commit()  # a lock that ended stays in the audit trail
                error, status = _locked_message(locked.retry_after), 429
            except NotAuthenticated:
                common.commit()  # a lock this failure started stays in the audit trail
                error, status = gettext("Wrong username or password."), 401
            else:
                common.commit()  # a lock that ended before this login is audited
                log_in(user)
                return redirect(common.safe_next(request.values.get("next"), landing_url(user)))
    return render_template("login.html", error=error, username=username, next=next_url), status


def _locked_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if login_guard().address_locked(client_address()):
        return ngettext(
            "Too many failed attempts from your address. Try again in %(num)d minute.",
            "Too many failed attempts from your address. Try again in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Too many failed attempts. This account is locked; try again in %(num)d minute.",
        "Too many failed attempts. This account is locked; try again in %(num)d minutes.",
        minutes,
    )


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """End the page session."""
    log_out()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("account.login"))


@bp.route("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Switch the pages' language and remember the choice in a cookie for a year."""
    if code not in LANGUAGES:
        abort(404)
    response = make_response(redirect(common.safe_next(request.args.get("next"), url_for("inbox.inbox"))))
    response.set_cookie(
        COOKIE,
        code,
        max_age=365 * 86400,
        samesite="Lax",
        httponly=True,
        secure=common.settings().secure_cookies or common.settings().production,
    )
    return response
