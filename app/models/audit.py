"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str64


class AuditEvent(Base):
    """Who did what, when. ``hash`` covers the content and the previous event's hash."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case", "case_id", "id"),)

    id: Mapped[intpk]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str64]
    action: Mapped[str64]
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The id of the audit key whose HMAC ``hash`` is; NULL for events sealed before keyed hashes
    # (plain SHA-256), which verify only as the chain's oldest part.
    key_id: Mapped[str | None] = mapped_column(String(16))
