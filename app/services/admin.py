"""The admin console's rules: staff accounts, groups and their members, calendar overrides.

Every change is audited with who made it and the values before and after. Functions flush and
never commit; a refused change raises before anything is written (InvalidData names the field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, InvalidData, NotFound
from app.models import CalendarOverride, Group, Membership, User, UserKind

from . import audit, calendar, platform
from .accounts import BAD_EMAIL, EMAIL, REQUIRED, TAKEN_USERNAME, TOO_LONG, USERNAME, password_problem
from .accounts import BAD_USERNAME as BAD_USERNAME
from .accounts import WEAK_PASSWORD as WEAK_PASSWORD
from .auth import hash_password

ROLES = ("admin", "auditor", "analyst")
SLUG = re.compile(r"[a-z][a-z0-9_]{1,63}")

# Messages of refused changes (stable, so that pages can say them in the user's language).
BAD_SLUG = "use 2 to 64 lower-case letters, digits or '_', starting with a letter"
TAKEN_SLUG = "a group with this name exists already"
UNKNOWN_GROUP = "is not a group"
UNKNOWN_USER = "is not a staff user"
UNKNOWN_ROLE = "is not a role"
SELF_DISABLE = "you cannot disable your own account"
SELF_ADMIN = "you cannot take the admin role from yourself"
ALREADY_MEMBER = "is a member already"
ESCALATES_TO_SELF = "a group cannot escalate to itself"
BAD_DAY_KIND = "choose a holiday or a working day"
YEAR_RANGE = (2000, 2100)
BAD_DAY = "is not a date between 2000 and 2100"


def is_admin(user: User | None) -> bool:
    return user is not None and user.is_staff and user.is_active and user.has_role("admin")


def require_admin(user: User | None) -> User:
    if user is None or not is_admin(user):
        raise Forbidden("the admin console is for administrators")
    return user


def _clean(text: Any, limit: int = 200) -> str:
    # No stored text may hold NUL (PostgreSQL refuses it).
    return str(text or "").replace("\x00", "").strip()[: limit + 1]


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise InvalidData("not valid: " + ", ".join(sorted(errors)), errors)


# ---------------------------------------------------------------- users


@dataclass(frozen=True)
class UserPage:
    items: list[User]
    total: int
    page: int
    per_page: int


def search_users(
    session: Session, q: str = "", *, kind: str | None = "staff", page: int = 1, per_page: int = 25
) -> UserPage:
    """Users whose username or name contains ``q``, by username; staff only unless ``kind`` says."""
    stmt = select(User)
    if kind in ("staff", "applicant"):
        stmt = stmt.where(User.kind == UserKind(kind))
    q = _clean(q, 64)[:64]
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.username).like(pattern), func.lower(User.display_name).like(pattern))
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page, per_page = max(1, page), max(1, min(per_page, 100))
    items = list(session.scalars(stmt.order_by(User.username).limit(per_page).offset((page - 1) * per_page)))
    return UserPage(items, total, page, per_page)


def staff_user(session: Session, username: str) -> User:
    user = user_by_name(session, username)
    if not user.is_staff:
        raise NotFound(f"{username} {UNKNOWN_USER}")
    return user


def group_by_slug(session: Session, slug: str) -> Group:
    group = session.scalar(select(Group).where(Group.slug == _clean(slug, 64)[:64]))
    if group is None:
        raise NotFound(f"{slug} {UNKNOWN_GROUP}")
    return group


def _roles_problem(roles: list[str]) -> str | None:
    return UNKNOWN_ROLE if any(role not in ROLES for role in roles) else None


@dataclass(frozen=True)
class NewStaff:
    username: str
    display_name: str
    password: str
    email: str = ""
    groups: tuple[str, ...] = ()
    supervises: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


def create_staff(session: Session, actor: User, new: NewStaff) -> User:
    """A staff account in the given groups (supervisor of those in ``supervises``) with roles."""
    username, name, email = _clean(new.username, 64), _clean(new.display_name), _clean(new.email)
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [REQUIRED]
    elif not USERNAME.fullmatch(username):
        errors["username"] = [BAD_USERNAME]
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = [TAKEN_USERNAME]
    if not name:
        errors["display_name"] = [REQUIRED]
    elif len(name) > 200:
        errors["display_name"] = [TOO_LONG]
    if email and (len(email) > 200 or not EMAIL.fullmatch(email)):
        errors["email"] = [BAD_EMAIL]
    problem = password_problem(new.password, username) if new.password else REQUIRED
    if problem:
        errors["password"] = [problem]
    if _roles_problem(list(new.roles)):
        errors["roles"] = [UNKNOWN_ROLE]
    slugs = sorted(set(new.groups) | set(new.supervises))
    groups = {g.slug: g for g in session.scalars(select(Group).where(Group.slug.in_(slugs)))}
    if set(slugs) - set(groups):
        errors["groups"] = [UNKNOWN_GROUP]
    _refuse(errors)
    user = User(
        username=username,
        display_name=name,
        password_hash=hash_password(new.password),
        kind=UserKind.STAFF,
        roles=sorted(set(new.roles)),
        email=email or None,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    for slug in slugs:
        session.add(
            Membership(user_id=user.id, group_id=groups[slug].id, is_supervisor=slug in new.supervises)
        )
    session.flush()
    session.refresh(user)
    audit.record(
        session,
        "user.created",
        actor=actor,
        detail={
            "user": username,
            "before": None,
            "after": {"roles": user.roles, "groups": slugs, "supervises": sorted(set(new.supervises))},
        },
    )
    return user


def user_by_name(session: Session, username: str) -> User:
    """Any account (staff or applicant) by username; NotFound when there is none."""
    user = session.scalar(select(User).where(User.username == _clean(username, 64)[:64]))
    if user is None:
        raise NotFound(f"{username} {UNKNOWN_USER}")
    return user


def set_active(session: Session, actor: User, username: str, active: bool) -> User:
    """Disable or enable an account (staff or applicant). Disabling ends its sessions and
    revokes its tokens: both carry the token version."""
    user = user_by_name(session, username)
    if not active and user.id == actor.id:
        raise InvalidData(SELF_DISABLE, {"user": [SELF_DISABLE]})
    before = user.is_active
    if before != active:
        user.is_active = active
        if not active:
            user.token_version += 1
        session.flush()
        audit.record(
            session,
            "user.enabled" if active else "user.disabled",
            actor=actor,
            detail={"user": user.username, "before": {"active": before}, "after": {"active": active}},
        )
    return user


def reset_password(session: Session, actor: User, username: str, password: str) -> User:
    """A new password chosen by the admin; the user's sessions and tokens end."""
    user = user_by_name(session, username)
    problem = password_problem(password, user.username) if password else REQUIRED
    if problem:
        raise InvalidData(problem, {"password": [problem]})
    user.password_hash = hash_password(password)
    user.token_version += 1
    session.flush()
    # Never the password, nor its hash: that the password changed is what the trail needs.
    audit.record(
        session,
        "user.password_reset",
        actor=actor,
        detail={
            "user": user.username,
            "before": {"token_version": user.token_version - 1},
            "after": {"token_version": user.token_version},
        },
    )
    return user


def set_roles(session: Session, actor: User, username: str, roles: list[str]) -> User:
    user = staff_user(session, username)
    wanted = sorted(set(roles))
    if _roles_problem(wanted):
        raise InvalidData(UNKNOWN_ROLE, {"roles": [UNKNOWN_ROLE]})
    if user.id == actor.id and "admin" not in wanted:
        raise InvalidData(SELF_ADMIN, {"roles": [SELF_ADMIN]})
    before = sorted(user.roles or [])
    if before != wanted:
        user.roles = wanted
        session.flush()
        audit.record(
            session,
            "user.roles_changed",
            actor=actor,
            detail={"user": user.username, "before": before, "after": wanted},
        )
    return user


# ---------------------------------------------------------------- groups


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
    target = _clean(slug, 64)[:64]
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
    slug, name, name_en = _clean(slug, 64), _clean(name), _clean(name_en)
    errors: dict[str, list[str]] = {}
    if not slug:
        errors["slug"] = [REQUIRED]
    elif not SLUG.fullmatch(slug):
        errors["slug"] = [BAD_SLUG]
    elif session.scalar(select(Group.id).where(Group.slug == slug)) is not None:
        errors["slug"] = [TAKEN_SLUG]
    target = _check_group_fields(session, errors, name, name_en, escalates_to, slug)
    _refuse(errors)
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
    name, name_en = _clean(name), _clean(name_en)
    errors: dict[str, list[str]] = {}
    target = _check_group_fields(session, errors, name, name_en, escalates_to, group.slug)
    _refuse(errors)
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


# ---------------------------------------------------------------- calendar


def overrides_of_year(session: Session, year: int) -> list[CalendarOverride]:
    return list(
        session.scalars(
            select(CalendarOverride)
            .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
            .order_by(CalendarOverride.day)
        )
    )


def parse_day(text: str) -> date:
    try:
        day = date.fromisoformat(_clean(text, 10))
    except ValueError:
        raise InvalidData(BAD_DAY, {"day": [BAD_DAY]}) from None
    if not YEAR_RANGE[0] <= day.year <= YEAR_RANGE[1]:
        raise InvalidData(BAD_DAY, {"day": [BAD_DAY]})
    return day


def set_day(session: Session, actor: User, day_text: str, kind: str, note: str) -> date:
    """Declare a day a holiday or a (make-up) working day with a name; replaces an earlier one."""
    errors: dict[str, list[str]] = {}
    day: date | None = None
    try:
        day = parse_day(day_text)
    except InvalidData as err:
        errors.update(err.errors)
    if kind not in ("holiday", "workday"):
        errors["kind"] = [BAD_DAY_KIND]
    note = _clean(note)
    if not note:
        errors["note"] = [REQUIRED]
    elif len(note) > 200:
        errors["note"] = [TOO_LONG]
    _refuse(errors)
    assert day is not None
    calendar.set_override(session, actor, day, kind == "workday", note)
    platform.of(session).calendars.forget()
    return day


def remove_day(session: Session, actor: User, day_text: str) -> bool:
    removed = calendar.remove_override(session, actor, parse_day(day_text))
    platform.of(session).calendars.forget()
    return removed
