"""Saved inbox filters: a user names an inbox query (scope, process, SLA state, search, order) to
come back to it, keeps it for themselves or shares it with a group they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, Forbidden, InvalidData, NotFound
from app.models import SavedFilter, User

from .task_access import group_slugs

# The inbox's URL arguments a filter keeps (web/inbox.py `query_args`); the page is never saved.
KEYS = ("scope", "process", "sla", "q", "sort")
MAX_NAME = 80
MAX_PER_USER = 50


@dataclass(frozen=True)
class FilterView:
    id: int
    name: str
    query: dict[str, str]
    group: str | None  # shared with this group (None: the owner's own)
    mine: bool  # the owner may delete it


def filters_for(session: Session, user: User) -> list[FilterView]:
    """The user's own filters, then those shared with their groups, by name (one indexed query)."""
    groups = group_slugs(user)
    mine = SavedFilter.owner_id == user.id
    stmt = select(SavedFilter).where(or_(mine, SavedFilter.group.in_(groups)) if groups else mine)
    rows = session.scalars(stmt.order_by(SavedFilter.name, SavedFilter.id))
    found = [_view(row, user) for row in rows]
    return sorted(found, key=lambda f: (not f.mine, f.name.casefold()))


def save_filter(
    session: Session, user: User, name: str, query: dict[str, Any], group: str | None
) -> FilterView:
    """Save ``query`` (only its inbox arguments) under ``name``; refused with the reason otherwise."""
    if not user.is_staff:
        raise Forbidden("saved filters are for the inbox of agency staff")
    cleaned = (name or "").replace("\x00", "").strip()
    if not cleaned or len(cleaned) > MAX_NAME:
        message = "name the filter" if not cleaned else f"a filter's name has at most {MAX_NAME} characters"
        raise InvalidData(message, {"name": [message]})
    if group and group not in group_slugs(user):
        raise InvalidData(
            "share a filter only with a group you belong to", {"group": ["not one of your groups"]}
        )
    kept = {k: str(v)[:100] for k, v in query.items() if k in KEYS and v not in (None, "")}
    owned = list(session.scalars(select(SavedFilter).where(SavedFilter.owner_id == user.id)))
    if any(f.name == cleaned for f in owned):
        raise Conflict(f"you already have a filter named {cleaned!r}")
    if len(owned) >= MAX_PER_USER:
        raise Conflict(f"at most {MAX_PER_USER} saved filters per user: delete one first")
    row = SavedFilter(owner_id=user.id, group=group or None, name=cleaned, query=kept, created_at=clock.now())
    session.add(row)
    session.flush()
    return _view(row, user)


def delete_filter(session: Session, user: User, filter_id: int) -> None:
    """Delete one of the user's own filters (a shared one is deleted by its owner)."""
    row = session.get(SavedFilter, filter_id) if 0 < filter_id < 2**63 else None
    if row is None or (row.owner_id != user.id and row.group not in group_slugs(user)):
        raise NotFound(f"no saved filter {filter_id}")
    if row.owner_id != user.id:
        raise Forbidden("only the user who saved a filter may delete it")
    session.delete(row)
    session.flush()


def _view(row: SavedFilter, user: User) -> FilterView:
    return FilterView(row.id, row.name, dict(row.query or {}), row.group, row.owner_id == user.id)
