"""The caller read in one Core statement (services/caller.py) is what ``session.get`` answered:
persistent, unmodified objects with their groups, read afresh from the database each time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import edge
from app.models import Group, Membership, User
from app.services import caller


def _session(app: Any) -> Any:
    return edge.of(app).database.session_factory()


def test_the_caller_is_the_session_s_own_user_with_its_groups(app: Any) -> None:
    other = _session(app)
    expected = other.scalar(
        select(User).where(User.username == "planner").options(joinedload(User.memberships))
    )
    user_id, expected_slugs = expected.id, sorted(m.group.slug for m in expected.memberships)
    expected_values = [(k, getattr(expected, k)) for k, _ in caller._USER_KEYS]
    other.rollback()
    other.close()
    session = _session(app)
    try:
        user = caller.user_with_groups(session, user_id)
        assert user is not None and user.username == "planner"
        assert user in session and not session.new and not session.dirty
        slugs = sorted(m.group.slug for m in user.memberships)
        assert slugs and all(m.user is user for m in user.memberships)
        assert caller.user_with_groups(session, user_id) is user  # the session's own object again
        assert slugs == expected_slugs
        assert [(k, getattr(user, k)) for k, _ in caller._USER_KEYS] == expected_values
        # A change is an UPDATE of the row it came from, never an INSERT of a copy.
        user.display_name = user.display_name + " "
        session.flush()
        assert session.scalar(select(User.display_name).where(User.id == user_id)).endswith(" ")
        assert caller.user_with_groups(session, 987654321) is None
    finally:
        session.rollback()
        session.close()


def test_a_group_given_elsewhere_counts_on_the_next_read(app: Any) -> None:
    database = edge.of(app).database
    with database.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == "planner"))
        before = {m.group.slug for m in user.memberships}
        group = session.scalar(select(Group).where(Group.slug.not_in(before)).order_by(Group.id))
        user_id, group_id, slug = user.id, group.id, group.slug
    try:
        with database.unit_of_work() as session:  # another node, say
            session.add(Membership(user_id=user_id, group_id=group_id, is_supervisor=False))
        session = _session(app)
        user = caller.user_with_groups(session, user_id)
        assert user is not None and {m.group.slug for m in user.memberships} == before | {slug}
        session.close()
    finally:
        with database.unit_of_work() as session:
            found = session.scalar(
                select(Membership).where(Membership.user_id == user_id, Membership.group_id == group_id)
            )
            session.delete(found)
