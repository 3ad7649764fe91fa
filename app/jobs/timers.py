"""Timer jobs: the wake-up of one due second, its batches, and the periodic sweep. All are safe to
run twice (firing is idempotent under each case's lock)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from rq import Queue
from rq.job import Job

from app import edge
from app.extensions import redis_connection
from app.timer_sweep import BATCH, cases_due_within, fire_case_timers, fire_cases, sweep_due_timers

from . import job_queue
from .sweep_leader import fence_is_current

log = logging.getLogger(__name__)


def wake_due(second: int) -> int:
    """Fire every case with a timer due within the Unix second ``second`` (job id
    `wake-at-<second>`). Up to one batch of cases fires here; more are shared out as jobs
    `fire-<second>-<k>-of-<n>`, each firing the cases of that second whose id is ``k`` modulo
    ``n``, so that every worker takes part in a peak such as 17:30, when every task deadline of
    the day falls due at once. Returns how many timers fired here."""
    start, end = _window(second)
    case_ids = cases_due_within(edge.db(), start, end)
    if len(case_ids) <= BATCH:
        return fire_cases(edge.db(), case_ids)
    n = -(-len(case_ids) // BATCH)
    queue = job_queue(edge.settings())
    job_ids = [f"fire-{second}-{k}-of-{n}" for k in range(n)]
    # This second woken again (a case saved meanwhile) while its batches wait: those that still
    # wait are not queued twice; each batch reads its cases when it runs.
    pipe = queue.connection.pipeline()
    for job_id in job_ids:
        pipe.exists(Job.key_for(job_id))
    waiting = pipe.execute()
    queue.enqueue_many(
        [
            Queue.prepare_data(
                "app.jobs.timers.fire_batch",
                (second, k, n),
                job_id=job_id,
                result_ttl=0,
                failure_ttl=7 * 86400,
            )
            for k, (job_id, exists) in enumerate(zip(job_ids, waiting, strict=True))
            if not exists
        ]
    )
    return 0


def fire_batch(second: int, k: int, n: int) -> int:
    """Fire the cases due within ``second`` whose id is ``k`` modulo ``n``, each in a savepoint
    of its own under its own lock. Returns how many timers fired."""
    start, end = _window(second)
    return fire_cases(edge.db(), cases_due_within(edge.db(), start, end, part=(k, n)))


def _window(second: int) -> tuple[datetime, datetime]:
    start = datetime.fromtimestamp(second, UTC)
    return start, start + timedelta(seconds=1)


def wake_case(case_id: int) -> int:
    """Fire one case's due timers (job id `wake-<case id>`, as scheduled before wake-ups were
    grouped by second: such jobs may still wait in Redis)."""
    return fire_case_timers(edge.db(), case_id)


def sweep(fence: int | None = None) -> int:
    """Fire every due, unfired timer of every case: what a lost job or a flushed Redis missed.
    ``fence``: the token of the cron leader that queued it (app/jobs/sweep_leader.py); queued by a
    leader that another has replaced since, it does nothing."""
    if fence is not None:
        settings = edge.settings()
        if not fence_is_current(redis_connection(settings), settings.queue_name, fence):
            log.warning("sweep queued by replaced cron leader (token %s) skipped", fence)
            return 0
    return sweep_due_timers(edge.db())
