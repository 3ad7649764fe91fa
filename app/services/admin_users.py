"""The admin console's accounts: search, create staff, disable or enable, reset a password, roles,
and confirm an applicant company's credit code.

Every change is audited with who made it and the values before and after; functions flush and
never commit; a refused change raises before anything is written (InvalidData names the field).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidData
from app.models import Group, Membership, User, UserKind

from . import audit
from .accounts import (
    BAD_EMAIL,
    BAD_USERNAME,
    EMAIL,
    REQUIRED,
    TAKEN_USERNAME,
    TOO_LONG,
    USERNAME,
    password_problem,
)
from .admin_rules import (
    NO_CREDIT_CODE,
    ROLES,
    SELF_ADMIN,
    SELF_DISABLE,
    UNKNOWN_GROUP,
    UNKNOWN_ROLE,
    clean,
    refuse,
    staff_user,
    user_by_name,
)
from .auth import hash_password


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
    q = clean(q, 64)[:64]
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.username).like(pattern), func.lower(User.display_name).like(pattern))
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page, per_page = max(1, page), max(1, min(per_page, 100))
    items = list(session.scalars(stmt.order_by(User.username).limit(per_page).offset((page - 1) * per_page)))
    return UserPage(items, total, page, per_page)


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
    username, name, email = clean(new.username, 64), clean(new.display_name), clean(new.email)
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
    refuse(errors)
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


def set_credit_code_verified(session: Session, actor: User, username: str, verified: bool) -> User:
    """Confirm (or withdraw the confirmation of) an applicant company's credit code, after checking
    it against the business licence: only a verified account performs its company's tasks
    (services/performer_tasks.py). Audited with the code, before and after."""
    user = user_by_name(session, username)
    if user.is_staff or not user.credit_code:
        raise InvalidData(NO_CREDIT_CODE, {"credit_code": [NO_CREDIT_CODE]})
    before = user.credit_code_verified
    if before != verified:
        user.credit_code_verified = verified
        session.flush()
        audit.record(
            session,
            "user.credit_code_verified" if verified else "user.credit_code_unverified",
            actor=actor,
            detail={
                "user": user.username,
                "credit_code": user.credit_code,
                "before": {"verified": before},
                "after": {"verified": verified},
            },
        )
    return user
