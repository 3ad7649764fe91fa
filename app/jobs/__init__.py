"""Background jobs on rq. Jobs take ids, are safe to run twice and carry a per-entity job id."""

from __future__ import annotations

from rq import Queue

from app.config import Settings
from app.extensions import redis_connection


def job_queue(settings: Settings) -> Queue:
    """The platform's rq queue on its Redis."""
    return Queue(settings.queue_name, connection=redis_connection(settings))
