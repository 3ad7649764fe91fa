"""Timer jobs: the wake-up of one due second, its batches, and the periodic sweep. All are safe to
run twice (firing is idempotent under each case's lock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import Queue

from app import edge
from app.timer_sweep import BATCH, cases_due_within, fire_case_timers, fire_cases, sweep_due_timers

from . import job_queue


def wake_due(second: int) -> int:
    """Fire every case with a timer due within the Unix second ``second`` (job id
    `wake-at-<second>`). Up to one batch of cases fires here; more are split into batches queued
    for every worker (`fire-<second>-<n>`: a peak such as 17:30, when every task deadline of the
    day falls due at once, is shared out). Returns how many timers fired here."""
    start = datetime.fromtimestamp(second, UTC)
    case_ids = cases_due_within(edge.db(), start, start + timedelta(seconds=1))
    if len(case_ids) <= BATCH:
        return fire_cases(edge.db(), case_ids)
    batches = [case_ids[i : i + BATCH] for i in range(0, len(case_ids), BATCH)]
    job_queue(edge.settings()).enqueue_many(
        [
            Queue.prepare_data(
                "app.jobs.timers.fire_batch",
                (batch,),
                job_id=f"fire-{second}-{n}",
                result_ttl=0,
                failure_ttl=7 * 86400,
            )
            for n, batch in enumerate(batches)
        ]
    )
    return 0


def fire_batch(case_ids: list[int]) -> int:
    """Fire the due timers of these cases, each in its own transaction under its own lock."""
    return fire_cases(edge.db(), case_ids)


def wake_case(case_id: int) -> int:
    """Fire one case's due timers (job id `wake-<case id>`, as scheduled before wake-ups were
    grouped by second: such jobs may still wait in Redis)."""
    return fire_case_timers(edge.db(), case_id)


def sweep() -> int:
    """Fire every due, unfired timer of every case: what a lost job or a flushed Redis missed."""
    return sweep_due_timers(edge.db())
