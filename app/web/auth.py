"""Session login for pages: who is logged in, requiring a login, the failed-login guard, and the
login, logout and language pages (the blueprint `account`).

The session cookie holds the user id and the user's ``token_version``: bumping the version (logout
everywhere, password change) ends page sessions as it revokes API tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
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

from app.errors import NotAuthenticated
from app.extensions import redis_connection
from app.models import User
from app.services import auth as auth_service
from app.services.login_guard import LoginGuard

from . import common
from .i18n import COOKIE, LANGUAGES

LEADERS = "bureau"  # the bureau's leaders (the dashboard's LEADERS)

# `auth` is the API's blueprint (its OpenAPI tag), so the pages' login area is `account`.
bp = Blueprint("account", __name__)

USER_KEY = "uid"
VERSION_KEY = "tv"


def current_user() -> User | None:
    """The logged-in user of this request, or None."""
    if "web_user" not in g:
        user = None
        user_id, version = session.get(USER_KEY), session.get(VERSION_KEY)
        if isinstance(user_id, int) and isinstance(version, int):
            found = common.session().get(User, user_id)
            if found is not None and found.is_active and found.token_version == version:
                user = found
        g.web_user = user
    result: User | None = g.web_user
    return result


def log_in(user: User) -> None:
    # A fresh session on login, so a session id planted before login is worth nothing.
    session.clear()
    session[USER_KEY] = user.id
    session[VERSION_KEY] = user.token_version
    g.web_user = user


def log_out() -> None:
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


def login_guard() -> LoginGuard:
    """The failed-login counters, shared by every worker through Redis."""
    guard: LoginGuard | None = current_app.extensions.get("permitflow.login_guard")
    if guard is None:
        settings = common.settings()
        guard = LoginGuard(
            redis_connection(settings),
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_failure_window,
            lockout_seconds=settings.login_lockout_seconds,
        )
        current_app.extensions["permitflow.login_guard"] = guard
    return guard


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
        guard = login_guard()
        if not username or not password:
            error, status = gettext("Enter your username and password."), 400
        elif guard.locked_for(username):
            minutes = max(1, round(guard.locked_for(username) / 60))
            error = ngettext(
                "Too many failed attempts. This account is locked; try again in %(num)d minute.",
                "Too many failed attempts. This account is locked; try again in %(num)d minutes.",
                minutes,
            )
            status = 429
        else:
            try:
                user = auth_service.authenticate(common.session(), username, password)
            except NotAuthenticated:
                common.rollback()
                guard.record_failure(username)
                error, status = gettext("Wrong username or password."), 401
            else:
                guard.reset(username)
                log_in(user)
                return redirect(common.safe_next(request.values.get("next"), landing_url(user)))
    return render_template("login.html", error=error, username=username, next=next_url), status


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
        secure=common.settings().secure_cookies,
    )
    return response
