"""转办 / 委托: a staff member's substitute for a date range (all processes or one)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk


class Substitution(Base):
    """While ``starts_on``..``ends_on`` (local dates, both included) covers today and the row is
    not ended, tasks assigned or offered to ``user`` (of ``process_key``, or of every process)
    reach ``substitute`` too. Rows are never deleted: ending one sets ``ended_at``."""

    __tablename__ = "substitution"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    process_key: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
