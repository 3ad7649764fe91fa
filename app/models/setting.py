"""Run-time settings an administrator may change without a restart (values checked by the service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RuntimeSetting(Base):
    """One setting's value, overriding the environment's default until removed."""

    __tablename__ = "runtime_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # As text; the service parses it with the setting's type and checks its range on every read.
    value: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
