"""Saved inbox filters: a name for an inbox query, the user's own or shared with a group."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk


class SavedFilter(Base):
    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_filter_owner_name"),)

    id: Mapped[intpk]
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Shared with the members of this group (None: the owner's alone).
    group: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The inbox query as URL arguments (web/inbox.py query_args): scope, process, sla, q, sort.
    query: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
