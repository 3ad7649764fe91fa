"""Outbound webhooks: admins subscribe a URL to event types (services/webhook_events.py); each
event a step causes is an outbox row per subscription (:class:`WebhookDelivery`) written in the
step's transaction, sent after the commit by rq jobs (app/jobs/webhooks.py) with retries and
exponential backoff, and kept with its log (state, attempts, last status code and error), which
admins read and re-send in the console. A delivery never blocks or fails the step.

Subscribing, deleting and re-sending are audited. Functions flush and never commit.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.errors import Conflict, InvalidData, NotFound
from app.models import Case, DeliveryState, User, Webhook, WebhookDelivery

from . import audit, deferred, pii, platform, webhook_urls
from .admin_rules import require_admin
from .webhook_errors import DELETED
from .webhook_events import EVENTS, case_part, iso
from .webhook_sending import Answer, Outgoing

NO_EVENTS = "name at least one event type"
UNKNOWN_EVENT = "names an unknown event type"


@dataclass(frozen=True)
class NewWebhook:
    """A subscription just made, with its signing secret (shown this once)."""

    webhook: Webhook
    secret: str


def _events(raw: Sequence[Any] | None) -> list[str]:
    if not raw:
        raise InvalidData(f"events: {NO_EVENTS}", {"events": [NO_EVENTS]})
    names = [str(e) for e in raw]
    if any(name not in EVENTS for name in names):
        raise InvalidData(f"events {UNKNOWN_EVENT}", {"events": [UNKNOWN_EVENT]})
    return [e for e in EVENTS if e in names]  # the documented order, each once


def subscribe(session: Session, actor: User | None, url: str, events: Sequence[Any] | None) -> NewWebhook:
    """Subscribe ``url`` to ``events``; InvalidData names `url` and/or `events` when refused."""
    admin = require_admin(actor)
    errors: dict[str, list[str]] = {}
    url = (url or "").replace("\x00", "").strip()
    try:
        webhook_urls.check(url, platform.of(session).settings.webhook_allow_hosts)
    except InvalidData as err:
        errors.update(err.errors)
    try:
        chosen = _events(events)
    except InvalidData as err:
        errors.update(err.errors)
    if errors:
        raise InvalidData("not valid: " + ", ".join(sorted(errors)), errors)
    secret = secrets.token_urlsafe(32)
    webhook = Webhook(
        url=url,
        events=chosen,
        secret_sealed=pii.cipher(session).encrypt(secret) or "",
        created_at=clock.now(),
        created_by_id=admin.id,
    )
    session.add(webhook)
    session.flush()
    forget_live(session)  # what a lock saw before this subscription no longer holds
    audit.record(
        session, "webhook.created", actor=admin, detail={"webhook": webhook.id, "url": url, "events": chosen}
    )
    return NewWebhook(webhook, secret)


def subscriptions(session: Session) -> list[Webhook]:
    """The subscriptions not deleted, oldest first."""
    return list(session.scalars(select(Webhook).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id)))


def subscriptions_for(session: Session, actor: User | None) -> list[Webhook]:
    """The subscriptions, for an administrator (Forbidden for anyone else)."""
    require_admin(actor)
    return subscriptions(session)


def _live(session: Session, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.deleted_at is not None:
        raise NotFound(f"there is no webhook {webhook_id}")
    return webhook


def delete(session: Session, actor: User | None, webhook_id: int) -> Webhook:
    """End a subscription: nothing more is queued for it, and its pending deliveries are not sent."""
    admin = require_admin(actor)
    webhook = _live(session, webhook_id)
    webhook.deleted_at = clock.now()
    session.flush()  # a step later in this unit of work reads the subscriptions through Core
    audit.record(session, "webhook.deleted", actor=admin, detail={"webhook": webhook.id, "url": webhook.url})
    return webhook


# Two columns through Core (subscribing and deleting flush): every step of every case asks.
_LIVE_EVENTS = select(Webhook.id, Webhook.events).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id)
# Whether any subscription is live: read with the case's lock (steps/core.py), so that a step of a
# platform without subscriptions (most steps) asks nothing more (issue 22).
ANY_LIVE = select(Webhook.id).where(Webhook.deleted_at.is_(None)).exists().label("webhooks_live")
_NONE_LIVE = "webhooks_none_live"  # Session.info: (transaction, case id) whose lock saw no subscription


def remember_live(session: Session, case_id: int, live: bool) -> None:
    """What the lock of ``case_id`` saw; it serves that case's step in this transaction once."""
    if live:
        session.info.pop(_NONE_LIVE, None)
    else:
        session.info[_NONE_LIVE] = (session.get_transaction(), case_id)


def forget_live(session: Session) -> None:
    """Forget what a lock saw (a savepoint rolled back: it may have undone a subscription's end)."""
    session.info.pop(_NONE_LIVE, None)


def _none_live(session: Session, case_id: int) -> bool:
    """Whether this case's lock, in this transaction, saw no live subscription (and none was made
    since); answered once."""
    seen = session.info.pop(_NONE_LIVE, None)
    return seen is not None and seen == (session.get_transaction(), case_id)


def queue(session: Session, case: Case, events: list[tuple[str, dict[str, Any]]]) -> list[WebhookDelivery]:
    """Write the outbox rows of a step's ``events`` (type, the body's event part) for every
    subscription to them; their jobs are queued when the transaction commits."""
    if not events or _none_live(session, case.id):
        return []
    hooks = session.connection().execute(_LIVE_EVENTS).all()
    if not hooks:
        return []
    now = clock.now()
    base = platform.of(session).settings.base_url.rstrip("/")
    rows: list[WebhookDelivery] = []
    for event, extra in events:
        for hook in (h for h in hooks if event in h.events):
            uid = str(uuid.uuid4())
            payload = {
                "id": uid,
                "event": event,
                "occurred_at": iso(now),
                "case": case_part(base, case),
                **extra,
            }
            rows.append(
                WebhookDelivery(
                    webhook_id=hook.id,
                    uid=uid,
                    event=event,
                    case_number=case.number,
                    body=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                    state=DeliveryState.PENDING,
                    attempts=0,
                    created_at=now,
                )
            )
    session.add_all(rows)
    session.flush()
    for row in rows:
        deferred.defer(session, deferred.SendWebhook(row.id, 1))
    return rows


def deliveries(session: Session, webhook_id: int | None = None, limit: int = 50) -> list[WebhookDelivery]:
    """The newest deliveries (of one subscription, or of all)."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if webhook_id is not None:
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    return list(session.scalars(query))


def resend(session: Session, actor: User | None, delivery_id: int) -> WebhookDelivery:
    """Send a delivered or failed delivery once more (the same body and id, signed anew)."""
    admin = require_admin(actor)
    row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise NotFound(f"there is no webhook delivery {delivery_id}")
    _live(session, row.webhook_id)
    if row.state is DeliveryState.PENDING:
        raise Conflict("the delivery is still being sent")
    row.state, row.next_attempt_at = DeliveryState.PENDING, None
    audit.record(
        session,
        "webhook.resent",
        actor=admin,
        detail={"webhook": row.webhook_id, "delivery": row.uid, "event": row.event, "case": row.case_number},
    )
    deferred.defer(session, deferred.SendWebhook(row.id, row.attempts + 1))
    return row


def start_attempt(session: Session, delivery_id: int, attempt: int, now: datetime) -> Outgoing | None:
    """Claim attempt number ``attempt`` of a pending delivery (None: sent, given up, or this attempt
    is another job's), under the row's lock so that two jobs never make the same attempt."""
    row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None or row.state is not DeliveryState.PENDING or row.attempts != attempt - 1:
        return None
    hook = session.get(Webhook, row.webhook_id)
    if hook is None or hook.deleted_at is not None:
        row.state, row.last_error, row.next_attempt_at = DeliveryState.FAILED, DELETED, None
        return None
    if attempt > platform.of(session).settings.webhook_attempts:
        # A job lost mid-attempt is queued again by the sweep; past the limit it gives up instead.
        row.state, row.next_attempt_at = DeliveryState.FAILED, None
        return None
    row.attempts, row.last_attempt_at, row.next_attempt_at = attempt, now, None
    secret = pii.cipher(session).decrypt(hook.secret_sealed) or ""
    return Outgoing(hook.url, row.event, row.uid, row.body, secret)


def stalled(session: Session, before: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(delivery id, next attempt) of pending deliveries whose next attempt was due before
    ``before`` and has not been made: its job was lost (Redis flushed or down at the commit, a
    worker killed mid-attempt). The cron process queues them again."""
    due = func.coalesce(
        WebhookDelivery.next_attempt_at, WebhookDelivery.last_attempt_at, WebhookDelivery.created_at
    )
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.state == DeliveryState.PENDING, due < before)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    ).all()
    return [(delivery_id, attempts + 1) for delivery_id, attempts in rows]


def retry_delay(settings: Settings, attempt: int) -> float:
    """Seconds after failed attempt ``attempt`` before the next: exponential, times 4 each time."""
    return float(settings.webhook_retry_seconds * 4 ** (attempt - 1))


def record_answer(
    session: Session, settings: Settings, delivery_id: int, answer: Answer, now: datetime
) -> float | None:
    """Log an attempt's answer; the seconds until the next attempt, or None (delivered or given up)."""
    row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        return None
    row.response_code, row.last_error = answer.status, answer.error
    if answer.delivered:
        row.state, row.delivered_at = DeliveryState.DELIVERED, now
        return None
    if row.attempts >= settings.webhook_attempts or row.state is not DeliveryState.PENDING:
        row.state = DeliveryState.FAILED
        return None
    delay = retry_delay(settings, row.attempts)
    row.next_attempt_at = now + timedelta(seconds=delay)
    return delay
