"""The admin console's groups: creating and renaming them, their escalation target, members and
supervisors. Audited, flushed, never committed; refusals raise before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InvalidData, NotFound
from app.models import Group, Membership, User

from . import audit
from .accounts import REQUIRED, TOO_LONG
from .admin_rules import (
    ALREADY_MEMBER,
    BAD_SLUG,
    ESCALATES_TO_SELF,
    SLUG,
    TAKEN_SLUG,
    UNKNOWN_GROUP,
    UNKNOWN_USER,
    clean,
    group_by_slug,
    refuse,
    staff_user,
)


@dataclass(frozen=True)
class GroupRow:
    group: Group
    members: int
    supervisors: list[str]


def list_groups(session: Session) -> list[GroupRow]:
    counts = {
        group_id: n
        for group_id, n in session.execute(
            select(Membership.group_id, func.count()).group_by(Membership.group_id)
        )
    }
    supervisors: dict[int, list[str]] = {}
    for group_id, username in session.execute(
        select(Membership.group_id, User.username)
        .join(User, User.id == Membership.user_id)
        .where(Membership.is_supervisor.is_(True))
        .order_by(User.username)
    ):
        supervisors.setdefault(group_id, []).append(username)
    return [
        GroupRow(g, int(counts.get(g.id, 0)), supervisors.get(g.id, []))
        for g in session.scalars(select(Group).order_by(Group.slug))
    ]


def members(session: Session, group: Group) -> list[tuple[User, bool]]:
    rows = session.execute(
        select(User, Membership.is_supervisor)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id)
        .order_by(Membership.is_supervisor.desc(), User.username)
    )
    return [(user, bool(sup)) for user, sup in rows]


def _escalation_target(session: Session, slug: str, own: str | None) -> tuple[str | None, str | None]:
    """(the group slug or None, a problem or None) for an escalates_to choice."""
    target = clean(slug, 64)[:64]
    if not target:
        return None, None
    if target == own:
        return None, ESCALATES_TO_SELF
    if session.scalar(select(Group.id).where(Group.slug == target)) is None:
        return None, UNKNOWN_GROUP
    return target, None


def _check_group_fields(
    session: Session, errors: dict[str, list[str]], name: str, name_en: str, escalates_to: str, own: str
) -> str | None:
    """Adds to ``errors`` what is wrong with a group's names and escalation; the escalation group."""
    for field, text in (("name", name), ("name_en", name_en)):
        if not text:
            errors[field] = [REQUIRED]
        elif len(text) > 200:
            errors[field] = [TOO_LONG]
    target, problem = _escalation_target(session, escalates_to, own)
    if problem:
        errors["escalates_to"] = [problem]
    return target


def _group_state(group: Group) -> dict[str, Any]:
    return {"name": group.name, "name_en": group.name_en, "escalates_to": group.escalates_to}


def create_group(
    session: Session, actor: User, slug: str, name: str, name_en: str, escalates_to: str = ""
) -> Group:
    slug, name, name_en = clean(slug, 64), clean(name), clean(name_en)
    errors: dict[str, list[str]] = {}
    if not slug:
        errors["slug"] = [REQUIRED]
    elif not SLUG.fullmatch(slug):
        errors["slug"] = [BAD_SLUG]
    elif session.scalar(select(Group.id).where(Group.slug == slug)) is not None:
        errors["slug"] = [TAKEN_SLUG]
    target = _check_group_fields(session, errors, name, name_en, escalates_to, slug)
    refuse(errors)
    group = Group(slug=slug, name=name, name_en=name_en, escalates_to=target)
    session.add(group)
    session.flush()
    audit.record(
        session,
        "group.created",
        actor=actor,
        detail={"group": slug, "before": None, "after": _group_state(group)},
    )
    return group


def update_group(
    session: Session, actor: User, slug: str, name: str, name_en: str, escalates_to: str = ""
) -> Group:
    group = group_by_slug(session, slug)
    name, name_en = clean(name), clean(name_en)
    errors: dict[str, list[str]] = {}
    target = _check_group_fields(session, errors, name, name_en, escalates_to, group.slug)
    refuse(errors)
    before = _group_state(group)
    group.name, group.name_en, group.escalates_to = name, name_en, target
    after = _group_state(group)
    if before != after:
        session.flush()
        audit.record(
            session,
            "group.changed",
            actor=actor,
            detail={"group": group.slug, "before": before, "after": after},
        )
    return group


def _membership(session: Session, group: Group, user: User) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )


def add_member(session: Session, actor: User, slug: str, username: str, supervisor: bool = False) -> None:
    group = group_by_slug(session, slug)
    try:
        user = staff_user(session, username)
    except NotFound:
        raise InvalidData(UNKNOWN_USER, {"username": [UNKNOWN_USER]}) from None
    if _membership(session, group, user) is not None:
        raise InvalidData(ALREADY_MEMBER, {"username": [ALREADY_MEMBER]})
    session.add(Membership(user_id=user.id, group_id=group.id, is_supervisor=supervisor))
    session.flush()
    session.expire(user, ["memberships"])
    audit.record(
        session,
        "group.member_added",
        actor=actor,
        detail={
            "group": group.slug,
            "user": user.username,
            "before": None,
            "after": {"supervisor": supervisor},
        },
    )


def remove_member(session: Session, actor: User, slug: str, username: str) -> None:
    group = group_by_slug(session, slug)
    user = staff_user(session, username)
    membership = _membership(session, group, user)
    if membership is None:
        raise NotFound(f"{username} is not in {slug}")
    before = {"supervisor": membership.is_supervisor}
    session.delete(membership)
    session.flush()
    session.expire(user, ["memberships"])
    audit.record(
        session,
        "group.member_removed",
        actor=actor,
        detail={"group": group.slug, "user": user.username, "before": before, "after": None},
    )


def set_supervisor(session: Session, actor: User, slug: str, username: str, supervisor: bool) -> None:
    group = group_by_slug(session, slug)
    user = staff_user(session, username)
    membership = _membership(session, group, user)
    if membership is None:
        raise NotFound(f"{username} is not in {slug}")
    before = membership.is_supervisor
    if before == supervisor:
        return
    membership.is_supervisor = supervisor
    session.flush()
    audit.record(
        session,
        "group.supervisor_set" if supervisor else "group.supervisor_unset",
        actor=actor,
        detail={
            "group": group.slug,
            "user": user.username,
            "before": {"supervisor": before},
            "after": {"supervisor": supervisor},
        },
    )
