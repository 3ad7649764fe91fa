"""Sending a notification's SMS through the configured provider (services/sms.py), retried by rq
when the provider fails; safe to run twice (a sent or skipped message is not sent again)."""

from __future__ import annotations

from app import clock, edge
from app.services import sms

from .runner import in_transaction


def send_notification_sms(notification_id: int) -> str:
    """Send one notification's SMS. Raises SmsFailed on a provider failure so rq retries it."""
    settings = edge.settings()
    now = clock.now()
    message = in_transaction(lambda session: sms.prepare(session, settings, notification_id, now))
    provider = sms.provider_of(settings)
    if message is None or provider is None:
        return "skipped"
    phone, text = message
    # A failure raises (SmsFailed) with the message still pending, so rq's retry sends it again.
    message_id = provider.send(phone, text)
    in_transaction(lambda session: sms.record_sent(session, notification_id, message_id, clock.now()))
    return "sent"
