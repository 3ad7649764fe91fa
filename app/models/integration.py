"""Outside systems that send messages (POST /api/v1/messages): integration clients, the messages
each may send, what was received (idempotency), and the messages cases wait for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk


class IntegrationClient(Base):
    """A registered outside system: its id, its secret (encrypted with the app's key: HMAC needs
    the secret itself), the message names it may send; revoked clients keep their row (audit)."""

    __tablename__ = "integration_client"

    id: Mapped[intpk]
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_sealed: Mapped[str] = mapped_column(String(500))
    messages: Mapped[list[str]]
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class MessageReceipt(Base):
    """A message accepted from a client, with the answer it got: the same idempotency key again
    gets that answer and has no second effect (with another body: refused); the same signature
    again is a replay and is refused, with or without a key (the key is not signed)."""

    __tablename__ = "message_receipt"
    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key"),
        UniqueConstraint("client_id", "signature"),
    )

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("integration_client.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # Hex HMAC-SHA256 of the message as signed (timestamp + body): one use each. Receipts stored
    # before replays were refused have none.
    signature: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the raw body: the same key with another body is a conflict, not the first answer.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[int]
    answer: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]


class MessageWait(Base):
    """A message a case waits for (mirrored from the workflow after each step): its name, the
    waiting element and the values of the correlation keys it declares."""

    __tablename__ = "message_wait"
    __table_args__ = (Index("ix_message_wait_name", "name"), Index("ix_message_wait_case", "case_id"))

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    spiff_task_id: Mapped[str] = mapped_column(String(40))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    correlation: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
