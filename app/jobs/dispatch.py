"""Turning work deferred by services into rq jobs, after the transaction has committed."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

import redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.queue import EnqueueData

from app.config import Settings
from app.services.deferred import Deferred, SendCode, SendEmail, SendSms, SendWebhook, WakeCase

from . import job_queue
from .email import MAX_ATTEMPTS, RETRY_INTERVALS
from .webhooks import webhook_job

log = logging.getLogger(__name__)


def wake_job_id(case_id: int) -> str:
    """The id of a per-case wake-up job (scheduled before wake-ups were grouped by second;
    such jobs may still be waiting in Redis and still run)."""
    return f"wake-{case_id}"  # rq allows only letters, digits, _ and - in ids


def wake_second(at: datetime) -> int:
    """The Unix second a wake-up at ``at`` belongs to: every case due within it shares one job."""
    return math.floor(at.timestamp())


def second_job_id(second: int) -> str:
    return f"wake-at-{second}"


class RqDispatcher:
    """Schedules wake-ups (one job per due second, `wake-at-<second>`, whatever the number of
    cases due in it) and e-mails/SMS/webhook deliveries on rq, all of one commit in one round trip.

    The queue is opened on first use, so commands that never defer work never touch Redis.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: Queue | None = None

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            self._queue = job_queue(self.settings)
        return self._queue

    def __call__(self, items: list[Deferred]) -> None:
        try:
            pipe = self.queue.connection.pipeline()
            self._schedule_wakeups({wake_second(i.at) for i in items if isinstance(i, WakeCase)}, pipe)
            sends = [self._send(item) for item in items if not isinstance(item, WakeCase)]
            if sends:
                self.queue.enqueue_many(sends, pipeline=pipe)
            pipe.execute()
        except redis.RedisError:
            # Timer rows stay due and the sweep fires them; e-mails and webhook deliveries stay pending.
            log.warning("Redis unreachable: %d deferred job(s) left to the sweep", len(items), exc_info=True)

    def _schedule_wakeups(self, seconds: set[int], pipe: Pipeline) -> None:
        # The job runs when its second is over (rq's scheduler has one-second resolution and
        # looks once a second), and fires every case with a timer due within that second.
        # Scheduling the same second again (another commit, another case) replaces its job.
        for second in sorted(seconds):
            self.queue.enqueue_at(
                datetime.fromtimestamp(second + 1, UTC),
                "app.jobs.timers.wake_due",
                second,
                job_id=second_job_id(second),
                result_ttl=0,
                failure_ttl=7 * 86400,
                pipeline=pipe,
            )

    def _send(self, item: SendEmail | SendSms | SendCode | SendWebhook) -> EnqueueData:
        if isinstance(item, SendWebhook):
            return webhook_job(self.settings, item.delivery_id, item.attempt)
        if isinstance(item, SendCode):
            return Queue.prepare_data(
                "app.jobs.code_recovery.send_code",
                (item.channel, item.sealed_to, item.sealed_text),
                result_ttl=0,
                retry=Retry(max=MAX_ATTEMPTS - 1, interval=RETRY_INTERVALS),
                failure_ttl=86400,
            )
        kind = "email" if isinstance(item, SendEmail) else "sms"
        return Queue.prepare_data(
            f"app.jobs.{kind}.send_notification_{kind}",
            (item.notification_id,),
            job_id=f"{kind}-{item.notification_id}",
            retry=Retry(max=MAX_ATTEMPTS - 1, interval=RETRY_INTERVALS),
            failure_ttl=30 * 86400,
        )
