"""The audit trail: every change recorded, chained by hash so tampering shows.

Services call :func:`record`; the events are written when the transaction commits, each with
the hash of its content and of the event before it, under a lock so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, event, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.models import AuditEvent, Case, User

GENESIS = "0" * 64
_PENDING = "audit_pending"


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    case: Case | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    """Queue an audit event for this transaction."""
    session.info.setdefault(_PENDING, []).append(
        {
            "case": case,
            "actor_id": actor.id if actor is not None else None,
            "actor": actor.username if actor is not None else (actor_label or "system"),
            "action": action,
            "detail": detail or {},
            "created_at": clock.now(),
        }
    )


def content_hash(prev_hash: str, ev: AuditEvent | dict[str, Any]) -> str:
    """The hash of an event's content chained to its predecessor's hash."""
    get = ev.get if isinstance(ev, dict) else (lambda k: getattr(ev, k))
    created = get("created_at")
    body = json.dumps(
        {
            "case_id": get("case_id"),
            "actor_id": get("actor_id"),
            "actor": get("actor"),
            "action": get("action"),
            "detail": get("detail"),
            "created_at": created.isoformat(timespec="microseconds") if created else None,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _seal(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # new cases get their ids
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7253901)"))
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    rows = []
    for item in pending:
        case = item.pop("case")
        item["case_id"] = case.id if case is not None else None
        digest = content_hash(prev, item)
        rows.append({**item, "prev_hash": prev, "hash": digest})
        prev = digest
    # A Core insert: the events are written, never read back in this unit of work, so the ORM's
    # unit of work (objects, identity map, flush) would only add cost. Ids follow the list order.
    table: Table = AuditEvent.__table__  # type: ignore[assignment]
    session.execute(insert(table), rows)


def install(session_factory: sessionmaker[Session]) -> None:
    """Seal the queued events of this factory's sessions when they commit; drop them on rollback."""
    event.listen(session_factory, "before_commit", _seal)
    event.listen(session_factory, "after_rollback", _forget)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def verify_chain(session: Session, batch: int = 5000) -> tuple[int, AuditEvent | None, str]:
    """Recompute the chain. Returns (events checked, first broken event or None, why)."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        events = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
            )
        )
        if not events:
            return checked, None, ""
        for ev in events:
            if ev.prev_hash != prev:
                return (
                    checked,
                    ev,
                    "its link to the previous event is broken (an event was removed or reordered)",
                )
            if content_hash(prev, ev) != ev.hash:
                return checked, ev, "its content does not match its hash (the event was changed)"
            prev = ev.hash
            checked += 1
            last_id = ev.id
        session.expunge_all()  # keep memory flat on long trails


AUDITOR_ROLES = ("admin", "auditor")


def can_audit(user: User | None) -> bool:
    """Admins and auditors read the whole trail; other staff read the trail of a case."""
    return user is not None and any(user.has_role(role) for role in AUDITOR_ROLES)


def search_events(
    session: Session,
    *,
    case_id: int | None = None,
    case_number: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[tuple[AuditEvent, str | None]], int]:
    """Events newest first with their case numbers, and how many match in all."""
    stmt = select(AuditEvent, Case.number).outerjoin(Case, Case.id == AuditEvent.case_id)
    if case_id is not None:
        stmt = stmt.where(AuditEvent.case_id == case_id)
    if case_number:
        stmt = stmt.where(Case.number == case_number.strip().upper()[:40])
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action.strip()[:64], autoescape=True))
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor.strip()[:64])
    if start is not None:
        stmt = stmt.where(AuditEvent.created_at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.created_at < end)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page, per_page = max(1, page), max(1, min(per_page, 200))
    rows = session.execute(stmt.order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return [(event, number) for event, number in rows], total
