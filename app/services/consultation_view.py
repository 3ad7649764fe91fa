"""What the task page shows of 加签 (consultation): on a reviewing task, whether its viewer may
ask for opinions, the opinions asked (pending, answered, withdrawn) and who may withdraw them; on
an opinion task, the question and who asked it. The step path checks the same rules again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, Group, HumanTask, Membership, TaskState, User

from . import platform
from .calendar import SlaState
from .case_procedures import consultations_of
from .gateway import APPLICANT_GROUP
from .steps.consultation import PROCEDURE
from .steps.core import RUNNING
from .task_access import PersonName


@dataclass(frozen=True)
class Opinion:
    task_id: int
    group: str | None
    person: PersonName | None  # who answered, else who was asked by name
    state: TaskState
    sla: SlaState
    due_at: datetime | None
    answered_at: datetime | None
    question: str
    text: str | None  # the answer, once given


@dataclass(frozen=True)
class Colleague:
    username: str
    display_name: str


@dataclass(frozen=True)
class ConsultationPanel:
    may_ask: bool = False
    opinions: list[Opinion] = field(default_factory=list)
    question: str | None = None  # on an opinion task: what was asked
    asked_by: PersonName | None = None
    asking_task_id: int | None = None
    default_limit: str = ""
    colleagues: list[Colleague] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return sum(1 for o in self.opinions if o.state is TaskState.OPEN)

    @property
    def shown(self) -> bool:
        return bool(self.may_ask or self.opinions or self.question)


def _people(session: Session, ids: set[int]) -> dict[int, PersonName]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(ids)))
    return {uid: PersonName(name, display) for uid, name, display in rows}


def consultation_panel(
    session: Session, user: User, task: HumanTask, case: Case, *, may_complete: bool, sla: Any
) -> ConsultationPanel:
    """The panel for ``user`` on ``task`` (``may_complete``: task_access's answer; ``sla``: the
    function saying where a task stands, tasks.task_sla)."""
    context = task.context or {}
    if task.procedure == PROCEDURE:
        asker = session.scalar(select(User).where(User.username == context.get("asked_by")))
        return ConsultationPanel(
            question=str(context.get("question") or ""),
            asked_by=PersonName(asker.username, asker.display_name) if asker else None,
            asking_task_id=context.get("asking_task_id"),
        )
    if task.procedure is not None or task.candidate_group == APPLICANT_GROUP:
        return ConsultationPanel()
    rows = consultations_of(session, task)
    people = _people(session, {uid for t in rows if (uid := t.completed_by_id or t.assignee_id)})
    opinions = [
        Opinion(
            task_id=t.id,
            group=t.candidate_group,
            person=people.get(t.completed_by_id or t.assignee_id or 0),
            state=t.state,
            sla=sla(t),
            due_at=t.due_at,
            answered_at=t.completed_at if t.state is TaskState.COMPLETED else None,
            question=str((t.context or {}).get("question") or ""),
            text=str((t.submitted or {}).get("opinion") or "") or None,
        )
        for t in rows
    ]
    may_ask = case.status in RUNNING and task.state is TaskState.OPEN and may_complete
    if not may_ask:
        return ConsultationPanel(opinions=opinions)
    staff = session.execute(
        select(User.username, User.display_name)
        .where(User.is_active.is_(True), User.id != user.id)
        .where(User.id.in_(select(Membership.user_id)))  # staff in a group: who can answer
        .order_by(User.username)
    )
    return ConsultationPanel(
        may_ask=True,
        opinions=opinions,
        default_limit=platform.of(session).settings.consultation_time_limit,
        colleagues=[Colleague(u, d) for u, d in staff],
        groups=list(session.scalars(select(Group).where(Group.slug != APPLICANT_GROUP).order_by(Group.id))),
    )
