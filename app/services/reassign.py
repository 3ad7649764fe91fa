"""Reassigning a task (督办): a supervisor hands an open task to a person or to another group."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidData
from app.models import HumanTask, User

from . import steps
from .task_access import task_permissions


def reassign_task(
    session: Session,
    supervisor: User,
    task_id: int,
    to_user: str | None = None,
    to_group: str | None = None,
    reason: str | None = None,
) -> HumanTask:
    """Give the open task ``task_id`` to the user named ``to_user`` (a member of the task's group)
    or move it to the group ``to_group`` (unassigned there). Only a supervisor of the task's
    current group may do this. Flushes, never commits."""
    if (to_user is None) == (to_group is None):
        raise InvalidData(
            "name either a user or a group to reassign the task to",
            {"user": ["give either user or group"], "group": ["give either user or group"]},
        )

    def check(_session: Session, task: HumanTask) -> None:
        if not task_permissions(_session, supervisor, task).supervisor:
            raise Forbidden("only a supervisor of the task's group can reassign it")

    outcome = steps.advance(
        session,
        steps.ReassignTask(
            task_id, supervisor, to_user=to_user, to_group=to_group, check=check, reason=reason
        ),
    )
    assert outcome.task is not None
    return outcome.task
