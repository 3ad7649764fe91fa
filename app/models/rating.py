"""好差评: the applicant's rating of a finished case, and its follow-up when it is a poor one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk


class ServiceRating(Base):
    """One rating per case: ``level`` 5 非常满意 … 1 非常不满意; levels 1–2 open a follow-up task."""

    __tablename__ = "service_rating"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    # The group that decided the case: whose supervisor follows a poor rating up.
    group: Mapped[str | None] = mapped_column(String(64), index=True)
    level: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(500))
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
