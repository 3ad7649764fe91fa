"""Timer rows: the source of truth for everything that must happen at a time."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, intpk
from .case import enum_column
from .task import HumanTask


class TimerKind(enum.StrEnum):
    BPMN = "bpmn"
    SLA_WARNING = "sla_warning"
    SLA_OVERDUE = "sla_overdue"
    ESCALATION = "escalation"
    # A suspension (挂起) has lasted its notice period: supervisors are told.
    SUSPENSION_NOTICE = "suspension_notice"


class Timer(Base):
    """Something due at ``due_at`` for a case; ``fired_at`` is set once when it has run."""

    __tablename__ = "timer"
    __table_args__ = (
        Index(
            "ix_timer_unfired_due",
            "due_at",
            postgresql_where=text("fired_at IS NULL"),
            sqlite_where=text("fired_at IS NULL"),
        ),
        Index("ix_timer_case", "case_id"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    kind: Mapped[TimerKind] = mapped_column(enum_column(TimerKind, 20))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    # For BPMN timers: the waiting SpiffWorkflow task and its BPMN id.
    spiff_task_id: Mapped[str | None] = mapped_column(String(40))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))

    human_task: Mapped[HumanTask | None] = relationship(lazy="raise")
