"""Turning work deferred by services into rq jobs, after the transaction has committed."""

from __future__ import annotations

import logging
from datetime import timedelta

import redis
from rq import Queue, Retry

from app.config import Settings
from app.services.deferred import Deferred, SendEmail, SendSms, WakeCase

from . import job_queue
from .email import MAX_ATTEMPTS, RETRY_INTERVALS

log = logging.getLogger(__name__)


def wake_job_id(case_id: int) -> str:
    return f"wake-{case_id}"  # rq allows only letters, digits, _ and - in ids


class RqDispatcher:
    """Schedules wake-ups (`wake-<case id>`, replaced on every save) and e-mails on rq.

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
            for item in items:
                if isinstance(item, WakeCase):
                    # rq's scheduler has one-second resolution and may run up to a second early.
                    self.queue.enqueue_at(
                        item.at + timedelta(seconds=1),
                        "app.jobs.timers.wake_case",
                        item.case_id,
                        job_id=wake_job_id(item.case_id),
                        result_ttl=0,
                        failure_ttl=7 * 86400,
                    )
                elif isinstance(item, SendEmail):
                    self.queue.enqueue(
                        "app.jobs.email.send_notification_email",
                        item.notification_id,
                        job_id=f"email-{item.notification_id}",
                        retry=Retry(max=MAX_ATTEMPTS - 1, interval=RETRY_INTERVALS),
                        failure_ttl=30 * 86400,
                    )
                elif isinstance(item, SendSms):
                    self.queue.enqueue(
                        "app.jobs.sms.send_notification_sms",
                        item.notification_id,
                        job_id=f"sms-{item.notification_id}",
                        retry=Retry(max=MAX_ATTEMPTS - 1, interval=RETRY_INTERVALS),
                        failure_ttl=30 * 86400,
                    )
        except redis.RedisError:
            # Timer rows stay due and the sweep fires them; e-mails stay pending.
            log.warning("Redis unreachable: %d deferred job(s) left to the sweep", len(items), exc_info=True)
