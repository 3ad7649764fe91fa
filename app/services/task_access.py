"""Who may do what with a human task, decided in one place.

The API, the task page and the services' own checks all ask `task_permissions`: a page never
re-derives what the API decides, and its buttons are shown from the same answer. The answer has
two tiers. ``candidate``/``supervisor``/``assignee`` say who the user is to the task: without the
right one an action is refused outright (403). The action flags (``claim``, ``complete``, …) add
the task's state: with the right relation but the wrong state (closed, claimed by someone else) the
services answer 409, because the task changed under the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, Group, HumanTask, TaskState, User

from . import performer_tasks, substitutions
from .gateway import APPLICANT_GROUP


def group_slugs(user: User, *, supervised: bool = False) -> list[str]:
    """The groups ``user`` belongs to (or, with ``supervised``, the groups they supervise)."""
    return sorted(m.group.slug for m in user.memberships if m.is_supervisor or not supervised)


# A task's escalation reaches the group its own group escalates to (Group.escalates_to, the bureau
# by default) at this level (services/timer_effects.py).
LEADER_LEVEL = 2


def escalated_from(session: Session, user: User) -> list[str]:
    """The groups whose level-2 escalations rise to a group of ``user`` (for the bureau's leaders:
    every agency). Empty for everyone else."""
    mine = group_slugs(user)
    if not mine or not user.is_staff:
        return []
    stmt = select(Group.slug).where(Group.escalates_to.in_(mine)).order_by(Group.slug)
    return list(session.scalars(stmt))


def is_escalated_to(session: Session, user: User, task: HumanTask) -> bool:
    """Whether ``task`` has been escalated to the level of a group of ``user`` (a bureau leader
    looking at an agency's task that stayed overdue)."""
    if task.escalation_level < LEADER_LEVEL or task.state != TaskState.OPEN:
        return False
    return (task.candidate_group or "") in escalated_from(session, user)


def is_candidate(session: Session, user: User, task: HumanTask) -> bool:
    """Whether ``user`` is among those who may take ``task``: a member of its group, or for an
    applicant's task, the case's applicant (or the company named to perform it)."""
    if (task.context or {}).get("supervisors_only"):
        # A procedure's decision for the head of the group (an extension, a rating's follow-up).
        return is_supervisor(user, task)
    if task.candidate_group == APPLICANT_GROUP:
        performer = (task.context or {}).get("performer_credit_code")
        if performer:
            # Performed by a company (e.g. the contractor of a rectification order): its users
            # whose credit code is verified, never an account that only typed the code.
            return performer_tasks.performer_code(user) == performer
        case = session.get(Case, task.case_id)
        return case is not None and case.applicant_id == user.id
    return task.candidate_group in group_slugs(user)


def is_supervisor(user: User, task: HumanTask) -> bool:
    """Whether ``user`` supervises the task's group."""
    return task.candidate_group in group_slugs(user, supervised=True)


@dataclass(frozen=True)
class TaskPermissions:
    """What one user may do with one task as it is now."""

    candidate: bool  # may take the task (its group, or the applicant of an applicant's task)
    supervisor: bool  # supervises the task's group
    assignee: bool  # has claimed it (or was given it)
    view: bool
    claim: bool
    release: bool
    complete: bool
    reassign: bool


def task_permissions(session: Session, user: User, task: HumanTask) -> TaskPermissions:
    """What ``user`` may do with ``task`` now: the one answer the API, the pages and the
    services' checks share."""
    # 委托: a substitute acts for the absent assignee, or for an absent member of the group.
    behalf = substitutions.on_behalf_of(session, user, task) if user.is_staff else None
    candidate = is_candidate(session, user, task) or (behalf is not None and task.assignee_id is None)
    supervisor = is_supervisor(user, task)
    # A leader sees the tasks escalated to the bureau; acting on them stays with the agency.
    leader = not (candidate or supervisor) and is_escalated_to(session, user, task)
    mine = task.assignee_id == user.id or (behalf is not None and behalf.id == task.assignee_id)
    unassigned = task.assignee_id is None
    is_open = task.state == TaskState.OPEN
    return TaskPermissions(
        candidate=candidate,
        supervisor=supervisor,
        assignee=mine,
        view=mine or candidate or supervisor or leader,
        claim=is_open and unassigned and candidate,
        # Releasing someone else's claim is a supervisor's decision; one's own, a member's.
        release=is_open and not unassigned and (candidate or supervisor) and (mine or supervisor),
        complete=is_open and (mine or (unassigned and candidate)),
        reassign=is_open and supervisor,
    )


@dataclass(frozen=True)
class PersonName:
    """How an assignee is named: the API gives the login name, the pages the display name."""

    username: str
    display_name: str


def assignee_names(session: Session, tasks: list[HumanTask]) -> dict[int, PersonName]:
    """The names of the users the ``tasks`` are assigned to, by user id (one query)."""
    ids = {t.assignee_id for t in tasks if t.assignee_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(ids)))
    return {uid: PersonName(username, display) for uid, username, display in rows}
