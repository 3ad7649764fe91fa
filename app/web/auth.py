"""Session login for pages: who is logged in, requiring a login, and the failed-login guard.

The session cookie holds the user id and the user's ``token_version``: bumping the version (logout
everywhere, password change) ends page sessions as it revokes API tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, redirect, request, session, url_for

from app.extensions import redis_connection
from app.models import User
from app.services.login_guard import LoginGuard

from . import common

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
            return redirect(url_for("web.login", next=target.rstrip("?")))
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
