"""The attempt limiters of an app (query-code lookups, public submissions, certificate verifications)
and the login guard, built once per app on its Redis and shared by the API and the pages, so both
count against one budget per address (and a login locked on one path is locked on the other)."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import request

from app import edge
from app.config import Settings
from app.services.login_guard import LoginGuard
from app.services.rate_limit import AttemptLimiter


@dataclass(frozen=True)
class Limits:
    lookup: AttemptLimiter
    submit: AttemptLimiter
    verify: AttemptLimiter
    login: LoginGuard

    @classmethod
    def build(cls, settings: Settings, client: redis.Redis) -> Limits:
        return cls(
            lookup=AttemptLimiter(client, "lookup", settings.lookup_max_failures, settings.lookup_window),
            submit=AttemptLimiter(
                client, "submit", settings.public_submit_limit, settings.public_submit_window
            ),
            verify=AttemptLimiter(client, "verify", settings.verify_limit, settings.verify_window),
            login=LoginGuard(
                client,
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_failure_window,
                lockout_seconds=settings.login_lockout_seconds,
                address_max_failures=settings.login_address_max_failures,
            ),
        )


def lookup_limiter() -> AttemptLimiter:
    """Wrong query codes per address (API `GET /cases/{number}` with a code, and `/track`)."""
    return edge.state().limits.lookup


def submit_limiter() -> AttemptLimiter:
    """Submissions without an account per address (`POST /cases` for public processes)."""
    return edge.state().limits.submit


def verify_limiter() -> AttemptLimiter:
    """Certificate verifications per address (`/verify` pages and `GET /api/v1/verify/{no}`)."""
    return edge.state().limits.verify


def login_guard() -> LoginGuard:
    """The failed-login counters of every authentication path, shared by every worker through Redis."""
    return edge.state().limits.login


def client_address() -> str:
    """The caller's address. Behind reverse proxies set PERMITFLOW_PROXY_HOPS (create_app then wraps
    the app in werkzeug's ProxyFix) so this is the client's and not the proxy's (else all clients
    share one budget)."""
    return request.remote_addr or "unknown"
