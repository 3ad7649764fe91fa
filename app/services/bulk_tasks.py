"""Bulk claim, release and reassignment of inbox tasks: each item applied or refused on its own.

Every item goes through the service a single action uses (tasks.claim_task, tasks.unclaim_task,
reassign.reassign_task) inside its own savepoint, so a refused item changes nothing and does not
undo the others; the caller commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.errors import InvalidData, PermitFlowError
from app.models import User

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
