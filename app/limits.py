"""The attempt limiters of this app (query-code lookups, public submissions, certificate
verifications) and the login guard, built once per app on its Redis and shared by the API and the
pages, so both count against one budget per address (and a login locked on one path is locked on
the other)."""

from __future__ import annotations

from flask import current_app, request

from app.config import Settings
from app.extensions import redis_connection
from app.services.login_guard import LoginGuard
from app.services.rate_limit import AttemptLimiter


def _settings() -> Settings:
    settings: Settings = current_app.extensions["permitflow.settings"]
    return settings


def _limiter(name: str) -> AttemptLimiter:
    key = f"permitflow.limiter.{name}"
    limiter: AttemptLimiter | None = current_app.extensions.get(key)
    if limiter is None:
        settings = _settings()
        budgets = {
            "lookup": (settings.lookup_max_failures, settings.lookup_window),
            "submit": (settings.public_submit_limit, settings.public_submit_window),
            "verify": (settings.verify_limit, settings.verify_window),
        }
        limit, window = budgets[name]
        limiter = AttemptLimiter(redis_connection(settings), name, limit, window)
        current_app.extensions[key] = limiter
    return limiter


def lookup_limiter() -> AttemptLimiter:
    """Wrong query codes per address (API `GET /cases/{number}` with a code, and `/track`)."""
    return _limiter("lookup")


def submit_limiter() -> AttemptLimiter:
    """Submissions without an account per address (`POST /cases` for public processes)."""
    return _limiter("submit")


def verify_limiter() -> AttemptLimiter:
    """Certificate verifications per address (`/verify` pages and `GET /api/v1/verify/{no}`)."""
    return _limiter("verify")


def login_guard() -> LoginGuard:
    """The failed-login counters of every authentication path, shared by every worker through Redis."""
    guard: LoginGuard | None = current_app.extensions.get("permitflow.login_guard")
    if guard is None:
        settings = _settings()
        guard = LoginGuard(
            redis_connection(settings),
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_failure_window,
            lockout_seconds=settings.login_lockout_seconds,
            address_max_failures=settings.login_address_max_failures,
        )
        current_app.extensions["permitflow.login_guard"] = guard
    return guard


def client_address() -> str:
    """The caller's address. Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so this
    is the client's and not the proxy's (else all clients share one budget)."""
    return request.remote_addr or "unknown"
