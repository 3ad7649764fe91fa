"""Bulk claim, release and reassignment of inbox tasks: each item applied or refused on its own.

Every item goes through the service a single action uses (tasks.claim_task, tasks.unclaim_task,
reassign.reassign_task) inside its own savepoint, so a refused item changes nothing and does not
undo the others; the caller commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidData, PermitFlowError
from app.models import HumanTask, TaskState, User

from . import tasks
from .reassign import reassign_task

MAX_ITEMS = 100


class BulkAction(enum.StrEnum):
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    REASSIGN = "reassign"


@dataclass(frozen=True)
class BulkItem:
    """What happened to one task: 200 when applied, else the refusal's HTTP status and reason."""

    id: int
    status: int
    message: str


def apply_bulk(
    session: Session,
    actor: User,
    action: BulkAction,
    ids: list[int],
    *,
    to_user: str | None = None,
    to_group: str | None = None,
    reason: str | None = None,
) -> list[BulkItem]:
    """Apply ``action`` to each task of ``ids`` (in order, each once). Flushes, never commits."""
    wanted = list(dict.fromkeys(ids))
    if not wanted or len(wanted) > MAX_ITEMS:
        raise InvalidData(f"give from 1 to {MAX_ITEMS} task ids", {"ids": [f"give 1 to {MAX_ITEMS} ids"]})
    if action is BulkAction.REASSIGN and (to_user is None) == (to_group is None):
        raise InvalidData("name either a user or a group to reassign to", {"user": ["give user or group"]})
    results: list[BulkItem] = []
    for task_id in wanted:
        savepoint = session.begin_nested()
        try:
            if action is BulkAction.CLAIM:
                tasks.claim_task(session, actor, task_id)
            elif action is BulkAction.UNCLAIM:
                tasks.unclaim_task(session, actor, task_id)
            else:
                reassign_task(session, actor, task_id, to_user=to_user, to_group=to_group, reason=reason)
            savepoint.commit()
        except PermitFlowError as err:
            savepoint.rollback()
            results.append(BulkItem(task_id, err.status, err.message))
            continue
        results.append(BulkItem(task_id, 200, "ok"))
    return results


def claim_next(session: Session, actor: User) -> HumanTask | None:
    """Claim the most urgent unclaimed open task of ``actor``'s groups (earliest due first); one
    someone else claims a moment earlier is skipped. None when there is none. Flushes."""
    groups = tasks.group_slugs(actor)
    if not groups:
        return None
    candidates = session.scalars(
        select(HumanTask.id)
        .where(
            HumanTask.state == TaskState.OPEN,
            HumanTask.assignee_id.is_(None),
            HumanTask.candidate_group.in_(groups),
        )
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        .limit(10)
    ).all()
    for task_id in candidates:
        savepoint = session.begin_nested()
        try:
            task = tasks.claim_task(session, actor, task_id)
            savepoint.commit()
            return task
        except PermitFlowError:
            savepoint.rollback()
    return None
