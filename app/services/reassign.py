"""Reassigning a task (督办): a supervisor hands an open task to a person or to another group."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, InvalidData
from app.models import Case, Group, HumanTask, User

from . import audit, gateway
from .task_access import group_slugs, task_permissions
from .tasks import get_task, lock_open


def reassign_task(
    session: Session,
    supervisor: User,
    task_id: int,
    to_user: str | None = None,
    to_group: str | None = None,
) -> HumanTask:
    """Give the open task ``task_id`` to the user named ``to_user`` (a member of the task's group)
    or move it to the group ``to_group`` (unassigned there). Only a supervisor of the task's
    current group may do this. Flushes, never commits."""
    if (to_user is None) == (to_group is None):
        raise InvalidData(
            "name either a user or a group to reassign the task to",
            {"user": ["give either user or group"], "group": ["give either user or group"]},
        )
    task = get_task(session, task_id)
    if not task_permissions(session, supervisor, task).supervisor:
        raise Forbidden("only a supervisor of the task's group can reassign it")
    case = lock_open(session, task)
    before = {"assignee_id": task.assignee_id, "group": task.candidate_group}
    if to_user is not None:
        user = session.scalar(select(User).where(User.username == to_user))
        if user is None or not user.is_active or not user.is_staff:
            raise InvalidData("no such active staff member", {"user": ["no such active staff member"]})
        if task.candidate_group not in group_slugs(user):
            raise InvalidData(
                "the user is not a member of the task's group",
                {"user": ["is not a member of the task's group"]},
            )
        task.assignee_id = user.id
        task.claimed_at = clock.now()
    else:
        group = session.scalar(select(Group).where(Group.slug == to_group))
        if group is None or group.slug == gateway.APPLICANT_GROUP:
            raise InvalidData("no such group", {"group": ["no such group"]})
        task.candidate_group = group.slug
        task.assignee_id = None
        task.claimed_at = None
    audit.record(
        session,
        "task.reassigned",
        actor=supervisor,
        case=session.get(Case, case.id),
        detail={
            "task_id": task.id,
            "task": task.bpmn_id,
            "from_user_id": before["assignee_id"],
            "from_group": before["group"],
            "to_user": to_user,
            "to_group": task.candidate_group,
        },
    )
    session.flush()
    return task
