"""Notifications: written in the same transaction as what caused them; e-mailed by a job after
commit (nothing is sent from inside a web request)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import clock
from app.errors import NotFound
from app.models import Case, EmailState, Group, Membership, Notification, User

from . import held_flush, platform, sms
from .deferred import SendEmail, SendSms, defer

MEMBERS_MEMO = "group_members_memo"  # Session.info key: see remember_group_members


def remember_group_members(session: Session) -> None:
    """Let this session's :func:`group_members` answer each group once: for work that notifies
    the same groups many times and changes no membership (a batch of timers firing)."""
    session.info.setdefault(MEMBERS_MEMO, {})


def batch_memo(session: Session, name: str) -> dict[Any, Any] | None:
    """A memo named ``name`` for this session's batch (see :func:`remember_group_members`), or
    None when the session is not one: what a batch reads once and asks many times."""
    if MEMBERS_MEMO not in session.info:
        return None
    memo: dict[Any, Any] = session.info.setdefault(f"{MEMBERS_MEMO}:{name}", {})
    return memo


def group_members(session: Session, slug: str, *, supervisors_only: bool = False) -> list[User]:
    memo: dict[tuple[str, bool], list[User]] | None = session.info.get(MEMBERS_MEMO)
    if memo is None:
        return _group_members(session, slug, supervisors_only)
    key = (slug, supervisors_only)
    if key not in memo:
        memo[key] = _group_members(session, slug, supervisors_only)
    return list(memo[key])


def _group_members(session: Session, slug: str, supervisors_only: bool) -> list[User]:
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Group, Group.id == Membership.group_id)
        .where(Group.slug == slug, User.is_active.is_(True))
    )
    if supervisors_only:
        stmt = stmt.where(Membership.is_supervisor.is_(True))
    return list(session.scalars(stmt.order_by(User.id)))


def notify(
    session: Session,
    users: Iterable[User],
    kind: str,
    *,
    title: str,
    title_en: str,
    body: str = "",
    body_en: str = "",
    case: Case | None = None,
    link: str | None = None,
) -> list[Notification]:
    """One notification per user (each user once), e-mailed after the transaction commits."""
    made = []
    seen: set[int] = set()
    now = clock.now()
    settings = platform.of(session).settings
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        note = Notification(
            user_id=user.id,
            case_id=case.id if case is not None else None,
            kind=kind[:40],
            title=title[:200],
            title_en=title_en[:200],
            body=body,
            body_en=body_en,
            link=link,
            created_at=now,
            email_state=EmailState.PENDING if user.email else EmailState.SKIPPED,
            email_attempts=0,
            sms_state=EmailState.PENDING if sms.wants_sms(settings, user, kind) else None,
        )
        session.add(note)
        made.append(note)
    # The jobs name the rows' ids: queued after this flush, or a batch's (services/held_flush.py).
    held_flush.after(session, lambda: _send_after_commit(session, made))
    return made


def _send_after_commit(session: Session, notes: list[Notification]) -> None:
    for note in notes:
        if note.email_state is EmailState.PENDING:
            defer(session, SendEmail(note.id))
        if note.sms_state is EmailState.PENDING:
            defer(session, SendSms(note.id))


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_for(
    session: Session, user: User, *, unread_only: bool, page: int, per_page: int
) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.id.desc()).limit(per_page).offset((page - 1) * per_page)
    return list(session.scalars(stmt))


def mark_read(session: Session, user: User, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) notification of ``user`` read; returns how many."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        note = session.get(Notification, notification_id) if 0 < notification_id < 2**63 else None
        if note is None or note.user_id != user.id:
            raise NotFound("no such notification")
        stmt = stmt.where(Notification.id == notification_id)
    result: Any = session.execute(stmt.values(read_at=clock.now()))
    return int(result.rowcount or 0)


def mark_read_many(session: Session, user: User, ids: list[int]) -> int:
    """Mark the listed notifications of ``user`` read (ids of others' notifications mark nothing);
    returns how many changed."""
    wanted = [i for i in ids if 0 < i < 2**63]
    if not wanted:
        return 0
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.id.in_(wanted)
    )
    result: Any = session.execute(stmt.values(read_at=clock.now()))
    return int(result.rowcount or 0)


def case_numbers(session: Session, notes: list[Notification]) -> dict[int, str]:
    """The case number of each listed notification's case, by case id (for the list page)."""
    ids = {n.case_id for n in notes if n.case_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).tuples()
    return {case_id: number for case_id, number in rows}
