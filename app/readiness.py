"""Whether this process can serve: the database, Redis and the stored files' backend answer.

`/readyz` asks this so that a load balancer takes a machine out of rotation while one of them is
unreachable (and puts it back when it answers again), naming what is down. `/healthz` asks nothing:
it says only that the process runs, so that a restart is not triggered by a database outage.
(Give the database a connect timeout in its URL, e.g. ``?connect_timeout=3`` for PostgreSQL.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from sqlalchemy import text

from app.db import Database

log = logging.getLogger(__name__)

TIMEOUT = 3.0  # seconds a dependency has to answer a readiness probe


def check(database: Database, connection: redis.Redis, storage: Any) -> dict[str, str]:
    """Each dependency's state: ``ok``, or why it did not answer (its error's class and text,
    without connection strings or passwords)."""

    def database_ok() -> None:
        with database.unit_of_work(write=False) as session:
            session.execute(text("SELECT 1"))

    def storage_ok() -> None:
        with database.unit_of_work(write=False) as session:
            storage.ping(session)

    probes: dict[str, Callable[[], Any]] = {
        "database": database_ok,
        "redis": lambda: _ping(connection),
        "storage": storage_ok,
    }
    return {name: _probe(name, probe) for name, probe in probes.items()}


def _ping(connection: redis.Redis) -> None:
    """PING on a connection of its own with a time limit: the app's client waits as long as the
    operating system lets it, and a load balancer's check must get its answer in seconds."""
    pool = connection.connection_pool
    kwargs = {**pool.connection_kwargs, "socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT}
    probe = redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    )
    try:
        probe.ping()
    finally:
        probe.close()
        probe.connection_pool.disconnect()


def _probe(name: str, probe: Callable[[], Any]) -> str:
    try:
        probe()
    except Exception as error:  # any failure means "not ready": the answer names it
        log.warning("readiness: %s does not answer: %s", name, type(error).__name__)
        return f"unavailable: {type(error).__name__}"
    return "ok"
