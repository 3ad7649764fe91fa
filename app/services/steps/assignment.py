"""Who holds an open task: claiming, releasing and reassigning it, under the case's lock.

Called by the step path only, after it locked the case, re-read the task and ran the caller's
permission check; the task is open.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Case, Group, HumanTask, User

from .. import audit
from ..gateway import APPLICANT_GROUP
from .commands import ClaimTask, ReassignTask, ReleaseTask, StepOutcome


def _record(session: Session, user: User, case: Case, task: HumanTask, action: str) -> None:
    audit.record(session, action, actor=user, case=case, detail={"task_id": task.id, "task": task.bpmn_id})


def claim(session: Session, command: ClaimTask, case: Case, task: HumanTask) -> StepOutcome:
    user = command.actor
    if task.assignee_id not in (None, user.id):
        raise Conflict("the task is claimed by someone else")
    if task.assignee_id is None:
        task.assignee_id = user.id
        task.claimed_at = clock.now()
        _record(session, user, case, task, "task.claimed")
    session.flush()
    return StepOutcome(case, task)


def release(session: Session, command: ReleaseTask, case: Case, task: HumanTask) -> StepOutcome:
    user = command.actor
    if task.assignee_id not in (None, user.id) and not command.may_release_others(task):
        raise Conflict("the task is claimed by someone else")
    if task.assignee_id is not None:
        task.assignee_id = None
        task.claimed_at = None
        _record(session, user, case, task, "task.unclaimed")
    session.flush()
    return StepOutcome(case, task)


def reassign(session: Session, command: ReassignTask, case: Case, task: HumanTask) -> StepOutcome:
    """To a member of the task's group (assigned to them), or to another group (unassigned)."""
    before = {"assignee_id": task.assignee_id, "group": task.candidate_group}
    if command.to_user is not None:
        user = session.scalar(select(User).where(User.username == command.to_user))
        if user is None or not user.is_active or not user.is_staff:
            raise InvalidData("no such active staff member", {"user": ["no such active staff member"]})
        if task.candidate_group not in {m.group.slug for m in user.memberships}:
            raise InvalidData(
                "the user is not a member of the task's group",
                {"user": ["is not a member of the task's group"]},
            )
        task.assignee_id = user.id
        task.claimed_at = clock.now()
    else:
        group = session.scalar(select(Group).where(Group.slug == command.to_group))
        if group is None or group.slug == APPLICANT_GROUP:
            raise InvalidData("no such group", {"group": ["no such group"]})
        task.candidate_group = group.slug
        task.assignee_id = None
        task.claimed_at = None
    audit.record(
        session,
        "task.reassigned",
        actor=command.actor,
        case=case,
        detail={
            "task_id": task.id,
            "task": task.bpmn_id,
            "from_user_id": before["assignee_id"],
            "from_group": before["group"],
            "to_user": command.to_user,
            "to_group": task.candidate_group,
            **({"reason": command.reason[:2000]} if command.reason else {}),
        },
    )
    session.flush()
    return StepOutcome(case, task)
