"""The operations endpoints a load balancer and Prometheus call (API.md, "Operations").

`/healthz` answers 200 while the process runs and asks nothing else; `/readyz` answers 200 when
the database, Redis and the stored files' backend answer, else 503 naming what does not;
`/metrics` is the Prometheus text format for clients of ``PERMITFLOW_METRICS_ALLOW`` that reach the
machine directly (404 for anyone else, and for requests a proxy forwarded: the figures are the
operations team's, not the public's).
"""

from __future__ import annotations

import ipaddress
from functools import cache

from flask import Blueprint, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue

from app import edge, metrics_scrape, readiness

bp = Blueprint("operations", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up (no dependency is asked: a database outage must not restart it)."""
    return _uncached(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """200 when the database, Redis and storage answer; 503 naming each one that does not."""
    state = edge.state()
    checks = readiness.check(state.database, state.redis, state.platform.storage)
    down = [name for name, result in checks.items() if result != "ok"]
    body = jsonify(status="unavailable" if down else "ready", checks=checks, unavailable=down)
    return _uncached(body), 503 if down else 200


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics of this machine's processes, for the networks the settings allow."""
    settings = edge.settings()
    # Through the load balancer every client seems to come from its (private) address: a request
    # a proxy forwarded is the public's. Prometheus scrapes each machine directly.
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if forwarded or not _allowed(request.remote_addr or "", settings.metrics_allow):
        abort(404)
    state = edge.state()
    registry = metrics_scrape.scrape_registry(
        state.database, state.redis, settings.queue_name, settings.metrics_multiproc_dir
    )
    return _uncached(Response(metrics_scrape.render(registry), content_type=metrics_scrape.CONTENT_TYPE))


@cache
def _networks(allowed: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in allowed.split(",") if part.strip()
    )


def _allowed(address: str, allowed: str) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client.version == net.version and client in net for net in _networks(allowed))


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
