"""转办 / 委托 (substitution): a staff member — or the supervisor for a member who is ill — names a
substitute for a date range, for every process or one. While it runs, tasks assigned or offered
to the absent person reach the substitute too (inbox, claim, complete), and what the substitute
does is audited with both names. Statutory clocks never stop for a person's absence.

A substitution changes no case, so it is no command of the step path; the tasks a substitute
acts on go through the step path as every task does, with ``on_behalf_of`` in their audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, Forbidden, InvalidData, NotFound
from app.models import Group, HumanTask, Membership, ProcessVersion, Substitution, User

from . import audit, notifications, platform, task_access

MAX_DAYS = 366  # one substitution covers at most a year


@dataclass(frozen=True)
class SubstituteRequest:
    substitute: str  # username
    starts_on: date
    ends_on: date
    process: str | None = None


def _today(session: Session) -> date:
    return platform.calendar(session).local_date(clock.now())


def target_user(session: Session, actor: User, username: str) -> User:
    """The absent person ``username`` (``me``: the actor), if ``actor`` may set their substitute:
    themselves (staff), a supervisor of one of their groups, or an admin."""
    if not actor.is_staff:
        raise Forbidden("substitutes are for agency staff")
    if username == "me" or username == actor.username:
        return actor
    user = session.scalar(select(User).where(User.username == username[:64]))
    if user is None or not user.is_staff:
        raise NotFound(f"no staff member '{username[:64]}'")
    supervised = set(task_access.group_slugs(actor, supervised=True))
    if not (actor.has_role("admin") or supervised & set(task_access.group_slugs(user))):
        raise Forbidden("only a supervisor of one of their groups may set a member's substitute")
    return user


def _checked(session: Session, user: User, request: SubstituteRequest) -> User:
    substitute = session.scalar(select(User).where(User.username == request.substitute[:64]))
    if substitute is None or not substitute.is_staff or not substitute.is_active:
        raise InvalidData("the substitute must be an active staff member", {"user": ["unknown or inactive"]})
    if substitute.id == user.id:
        raise InvalidData("a substitute is someone else", {"user": ["not the absent person"]})
    if request.ends_on < request.starts_on:
        raise InvalidData("`to` is before `from`", {"to": ["on or after `from`"]})
    if request.ends_on < _today(session):
        raise InvalidData("the period is over already", {"to": ["today or later"]})
    if (request.ends_on - request.starts_on).days >= MAX_DAYS:
        raise InvalidData(f"at most {MAX_DAYS} days", {"to": [f"at most {MAX_DAYS} days after `from`"]})
    if request.process is not None and (
        session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == request.process).limit(1))
        is None
    ):
        raise InvalidData(f"no process '{request.process[:64]}'", {"process": ["unknown process"]})
    return substitute


def _overlapping(session: Session, user: User, request: SubstituteRequest) -> Substitution | None:
    # A substitution for every process overlaps any other; one for a process, those of it or of all.
    same_scope = (
        true()
        if request.process is None
        else or_(Substitution.process_key.is_(None), Substitution.process_key == request.process)
    )
    return session.scalar(
        select(Substitution).where(
            Substitution.user_id == user.id,
            Substitution.ended_at.is_(None),
            Substitution.starts_on <= request.ends_on,
            Substitution.ends_on >= request.starts_on,
            same_scope,
        )
    )


def set_substitute(session: Session, actor: User, username: str, request: SubstituteRequest) -> Substitution:
    """Name a substitute of ``username`` for the period; an overlapping one of theirs is refused."""
    user = target_user(session, actor, username)
    substitute = _checked(session, user, request)
    clash = _overlapping(session, user, request)
    if clash is not None:
        raise Conflict(
            f"{user.username} already has a substitute from {clash.starts_on} to {clash.ends_on}: "
            "end it first (DELETE) or choose another period"
        )
    row = Substitution(
        user_id=user.id,
        substitute_id=substitute.id,
        starts_on=request.starts_on,
        ends_on=request.ends_on,
        process_key=request.process,
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    detail = {
        "user": user.username,
        "substitute": substitute.username,
        "from": request.starts_on.isoformat(),
        "to": request.ends_on.isoformat(),
        "process": request.process,
    }
    audit.record(session, "user.substitute_set", actor=actor, detail=detail)
    notifications.notify(
        session,
        [substitute],
        "substitute.named",
        title=f"您被指定为{user.display_name}的代理人（{request.starts_on}至{request.ends_on}）",
        title_en=f"You substitute for {user.display_name} ({request.starts_on} to {request.ends_on})",
        link="/inbox",
    )
    return row


def end_substitute(session: Session, actor: User, username: str) -> list[Substitution]:
    """End the substitutions of ``username`` that are running or to come."""
    user = target_user(session, actor, username)
    rows = list(
        session.scalars(
            select(Substitution).where(
                Substitution.user_id == user.id,
                Substitution.ended_at.is_(None),
                Substitution.ends_on >= _today(session),
            )
        )
    )
    if not rows:
        raise Conflict(f"{user.username} has no substitute set: nothing to end")
    now = clock.now()
    for row in rows:
        row.ended_at = now
    audit.record(
        session, "user.substitute_ended", actor=actor, detail={"user": user.username, "ended": len(rows)}
    )
    session.flush()
    return rows


def substitutions_of(session: Session, user: User) -> list[Substitution]:
    """The substitutions of ``user`` not ended and not over, soonest first."""
    return list(
        session.scalars(
            select(Substitution)
            .where(
                Substitution.user_id == user.id,
                Substitution.ended_at.is_(None),
                Substitution.ends_on >= _today(session),
            )
            .order_by(Substitution.starts_on)
        )
    )


def represented(session: Session, user: User) -> list[Substitution]:
    """The substitutions running today in which ``user`` is the substitute."""
    today = _today(session)
    return list(
        session.scalars(
            select(Substitution).where(
                Substitution.substitute_id == user.id,
                Substitution.ended_at.is_(None),
                Substitution.starts_on <= today,
                Substitution.ends_on >= today,
            )
        )
    )


def _covers(row: Substitution, task: HumanTask) -> bool:
    return row.process_key is None or row.process_key == task.process_key


def on_behalf_of(session: Session, actor: User, task: HumanTask) -> User | None:
    """The absent person ``actor`` acts for on ``task``: its assignee, or (unassigned) a member of
    its group; None when ``actor`` may act in their own right or substitutes for nobody there."""
    if task.assignee_id == actor.id:
        return None
    # Before any look-up: an unassigned task of the actor's own group is theirs in their own right
    # (so the common completion reads no substitutions).
    if task.assignee_id is None and task.candidate_group in task_access.group_slugs(actor):
        return None
    rows = [r for r in represented(session, actor) if _covers(r, task)]
    if not rows:
        return None
    if task.assignee_id is not None:
        row = next((r for r in rows if r.user_id == task.assignee_id), None)
        return session.get(User, row.user_id) if row else None
    supervisors_only = bool((task.context or {}).get("supervisors_only"))
    for row in rows:
        member = session.scalar(
            select(Membership)
            .join(Group, Group.id == Membership.group_id)
            .where(Membership.user_id == row.user_id, Group.slug == task.candidate_group)
        )
        if member is not None and (member.is_supervisor or not supervisors_only):
            return session.get(User, row.user_id)
    return None


def inbox_clauses(session: Session, user: User) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """SQL for the inbox: (tasks assigned to people ``user`` substitutes for, tasks offered to
    their groups), each limited to the substitution's process."""
    assigned: list[ColumnElement[bool]] = []
    offered: list[ColumnElement[bool]] = []
    for row in represented(session, user):
        scope = HumanTask.process_key == row.process_key if row.process_key else None
        mine = HumanTask.assignee_id == row.user_id
        absent = session.get(User, row.user_id)
        groups = task_access.group_slugs(absent) if absent else []
        theirs = and_(HumanTask.assignee_id.is_(None), HumanTask.candidate_group.in_(groups))
        assigned.append(and_(mine, scope) if scope is not None else mine)
        offered.append(and_(theirs, scope) if scope is not None else theirs)
    return (or_(*assigned) if assigned else false(), or_(*offered) if offered else false())


def substitutes_now(session: Session, user_ids: set[int]) -> dict[int, str]:
    """For each of ``user_ids`` away today, the display name of their substitute."""
    if not user_ids:
        return {}
    today = _today(session)
    rows = session.execute(
        select(Substitution.user_id, User.display_name)
        .join(User, User.id == Substitution.substitute_id)
        .where(
            Substitution.user_id.in_(sorted(user_ids)),
            Substitution.ended_at.is_(None),
            Substitution.starts_on <= today,
            Substitution.ends_on >= today,
        )
    )
    return {uid: name for uid, name in rows}
