"""`worker.py --cron`: queues the periodic sweep, the audit checkpoint and the re-queueing of
webhook deliveries whose job was lost, from the one cron process
that holds the sweep lease (app/jobs/sweep_leader.py). Run any number on any machines: the others
wait, and one of them takes over within a lease of the leader's death."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from redis import Redis
from rq import Queue

from app.config import Settings

from .sweep_leader import SweepLeader

log = logging.getLogger(__name__)


def run_cron(settings: Settings, connection: Redis, stop: threading.Event | None = None) -> None:
    """Until ``stop`` is set (or SIGTERM/SIGINT): hold or wait for the lease; while leading, queue a
    sweep every ``PERMITFLOW_SWEEP_INTERVAL`` seconds and a checkpoint every
    ``PERMITFLOW_AUDIT_CHECKPOINT_INTERVAL`` seconds, each job carrying the fencing token."""
    stop = stop or _stop_on_signals()
    leader = SweepLeader(connection, settings.queue_name, settings.sweep_lease_seconds)
    queue = Queue(settings.queue_name, connection=connection)
    schedule: list[tuple[str, float, bool]] = [  # job, interval, whether it carries the token
        ("app.jobs.timers.sweep", settings.sweep_interval_seconds, True),
        ("app.jobs.audit.checkpoint_audit", settings.audit_checkpoint_interval, False),
        ("app.jobs.webhooks.requeue_stalled", settings.sweep_interval_seconds, False),
    ]
    next_at = {name: 0.0 for name, _, _ in schedule}
    # Renewed well inside the lease, so a slow Redis answer never lets it lapse.
    beat = max(0.05, settings.sweep_lease_seconds / 3)
    was_leading = False
    try:
        while not stop.is_set():
            token = leader.hold()
            if (token is not None) != was_leading:
                was_leading = token is not None
                log.info("sweep leader: %s (token %s)", "leading" if was_leading else "standing by", token)
                next_at = dict.fromkeys(next_at, 0.0)  # a new leader sweeps at once
            now = time.monotonic()
            for name, interval, fenced in schedule if token is not None else []:
                if now >= next_at[name]:
                    kwargs = {"fence": token} if fenced else {}
                    queue.enqueue(name, job_timeout=600, result_ttl=3600, kwargs=kwargs)
                    next_at[name] = now + interval
            wait = min([beat, *(max(0.0, t - now) for t in next_at.values())]) if token else beat
            stop.wait(wait)
    finally:
        leader.release()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    return stop
