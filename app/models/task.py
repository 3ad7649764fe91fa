"""Human tasks: the inbox rows kept in step with each workflow's ready user tasks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, false, text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str40, str64, str200
from .case import enum_column


def _heads_only(ctx: DefaultExecutionContext) -> bool:
    """Derived from the context at insert, so that every writer of task rows (the mirror, the
    platform's procedure tasks, Core bulk inserts) sets it without knowing of it."""
    return bool((ctx.get_current_parameters().get("context") or {}).get("supervisors_only"))


class TaskState(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class HumanTask(Base):
    """A user task waiting for (or done by) a person.

    The inbox reads only this table: case number, process and project name are copied here so
    that listing a reviewer's work is one indexed query that never loads a workflow.
    """

    __tablename__ = "human_task"
    __table_args__ = (
        Index(
            "ix_human_task_open_group_due",
            "candidate_group",
            "due_at",
            "id",
            "heads_only",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
        Index(
            "ix_human_task_open_assignee_due",
            "assignee_id",
            "due_at",
            "id",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
        # The bureau's escalated range of `scope=all` (services/tasks.py `_all_scope`): every
        # group's tasks at the leaders' level, in due order; candidate_group makes it covering.
        Index(
            "ix_human_task_open_escalated_due",
            "due_at",
            "id",
            "candidate_group",
            postgresql_where=text("state = 'open' AND escalation_level >= 2"),
            sqlite_where=text("state = 'open' AND escalation_level >= 2"),
        ),
        Index("ix_human_task_case_created", "case_id", "created_at"),
        # The statistics (services/stats.py) count completed tasks grouped by these columns in
        # this order, reading the index alone; the trend counts on-time tasks per period.
        Index(
            "ix_human_task_stats_steps",
            "state",
            "process_key",
            "bpmn_id",
            "candidate_group",
            "working_days",
            "on_time",
            "escalation_level",
            "completed_at",
        ),
        Index("ix_human_task_stats_on_time", "state", "on_time", "completed_at", "due_at"),
        # Open tasks now and open overdue per step, from the index alone (the inbox's partial
        # indexes hold neither the step nor the escalation). Not partial: SQLite cannot match a
        # partial index's `state = 'open'` to the statistics' bound `state = ?`.
        Index(
            "ix_human_task_stats_open",
            "state",
            "process_key",
            "bpmn_id",
            "candidate_group",
            "due_at",
            "escalation_level",
        ),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    case_number: Mapped[str40]
    process_key: Mapped[str64]
    project_name: Mapped[str | None] = mapped_column(String(200))
    spiff_task_id: Mapped[str40] = mapped_column(unique=True)
    bpmn_id: Mapped[str200]
    name: Mapped[str200]
    name_en: Mapped[str200]
    candidate_group: Mapped[str | None] = mapped_column(String(64))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    state: Mapped[TaskState] = mapped_column(enum_column(TaskState, 16))
    form_key: Mapped[str | None] = mapped_column(String(200))
    time_limit: Mapped[str | None] = mapped_column(String(20))
    pauses_clock: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(64))
    # Fixed when the task is completed or cancelled (services/durations.py); null before that, and
    # on_time null when there was no due time.
    working_days: Mapped[int | None]
    on_time: Mapped[bool | None]
    # Facts the task shows its performer, computed from BPMN properties (e.g. requested items).
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The context's `supervisors_only` (a chief's co-signature, an extension's approval) as a
    # column of the open-group index: the inbox's plain-member range filters on it from the index
    # instead of reading every task row's JSON (100,000 open tasks: 33 ms a page instead of 4).
    heads_only: Mapped[bool] = mapped_column(default=_heads_only, server_default=false())
    submitted: Mapped[dict[str, Any] | None]
    # A task the platform opened for an administrative procedure (a rating's follow-up, a 督办
    # reply, an extension's approval), not a BPMN user task; its spiff_task_id is "pf-…".
    procedure: Mapped[str | None] = mapped_column(String(32))
