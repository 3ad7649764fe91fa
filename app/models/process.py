"""Deployed process versions: a spec stored once per content hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str64, str200


class ProcessVersion(Base):
    """One deployed version of a process: the BPMN, its forms and its serialized spec.

    ``hash`` covers the BPMN file, every process it calls and every form it references, so any
    change to what a case would run gives a new version; cases refer to their version forever.
    """

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("key", "hash"),
        Index("ix_process_version_current", "key", "is_current"),
    )

    id: Mapped[intpk]
    key: Mapped[str64]
    hash: Mapped[str64]
    name: Mapped[str200]
    name_en: Mapped[str200]
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # Every file the version depends on: called BPMN files and forms, by name.
    files: Mapped[dict[str, Any]]
    # The process facts the platform needs without parsing: start form, public, time limit, …
    meta: Mapped[dict[str, Any]]
    spec_json: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    deployed_at: Mapped[datetime]
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    source_path: Mapped[str | None] = mapped_column(String(500))

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.hash[:12]}"
