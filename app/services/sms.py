"""SMS, a channel beside e-mail: the notifications whose kind the setting `PERMITFLOW_SMS_KINDS` names
(reviewers' SLA warnings, applicants' decisions) go out as a text to users who opted in, at most
`PERMITFLOW_SMS_PER_HOUR` per user and hour, sent by a job after the commit (app/jobs/sms.py).

The provider is a small interface (`SmsProvider`); `HttpSmsProvider` talks to an HTTP endpoint with
a signed JSON request, signed like the platform's webhooks: header `X-PermitFlow-Signature` = hex
HMAC-SHA256(secret, timestamp + "." + raw body), with `X-PermitFlow-Key` and
`X-PermitFlow-Timestamp`. The provider answers 2xx with `{"id": "..."}`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.models import EmailState, Notification, User

from . import pii
from .signed_body import signature

MAX_TEXT = 300  # characters of one message (a long SMS); the link follows the title


class SmsFailed(Exception):
    """The provider did not accept the message (its answer or the network error says why)."""


class SmsProvider(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; the provider's message id. Raises SmsFailed."""
        ...


@dataclass(frozen=True)
class HttpSmsProvider:
    """An SMS gateway over HTTP(S) with signed JSON requests."""

    url: str
    key_id: str
    secret: str
    timeout: float = 10.0

    def send(self, phone: str, text: str, *, now: datetime | None = None) -> str:
        body = json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode()
        stamp = str(int((now or clock.now()).timestamp()))
        signed = signature(self.secret, stamp, body)
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-PermitFlow-Key": self.key_id,
                "X-PermitFlow-Timestamp": stamp,
                "X-PermitFlow-Signature": signed,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - a setting
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise SmsFailed(f"the SMS provider answered {err.code}") from err
        except (OSError, ValueError) as err:
            raise SmsFailed(f"the SMS provider could not be reached: {err}") from err
        return str(answer.get("id") or "")


def provider_of(settings: Settings) -> HttpSmsProvider | None:
    """The configured provider, or None when no SMS endpoint is set."""
    if not settings.sms_url:
        return None
    return HttpSmsProvider(settings.sms_url, settings.sms_key_id, settings.sms_secret)


def texted_kinds(settings: Settings) -> set[str]:
    return {k.strip() for k in settings.sms_kinds.split(",") if k.strip()}


def wants_sms(settings: Settings, user: User, kind: str) -> bool:
    """Whether a notification of ``kind`` to ``user`` also goes by SMS (opted in, has a phone)."""
    return bool(user.sms_opt_in and user.phone and kind in texted_kinds(settings))


def message_text(note: Notification, base_url: str) -> str:
    """The text: the Chinese title, then the link (SMS are read on phones in China)."""
    link = f" {base_url.rstrip('/')}{note.link}" if note.link else ""
    return (note.title[: MAX_TEXT - len(link)] + link).strip()


def over_limit(session: Session, settings: Settings, user_id: int, now: datetime) -> bool:
    """Whether the user already received their hourly allowance of SMS."""
    sent = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.sms_sent_at >= now - timedelta(hours=1))
    )
    return int(sent or 0) >= settings.sms_per_hour


def prepare(
    session: Session, settings: Settings, notification_id: int, now: datetime
) -> tuple[str, str] | None:
    """The (phone, text) to send for a pending notification, or None (marked skipped: no provider,
    opted out meanwhile, no phone, or over the hourly limit)."""
    note = session.get(Notification, notification_id)
    if note is None or note.sms_state is not EmailState.PENDING:
        return None
    user = session.get(User, note.user_id)
    if user is None or not wants_sms(settings, user, note.kind) or not settings.sms_url:
        note.sms_state = EmailState.SKIPPED
        return None
    if over_limit(session, settings, user.id, now):
        note.sms_state = EmailState.SKIPPED
        return None
    phone = pii.phone_of(session, user)  # stored encrypted (services/pii.py)
    assert phone is not None
    return phone, message_text(note, settings.base_url)


def record_sent(session: Session, notification_id: int, message_id: str, now: datetime) -> None:
    note = session.get(Notification, notification_id)
    if note is not None:
        note.sms_state, note.sms_sent_at, note.sms_message_id = EmailState.SENT, now, message_id[:100]
