"""A case (办件): one workflow instance with its public number and statutory clock."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str40, str64


class CaseStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    WAITING_FOR_APPLICANT = "waiting_for_applicant"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    ERROR = "error"

    @property
    def is_final(self) -> bool:
        return self in {CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN}


def enum_column(kind: type[enum.Enum], length: int = 32) -> Enum:
    """Enums are stored by value as plain strings (no native enum type to migrate)."""
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Case(Base):
    """One case. ``status``, ``stage``, ``state`` and the clock change only in services.gateway."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_status_process", "status", "process_key"),
        Index("ix_case_applicant_submitted", "applicant_id", "submitted_at"),
        # The statistics: completed cases grouped by stored working days and rating (index alone,
        # in order), and cases completed or received per period.
        Index("ix_case_stats_days", "process_key", "working_days", "status", "rating", "completed_at"),
        Index("ix_case_completed_status", "completed_at", "status"),
        Index("ix_case_submitted_process", "submitted_at", "process_key"),
    )

    id: Mapped[intpk]
    number: Mapped[str40] = mapped_column(unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(128))
    process_key: Mapped[str64]
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))
    stage: Mapped[str | None] = mapped_column(String(500))
    stage_en: Mapped[str | None] = mapped_column(String(500))
    project_name: Mapped[str | None] = mapped_column(String(200), index=True)
    # The investment project's unified code (统一项目代码) the start form gave: the project page
    # (`/projects/<code>`) lists every case of a project by it.
    project_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # 信息公开: a finished case its process discloses is published unless staff withheld it (why).
    withheld_at: Mapped[datetime | None]
    withheld_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    time_limit: Mapped[str | None] = mapped_column(String(20))
    # Statutory clock stops: [{"from": iso, "to": iso|None, "reason": str}], with "kind":
    # "suspension", "code" and "note" for a suspension by staff (挂起); correction pauses carry no kind.
    clock_pauses: Mapped[list[Any]] = mapped_column(default=list)
    # Working days used, clock stops excluded: fixed when the case finishes (services/durations.py).
    working_days: Mapped[int | None]
    # Working days added to the case's limit by an approved extension (延期, once per case).
    extension_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The complainant's rating (``satisfied`` / ``not_satisfied``, by the rating rule the process
    # declares: services/process_traits.py), kept beside the data so the statistics count it from
    # their index instead of parsing every case's JSON.
    rating: Mapped[str | None] = mapped_column(String(16))
    # The case data as of the last step, for reading without loading the workflow.
    data: Mapped[dict[str, Any]]
    # Serialized workflow state; refers to its spec by the version, never embeds it.
    state: Mapped[str] = mapped_column(Text)
    state_format: Mapped[str] = mapped_column(String(20))
    error: Mapped[dict[str, Any] | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": lock_version}
