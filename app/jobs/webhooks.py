"""Sending webhook deliveries: one job per attempt (`webhook-<delivery>-<attempt>`), which claims
the attempt, sends it (services/webhook_sending.py: signed, to the checked address, with a timeout)
and logs the answer; a failed attempt schedules the next one on rq after an exponential backoff
(`PERMITFLOW_WEBHOOK_RETRY_SECONDS`, times 4 each time) until `PERMITFLOW_WEBHOOK_ATTEMPTS`.

Safe to run twice: an attempt already made, a delivery sent or given up, is not sent again. The
job itself never fails on the receiver's account, and its rq timeout bounds a receiver that
trickles its answer, so a slow receiver cannot hold a worker.
"""

from __future__ import annotations

from datetime import timedelta

from rq import Queue
from rq.job import Job
from rq.queue import EnqueueData

from app import clock, edge
from app.config import Settings
from app.services import webhook_sending, webhooks

from . import job_queue
from .runner import in_transaction

FUNCTION = "app.jobs.webhooks.deliver_webhook"


def job_id(delivery_id: int, attempt: int) -> str:
    return f"webhook-{delivery_id}-{attempt}"


def job_timeout(settings: Settings) -> int:
    """Every socket step has the delivery timeout; the whole job at most a few of them."""
    return int(settings.webhook_timeout * 3) + 10


def webhook_job(settings: Settings, delivery_id: int, attempt: int) -> EnqueueData:
    """The job of one attempt, for enqueueing after a commit (app/jobs/dispatch.py)."""
    return Queue.prepare_data(
        FUNCTION,
        (delivery_id, attempt),
        timeout=job_timeout(settings),
        job_id=job_id(delivery_id, attempt),
        result_ttl=3600,
        failure_ttl=7 * 86400,
    )


def deliver_webhook(delivery_id: int, attempt: int) -> str:
    """Make attempt ``attempt`` of the delivery; `delivered`, `retry in N s`, `failed` or `skipped`."""
    settings = edge.settings()
    outgoing = in_transaction(lambda s: webhooks.start_attempt(s, delivery_id, attempt, clock.now()))
    if outgoing is None:
        return "skipped"
    answer = webhook_sending.send(
        outgoing, allow=settings.webhook_allow_hosts, timeout=settings.webhook_timeout, now=clock.now()
    )
    delay = in_transaction(lambda s: webhooks.record_answer(s, settings, delivery_id, answer, clock.now()))
    if delay is None:
        return "delivered" if answer.delivered else "failed"
    job_queue(settings).enqueue_in(
        timedelta(seconds=delay),
        FUNCTION,
        delivery_id,
        attempt + 1,
        job_id=job_id(delivery_id, attempt + 1),
        job_timeout=job_timeout(settings),
        result_ttl=3600,
        failure_ttl=7 * 86400,
    )
    return f"retry in {delay:g} s"


STALLED = timedelta(minutes=5)


def requeue_stalled() -> int:
    """Queue again the attempts whose job was lost (queued by `worker.py --cron` with each sweep);
    an attempt whose job still waits in Redis is left to it. Returns how many were queued."""
    settings = edge.settings()
    before = clock.now() - STALLED - timedelta(seconds=job_timeout(settings))
    found = in_transaction(lambda s: webhooks.stalled(s, before), write=False)
    queue = job_queue(settings)
    queued = 0
    for delivery_id, attempt in found:
        if Job.exists(job_id(delivery_id, attempt), connection=queue.connection):
            continue
        queue.enqueue_call(
            FUNCTION,
            (delivery_id, attempt),
            timeout=job_timeout(settings),
            job_id=job_id(delivery_id, attempt),
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
        queued += 1
    return queued
