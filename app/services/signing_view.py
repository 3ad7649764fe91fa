"""会签 / 或签 as people see it: a signing round's signers, who signed, and the group's progress
("1 of 2 signed"), read from the ``human_task`` rows alone (the engine writes each signer's task
with ``context["signing"]``: its round, rule and size; see app/engine/signing.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import HumanTask, TaskState, User


@dataclass(frozen=True)
class Signer:
    """One signer's task of a round."""

    task_id: int
    group: str | None
    role: str | None
    role_en: str | None
    state: TaskState
    username: str | None  # who signed (or holds the task)
    display_name: str | None
    decision: str | None  # approve / reject once signed
    completed_at: datetime | None
    is_current: bool

    @property
    def done(self) -> bool:
        return self.state == TaskState.COMPLETED


@dataclass(frozen=True)
class SigningProgress:
    """A round: its rule (all / any / a share), how many of its signers signed, and each signer."""

    rule: str
    total: int
    signed: int
    signers: list[Signer]

    @property
    def finished(self) -> bool:
        return all(s.state != TaskState.OPEN for s in self.signers)


def _round_of(task: HumanTask) -> str | None:
    signing = (task.context or {}).get("signing")
    return str(signing["round"]) if isinstance(signing, dict) and signing.get("round") else None


def _rows(session: Session, tasks: list[HumanTask]) -> dict[str, list[HumanTask]]:
    """Every task of the rounds ``tasks`` belong to, by round (one query per call)."""
    rounds = {r for r in (_round_of(t) for t in tasks) if r}
    if not rounds:
        return {}
    keys = {(t.case_id, t.bpmn_id) for t in tasks if _round_of(t)}
    stmt = select(HumanTask).where(
        HumanTask.case_id.in_({c for c, _ in keys}), HumanTask.bpmn_id.in_({b for _, b in keys})
    )
    found: dict[str, list[HumanTask]] = {}
    for row in session.scalars(stmt.order_by(HumanTask.id)):
        key = _round_of(row)
        if key in rounds:
            found.setdefault(key, []).append(row)
    return found


def progress_of(session: Session, tasks: list[HumanTask]) -> dict[int, SigningProgress]:
    """The round of each signing task among ``tasks``, by task id (for the inbox: two queries)."""
    rounds = _rows(session, tasks)
    people = {t.completed_by_id or t.assignee_id for rows in rounds.values() for t in rows} - {None}
    names = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people)))} if people else {}
    out: dict[int, SigningProgress] = {}
    for task in tasks:
        key = _round_of(task)
        if key is None or key not in rounds:
            continue
        signers = [_signer(row, names, row.id == task.id) for row in rounds[key]]
        signing = task.context["signing"]
        out[task.id] = SigningProgress(
            rule=str(signing.get("rule") or "all"),
            total=int(signing.get("total") or len(signers)),
            signed=sum(1 for s in signers if s.done),
            signers=signers,
        )
    return out


def signing_progress(session: Session, task: HumanTask) -> SigningProgress | None:
    """The round ``task`` is a signature of, or None when it is no signing task."""
    return progress_of(session, [task]).get(task.id)


def _signer(row: HumanTask, names: dict[int, User], current: bool) -> Signer:
    signing = (row.context or {}).get("signing") or {}
    person = names.get(row.completed_by_id or row.assignee_id or 0)
    submitted = row.submitted if isinstance(row.submitted, dict) else {}
    return Signer(
        task_id=row.id,
        group=row.candidate_group,
        role=signing.get("role"),
        role_en=signing.get("role_en"),
        state=row.state,
        username=person.username if person else None,
        display_name=person.display_name if person else None,
        decision=str(submitted["decision"])
        if row.state == TaskState.COMPLETED and submitted.get("decision")
        else None,
        completed_at=row.completed_at,
        is_current=current,
    )
