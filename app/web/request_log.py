"""One log line and one latency observation per request, for the whole app (pages and API).

The line names the request id (the caller's ``X-Request-Id`` when it is a sane token, else a new
one, sent back in the response), the user, the case number when the route names one, the route
(the URL rule, so that `/track/<number>` is one route whatever the number), the status, the
duration and the source address. Refusals (403, 409, 429) and failed logins (401) are warnings,
so that a collector can alert on them; the probes of load balancers and Prometheus log at debug.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from app import log_format, metrics
from app.limits import client_address

log = logging.getLogger("permitflow.request")

_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
REFUSALS = frozenset({401, 403, 409, 429})
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"  # raw paths would be unbounded labels


def _user_id() -> int | None:
    user = g.get("web_user") or g.get("api_user")
    return getattr(user, "id", None)


def install(app: Flask) -> None:
    """Time, count and log every request of ``app``."""

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        log_format.context.set({"request_id": g.request_id})

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("request_started")
        duration = time.perf_counter() - started if started is not None else 0.0
        route, status = _route(), response.status_code
        method = request.method if request.method in METHODS else "OTHER"
        metrics.REQUEST_LATENCY.labels(route=route, method=method, status=str(status)).observe(duration)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        fields = {
            "event": "request.refused" if status in REFUSALS else "request",
            "request_id": g.get("request_id"),
            "user_id": _user_id(),
            "case_number": (request.view_args or {}).get("number"),
            "method": request.method,
            "route": route,
            "path": request.path,
            "status": status,
            "duration_ms": round(duration * 1000, 1),
            "source_address": client_address(),
        }
        level = logging.DEBUG if route in PROBES and status < 400 else logging.INFO
        if status in REFUSALS:
            level = logging.WARNING
        log.log(
            level, "%s %s %s %.1f ms", request.method, request.path, status, duration * 1000, extra=fields
        )
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        log_format.context.set(None)  # a thread serves the next request with none of these fields
