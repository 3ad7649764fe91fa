"""The attempt limiters of this app (query-code lookups, public submissions), built once per app
on its Redis and shared by the API and the pages, so both count against one budget per address."""

from __future__ import annotations

from flask import current_app, request

from app.config import Settings
from app.extensions import redis_connection
from app.services.rate_limit import AttemptLimiter


def _limiter(name: str) -> AttemptLimiter:
    key = f"permitflow.limiter.{name}"
    limiter: AttemptLimiter | None = current_app.extensions.get(key)
    if limiter is None:
        settings: Settings = current_app.extensions["permitflow.settings"]
        if name == "lookup":
            limit, window = settings.lookup_max_failures, settings.lookup_window
        else:
            limit, window = settings.public_submit_limit, settings.public_submit_window
        limiter = AttemptLimiter(redis_connection(settings), name, limit, window)
        current_app.extensions[key] = limiter
    return limiter


def lookup_limiter() -> AttemptLimiter:
    """Wrong query codes per address (API `GET /cases/{number}` with a code, and `/track`)."""
    return _limiter("lookup")


def submit_limiter() -> AttemptLimiter:
    """Submissions without an account per address (`POST /cases` for public processes)."""
    return _limiter("submit")


def client_address() -> str:
    """The caller's address. Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so this
    is the client's and not the proxy's (else all clients share one budget)."""
    return request.remote_addr or "unknown"
