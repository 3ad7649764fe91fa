"""The joint review (并联审批) around a task: every agency reviewing the same case in the same round,
where each stands, and the opinion each gave.

The code never names a process, so a joint review is recognised by its shape rather than by a
process key: tasks of one case that share the same review form and were opened by the same engine
step (one parallel split or one multi-instance opens its branches together, at one `created_at`).
A task that has no such sibling is not part of a joint review and gets no panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import HumanTask, TaskState, User

from .calendar import SlaState
from .task_access import PersonName


@dataclass(frozen=True)
class AgencyOpinion:
    """One agency's part of the joint review: its task, state, due date, reviewer and opinion."""

    task_id: int
    group: str | None
    name: str
    name_en: str
    state: TaskState
    sla: SlaState
    due_at: datetime | None
    completed_at: datetime | None
    reviewer: PersonName | None  # who completed it, else who holds it, else nobody yet
    outcome: str | None
    opinion: dict[str, Any] | None  # what the agency submitted (None while pending)
    is_current: bool  # the task the panel is shown on


@dataclass(frozen=True)
class JointReview:
    """The agencies of one review round, in a stable order (by group, then task id)."""

    form_key: str | None
    agencies: list[AgencyOpinion]

    @property
    def pending(self) -> list[AgencyOpinion]:
        """The agencies that have not given their opinion yet."""
        return [a for a in self.agencies if a.state is TaskState.OPEN]

    @property
    def decided(self) -> list[AgencyOpinion]:
        return [a for a in self.agencies if a.state is TaskState.COMPLETED]


def round_of(session: Session, task: HumanTask) -> list[HumanTask]:
    """The tasks opened together with ``task`` for the same form on the same case (itself included);
    platform procedure tasks (督办 replies, extensions, …) are never part of a review round."""
    if task.form_key is None or task.procedure is not None:
        return [task]
    stmt = (
        select(HumanTask)
        .where(
            HumanTask.case_id == task.case_id,
            HumanTask.form_key == task.form_key,
            HumanTask.created_at == task.created_at,
            HumanTask.procedure.is_(None),
        )
        .order_by(HumanTask.candidate_group, HumanTask.id)
    )
    return list(session.scalars(stmt))


def joint_review(session: Session, task: HumanTask, sla: Any) -> JointReview | None:
    """The joint review ``task`` belongs to, or None when it reviews alone.

    ``sla`` is the function that says where a task stands against its limit (tasks.task_sla); it is
    passed in so that this module does not depend on the inbox's."""
    siblings = round_of(session, task)
    if len({(t.bpmn_id, t.candidate_group) for t in siblings}) < 2:
        return None
    people = _people(session, siblings)
    agencies = [
        AgencyOpinion(
            task_id=t.id,
            group=t.candidate_group,
            name=t.name,
            name_en=t.name_en,
            state=t.state,
            sla=sla(t),
            due_at=t.due_at,
            completed_at=t.completed_at,
            reviewer=people.get(t.completed_by_id or t.assignee_id or 0),
            outcome=t.outcome,
            opinion=dict(t.submitted) if t.state is TaskState.COMPLETED and t.submitted else None,
            is_current=t.id == task.id,
        )
        for t in siblings
    ]
    return JointReview(task.form_key, agencies)


def _people(session: Session, siblings: list[HumanTask]) -> dict[int, PersonName]:
    """Reviewers by user id: who completed each task, or who holds it (one query)."""
    ids = {uid for t in siblings if (uid := t.completed_by_id or t.assignee_id) is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(ids)))
    return {uid: PersonName(username, display) for uid, username, display in rows}
