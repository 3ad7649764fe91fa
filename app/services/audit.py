"""The audit trail: every change recorded, chained by a keyed hash so tampering shows.

Services call :func:`record`; the events are written when the transaction commits, each with an
HMAC-SHA256 (under the audit key, a setting never stored in the database) of its content and of the
event before it, under a lock so the chain never forks. Without the key nobody can recompute the
chain after an edit; signed checkpoints kept outside the database (:mod:`.audit_checkpoints`) show a
deletion of the newest events too. Each event names the id of the key that sealed it, so the key can
rotate: set the new key, move the old one to ``PERMITFLOW_AUDIT_OLD_KEYS``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, event, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.config import Settings
from app.models import AuditEvent, Case, User

from . import platform, session_queues

GENESIS = "0" * 64
_PENDING = "audit_pending"
ADVISORY_LOCK = 7253901


@dataclass(frozen=True)
class AuditKeys:
    """The key that seals new events and every key an event may name (by key id)."""

    current_id: str
    by_id: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.by_id[self.current_id]


def key_id(key: str) -> str:
    """A short public name of an audit key: a fingerprint, so no setting can disagree with it."""
    return hashlib.sha256(b"permitflow-audit-key:" + key.encode()).hexdigest()[:16]


def audit_keys(settings: Settings) -> AuditKeys:
    """The audit keys of these settings: ``PERMITFLOW_AUDIT_KEY`` (else the SECRET_KEY) and the old ones."""
    return _derived_keys(settings.audit_key, settings.secret_key, settings.audit_old_keys)


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


def _body(ev: AuditEvent | dict[str, Any]) -> str:
    get = ev.get if isinstance(ev, dict) else (lambda k: getattr(ev, k))
    created = get("created_at")
    return json.dumps(
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


def content_hash(prev_hash: str, ev: AuditEvent | dict[str, Any]) -> str:
    """The plain SHA-256 of events sealed before keyed hashes (``key_id`` NULL)."""
    return hashlib.sha256((prev_hash + _body(ev)).encode()).hexdigest()


def keyed_hash(key: bytes, kid: str, prev_hash: str, ev: AuditEvent | dict[str, Any]) -> str:
    """The HMAC of an event's content, its key id and its predecessor's hash."""
    message = f"{kid}\n{prev_hash}\n{_body(ev)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _seal(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    keys = audit_keys(platform.of(session).settings)
    session.flush()  # new cases get their ids
    # Core statements on the connection (the ORM would add only cost). On PostgreSQL the chain's
    # lock and then its head, in one call of a function (migration c4e6a8b0d2f4): its query reads
    # with a snapshot taken once the lock is held, so two commits never chain to the same head.
    # SQLite has one writer: the head alone.
    connection = session.connection()
    head = _LOCKED_HEAD if connection.dialect.name == "postgresql" else _HEAD
    prev = connection.execute(head).scalar() or GENESIS
    rows = []
    for item in pending:
        case = item.pop("case")
        item["case_id"] = case.id if case is not None else None
        digest = keyed_hash(keys.current, keys.current_id, prev, item)
        rows.append({**item, "prev_hash": prev, "hash": digest, "key_id": keys.current_id})
        prev = digest
    # A Core insert: the events are written, never read back in this unit of work, so the ORM's
    # unit of work (objects, identity map, flush) would only add cost. Ids follow the list order.
    connection.execute(insert(_TABLE), rows)


_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_LOCKED_HEAD = text("SELECT audit_chain_head()")  # pg_advisory_xact_lock(ADVISORY_LOCK), then the head
_HEAD = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)


@lru_cache(maxsize=8)
def _derived_keys(audit_key: str, secret_key: str, old_keys: str) -> AuditKeys:
    # Derived once per set of keys: every commit seals with them.
    current = audit_key or secret_key
    keys = [k.strip() for k in old_keys.split(",") if k.strip()]
    return AuditKeys(current_id=key_id(current), by_id={key_id(k): k.encode() for k in [*keys, current]})


def install(session_factory: sessionmaker[Session]) -> None:
    """Seal the queued events of this factory's sessions when they commit; a rollback drops what
    it undid (a savepoint only its own events: services/session_queues.py)."""
    event.listen(session_factory, "before_commit", _seal)
    session_queues.install(session_factory, _PENDING)


class ChainBreak(enum.StrEnum):
    """Why a check of the chain failed. The command line prints :data:`WHY` (English); the audit
    page words each reason in the reader's language (web/audit_pages.py) with the same facts."""

    LINK = "link"
    RECOMPUTED = "recomputed"
    UNKNOWN_KEY = "unknown_key"
    CONTENT = "content"
    CHECKPOINT_DIFFERS = "checkpoint_differs"
    HEAD_GONE = "head_gone"
    CHECKPOINT_UNREADABLE = "checkpoint_unreadable"
    CHECKPOINT_UNKNOWN_KEY = "checkpoint_unknown_key"
    CHECKPOINT_FORGED = "checkpoint_forged"


WHY = {
    ChainBreak.LINK: "its link to the previous event is broken (an event was removed, inserted or reordered)",
    ChainBreak.RECOMPUTED: "it has no key id after keyed events (the chain was recomputed without the key)",
    ChainBreak.UNKNOWN_KEY: "it names an unknown audit key {key_id} (set it in PERMITFLOW_AUDIT_OLD_KEYS)",
    ChainBreak.CONTENT: "its content does not match its hash (the event was changed or the chain recomputed)",
    ChainBreak.CHECKPOINT_DIFFERS: "it differs from the checkpoint of {at} (event {count} of the chain then, "
    "hash {hash}…): events were deleted, inserted or rewritten",
    ChainBreak.HEAD_GONE: "the checkpoint of {at} names event {head_id} as the chain's head "
    "({count} events), which is gone: the newest events were deleted",
    ChainBreak.CHECKPOINT_UNREADABLE: "checkpoint line {line} is not a checkpoint ({error})",
    ChainBreak.CHECKPOINT_UNKNOWN_KEY: "checkpoint line {line} names an unknown audit key {key_id}",
    ChainBreak.CHECKPOINT_FORGED: "checkpoint line {line} is not signed with the audit key "
    "(forged or edited)",
}


@dataclass(frozen=True)
class Problem:
    """A break of the chain: its reason and the facts its message names (event ids, key ids, times)."""

    reason: ChainBreak
    facts: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return WHY[self.reason].format(**self.facts)


@dataclass(frozen=True)
class ChainReport:
    """What verifying the chain found: the events checked and, when broken, where and why."""

    checked: int
    broken_id: int | None = None
    broken_action: str | None = None
    problem: Problem | None = None
    unkeyed: int = 0  # oldest events sealed before keyed hashes

    @property
    def intact(self) -> bool:
        return self.problem is None

    @property
    def why(self) -> str:
        return str(self.problem) if self.problem else ""


def _event_problem(keys: AuditKeys, prev: str, ev: AuditEvent, keyed_seen: bool) -> Problem | None:
    if ev.prev_hash != prev:
        return Problem(ChainBreak.LINK)
    if ev.key_id is None:
        if keyed_seen:
            return Problem(ChainBreak.RECOMPUTED)
        expected = content_hash(prev, ev)
    elif ev.key_id in keys.by_id:
        expected = keyed_hash(keys.by_id[ev.key_id], ev.key_id, prev, ev)
    else:
        return Problem(ChainBreak.UNKNOWN_KEY, {"key_id": ev.key_id})
    if not hmac.compare_digest(expected, ev.hash):
        return Problem(ChainBreak.CONTENT)
    return None


def walk_chain(session: Session, keys: AuditKeys, batch: int = 5000) -> Any:
    """Recompute the chain event by event; yields (event, position, problem) until the first problem."""
    prev, position, last_id, keyed_seen = GENESIS, 0, 0, False
    while True:
        query = select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        events = list(session.scalars(query))
        if not events:
            return
        for ev in events:
            problem = _event_problem(keys, prev, ev, keyed_seen)
            position += 1
            yield ev, position, problem
            if problem:
                return
            keyed_seen = keyed_seen or ev.key_id is not None
            prev, last_id = ev.hash, ev.id
        session.expunge_all()  # keep memory flat on long trails


def verify_chain(session: Session, checkpoints: list[Any] | None = None) -> ChainReport:
    """Recompute the chain with the audit keys and hold it against the signed checkpoints.

    A checkpoint (head id, head hash, count) that the chain no longer reaches means the newest
    events were deleted; one whose event has another hash or position means the chain was
    rewritten before it."""
    keys = audit_keys(platform.of(session).settings)
    pending = {cp.head_id: cp for cp in checkpoints or []}
    checked = unkeyed = 0
    for ev, position, problem in walk_chain(session, keys):
        if problem:
            return ChainReport(checked, ev.id, ev.action, problem, unkeyed)
        checkpoint = pending.pop(ev.id, None)
        if checkpoint is not None and (checkpoint.head_hash != ev.hash or checkpoint.count != position):
            facts = {"at": checkpoint.at, "count": checkpoint.count, "hash": checkpoint.head_hash[:12]}
            return ChainReport(
                checked, ev.id, ev.action, Problem(ChainBreak.CHECKPOINT_DIFFERS, facts), unkeyed
            )
        checked += 1
        unkeyed += ev.key_id is None
    if pending:
        lost = min(pending.values(), key=lambda cp: cp.head_id)
        facts = {"at": lost.at, "head_id": lost.head_id, "count": lost.count}
        return ChainReport(checked, lost.head_id, None, Problem(ChainBreak.HEAD_GONE, facts), unkeyed)
    return ChainReport(checked, unkeyed=unkeyed)


def chain_head(session: Session) -> tuple[int, int, str]:
    """The chain's length, newest event id and hash (0, 0, GENESIS when empty).

    One statement, so the three are of one moment: read apart, a commit between them (PostgreSQL
    lets each statement see what is committed when it starts) gave a checkpoint whose count is
    short of its head, and verify then called the genuine chain rewritten."""
    counted = select(func.count()).select_from(_TABLE.alias()).scalar_subquery()
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash, counted).order_by(AuditEvent.id.desc()).limit(1)
    ).one_or_none()
    return (row[2], row[0], row[1]) if row else (0, 0, GENESIS)


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
