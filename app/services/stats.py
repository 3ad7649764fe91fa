"""Figures computed in SQL from case and human_task rows (never by loading workflows)."""

from __future__ import annotations

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import HumanTask, TaskState


def open_tasks_by_step(session: Session, process_key: str) -> dict[str, dict[str, int]]:
    """Open tasks per BPMN task id of a process: how many wait, how many are overdue."""
    now = clock.now()
    rows = session.execute(
        select(
            HumanTask.bpmn_id,
            func.count(),
            func.sum(when((HumanTask.due_at < now, 1), else_=0)),
        )
        .where(HumanTask.process_key == process_key, HumanTask.state == TaskState.OPEN)
        .group_by(HumanTask.bpmn_id)
    )
    return {bpmn_id: {"waiting": int(n), "overdue": int(late or 0)} for bpmn_id, n, late in rows}
