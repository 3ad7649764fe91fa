"""One log line and one duration observation per job a worker runs (the worker's request log).

Lines logged while the job runs carry its id and function (``log_format.context``), so that a
collector can put a failing job's traceback beside its start and end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from rq.job import Job

from app import log_format, metrics

log = logging.getLogger("permitflow.job")


@contextmanager
def observed(job: Job) -> Iterator[None]:
    """Time the job, count it by function and outcome, and log the outcome."""
    function = job.func_name or "<unknown>"
    log_format.context.set({"job_id": job.id, "function": function})
    started = time.perf_counter()
    try:
        yield
    finally:
        duration = time.perf_counter() - started
        outcome = _outcome(job)
        metrics.JOBS.labels(function=function, outcome=outcome).observe(duration)
        level = logging.WARNING if outcome == "failed" else logging.INFO
        log.log(
            level,
            "job %s %s %s %.1f ms",
            job.id,
            function,
            outcome,
            duration * 1000,
            extra={"event": "job", "outcome": outcome, "duration_ms": round(duration * 1000, 1)},
        )
        log_format.context.set(None)


def _outcome(job: Job) -> str:
    # Failed jobs are kept (failure_ttl); a finished one with result_ttl=0 is already gone.
    try:
        status = job.get_status(refresh=True)
    except redis.RedisError:
        return "unknown"
    except Exception:  # rq: the job's hash no longer exists
        return "finished"
    return str(getattr(status, "value", status) or "finished")
