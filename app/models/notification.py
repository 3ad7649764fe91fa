"""Notifications: in-app messages per user, and the outbox their e-mails are sent from."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk
from .case import enum_column


class EmailState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # no address, or no SMTP server configured


class Notification(Base):
    """A message to one user (zh-CN and English), read in the app and sent by e-mail by a job."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    email_state: Mapped[EmailState] = mapped_column(enum_column(EmailState, 16))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(String(500))
    # SMS (services/sms.py): None when the notification is not one to text; else its EmailState-like
    # state, when it went out (the per-user hourly limit counts these) and the provider's message id.
    sms_state: Mapped[EmailState | None] = mapped_column(enum_column(EmailState, 16))
    sms_sent_at: Mapped[datetime | None]
    sms_message_id: Mapped[str | None] = mapped_column(String(100))
