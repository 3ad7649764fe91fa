"""Outbound webhooks: an admin's subscription of a URL to event types, and the outbox of
deliveries (services/webhooks.py) that rq jobs send, each with its log of attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk
from .case import enum_column


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # queued, or waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed (an admin may re-send it)


class Webhook(Base):
    """A URL subscribed to event types. The signing secret is kept encrypted (services/pii.py);
    a deleted subscription keeps its row (``deleted_at``) so that its delivery log stays."""

    __tablename__ = "webhook"

    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]]
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one subscription: the exact body sent (re-sends send the same bytes, signed
    anew), and how its attempts went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_webhook_id_id", "webhook_id", "id"),
        Index("ix_webhook_delivery_state_created_at", "state", "created_at"),
    )

    id: Mapped[intpk]
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    # The `X-PermitFlow-Delivery` header and the body's `id`: the same on every attempt and re-send.
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    case_number: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
