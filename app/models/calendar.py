"""Admin overrides of the working-day calendar, for years the holiday library does not know yet."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk


class CalendarOverride(Base):
    """One day declared a working day (调休) or a day off (法定节假日), overriding the library."""

    __tablename__ = "calendar_override"

    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
