"""The admin console's shared rules: who is an admin, the messages of refused changes, input
cleaning and the look-ups every part of the console uses (services/admin.py lists the parts)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidData, NotFound
from app.models import Group, User

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
NO_CREDIT_CODE = "is not a company account with a credit code"
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


def clean(text: Any, limit: int = 200) -> str:
    """The text stripped and cut one past ``limit`` (so that a length check still sees it is too
    long). No stored text may hold NUL (PostgreSQL refuses it)."""
    return str(text or "").replace("\x00", "").strip()[: limit + 1]


def refuse(errors: dict[str, list[str]]) -> None:
    """Raise InvalidData naming every field in ``errors`` (nothing when there are none)."""
    if errors:
        raise InvalidData("not valid: " + ", ".join(sorted(errors)), errors)


def user_by_name(session: Session, username: str) -> User:
    """Any account (staff or applicant) by username; NotFound when there is none."""
    user = session.scalar(select(User).where(User.username == clean(username, 64)[:64]))
    if user is None:
        raise NotFound(f"{username} {UNKNOWN_USER}")
    return user


def staff_user(session: Session, username: str) -> User:
    user = user_by_name(session, username)
    if not user.is_staff:
        raise NotFound(f"{username} {UNKNOWN_USER}")
    return user


def group_by_slug(session: Session, slug: str) -> Group:
    group = session.scalar(select(Group).where(Group.slug == clean(slug, 64)[:64]))
    if group is None:
        raise NotFound(f"{slug} {UNKNOWN_GROUP}")
    return group
