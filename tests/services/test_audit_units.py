"""The audit chain's pure parts without a database: what the keyed hash covers, which keys verify,
and how each kind of break is named (pins what mutation testing changes in app/services/audit.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from app.config import Settings
from app.models import AuditEvent
from app.services import audit

KEY, KID = b"k" * 32, "0123456789abcdef"
FIELDS: dict[str, Any] = {
    "case_id": 7,
    "actor_id": 3,
    "actor": "clerk",
    "action": "task.completed",
    "detail": {"task": "Acceptance check", "outcome": "accept"},
    "created_at": datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
}


@pytest.mark.parametrize(
    ("field", "other"),
    [
        ("case_id", 8),
        ("actor_id", 4),
        ("actor", "clerk2"),
        ("action", "task.claimed"),
        ("detail", {"task": "Acceptance check", "outcome": "reject"}),
        ("created_at", datetime(2026, 3, 2, 9, 0, 0, 123457, tzinfo=UTC)),
    ],
)
def test_every_field_is_in_both_hashes(field: str, other: Any) -> None:
    changed = {**FIELDS, field: other}
    assert audit.keyed_hash(KEY, KID, "p" * 64, FIELDS) != audit.keyed_hash(KEY, KID, "p" * 64, changed)
    assert audit.content_hash("p" * 64, FIELDS) != audit.content_hash("p" * 64, changed)


def test_the_keyed_hash_covers_key_key_id_and_previous_hash() -> None:
    base = audit.keyed_hash(KEY, KID, "p" * 64, FIELDS)
    assert len(base) == 64 and base == audit.keyed_hash(KEY, KID, "p" * 64, dict(FIELDS))
    assert base != audit.keyed_hash(b"x" * 32, KID, "p" * 64, FIELDS)
    assert base != audit.keyed_hash(KEY, "fedcba9876543210", "p" * 64, FIELDS)
    assert base != audit.keyed_hash(KEY, KID, "q" * 64, FIELDS)
    assert base != audit.content_hash("p" * 64, FIELDS)
    assert audit.content_hash("p" * 64, FIELDS) != audit.content_hash("q" * 64, FIELDS)


def test_an_event_row_hashes_like_its_fields() -> None:
    row = AuditEvent(**FIELDS)
    assert audit.keyed_hash(KEY, KID, audit.GENESIS, row) == audit.keyed_hash(KEY, KID, audit.GENESIS, FIELDS)
    assert audit.content_hash(audit.GENESIS, row) == audit.content_hash(audit.GENESIS, FIELDS)
    assert audit.GENESIS == "0" * 64


def test_the_keys_are_the_audit_key_or_the_secret_key_and_the_old_ones() -> None:
    settings = Settings(secret_key="secret", audit_key="", audit_old_keys="")
    keys = audit.audit_keys(settings)
    assert keys.current == b"secret" and keys.current_id == audit.key_id("secret")
    assert list(keys.by_id) == [audit.key_id("secret")]
    own = audit.audit_keys(replace(settings, audit_key="audit", audit_old_keys=" old1 , ,old2"))
    assert own.current == b"audit"
    assert set(own.by_id) == {audit.key_id(k) for k in ("audit", "old1", "old2")}
    assert own.by_id[audit.key_id("old1")] == b"old1"
    assert len(audit.key_id("audit")) == 16 and audit.key_id("audit") != audit.key_id("audit2")


def _chain(keys: audit.AuditKeys, count: int, unkeyed: int = 0) -> list[AuditEvent]:
    events, prev = [], audit.GENESIS
    for n in range(count):
        fields = {**FIELDS, "actor_id": n}
        if n < unkeyed:
            digest, kid = audit.content_hash(prev, fields), None
        else:
            digest, kid = audit.keyed_hash(keys.current, keys.current_id, prev, fields), keys.current_id
        events.append(AuditEvent(id=n + 1, prev_hash=prev, hash=digest, key_id=kid, **fields))
        prev = digest
    return events


def _problems(keys: audit.AuditKeys, events: list[AuditEvent]) -> list[str]:
    found, prev, keyed = [], audit.GENESIS, False
    for ev in events:
        problem = audit._event_problem(keys, prev, ev, keyed)
        found.append(str(problem) if problem else "")
        keyed = keyed or ev.key_id is not None
        prev = ev.hash
    return found


KEYS = audit.AuditKeys(current_id=KID, by_id={KID: KEY})


def test_an_intact_chain_has_no_problem_even_with_unkeyed_oldest_events() -> None:
    assert _problems(KEYS, _chain(KEYS, 4)) == [""] * 4
    assert _problems(KEYS, _chain(KEYS, 4, unkeyed=2)) == [""] * 4


def test_each_break_is_named() -> None:
    events = _chain(KEYS, 3)
    events[1].actor = "someone_else"
    assert _problems(KEYS, events)[1].startswith("its content does not match its hash")
    events = _chain(KEYS, 3)
    assert _problems(KEYS, [events[0], events[2]])[1].startswith("its link to the previous event is broken")
    events = _chain(KEYS, 3)
    events[2].key_id = "ffffffffffffffff"
    assert "unknown audit key ffffffffffffffff" in _problems(KEYS, events)[2]
    events = _chain(KEYS, 3)
    events[2].key_id = None
    events[2].hash = audit.content_hash(events[1].hash, events[2])
    assert "no key id after keyed events" in _problems(KEYS, events)[2]


def test_a_plain_hash_under_a_key_id_does_not_pass() -> None:
    events = _chain(KEYS, 2)
    events[1].hash = audit.content_hash(events[0].hash, events[1])
    assert _problems(KEYS, events)[1].startswith("its content does not match")


def test_the_report_is_intact_only_without_a_reason() -> None:
    assert audit.ChainReport(3).intact
    broken = audit.ChainReport(3, broken_id=4, problem=audit.Problem(audit.ChainBreak.CONTENT))
    assert not broken.intact and broken.why.startswith("its content does not match its hash")
    assert audit.ChainReport(3).why == ""
    assert audit.ChainReport(2, unkeyed=1).unkeyed == 1


def test_admins_and_auditors_read_the_whole_trail() -> None:
    from app.models import User

    assert audit.can_audit(User(roles=["auditor"])) and audit.can_audit(User(roles=["admin"]))
    assert not audit.can_audit(User(roles=["analyst"])) and not audit.can_audit(None)


def test_the_sealed_form_of_an_event_is_fixed() -> None:
    """Chains already in databases verify only while an event is serialised and hashed exactly as
    when it was sealed: field names, key order, separators, text kept as UTF-8, times to the µs."""
    body = audit._body({**FIELDS, "actor": "审核员"})
    assert body == (
        '{"action":"task.completed","actor":"审核员","actor_id":3,"case_id":7,'
        '"created_at":"2026-03-02T09:00:00.123456+00:00",'
        '"detail":{"outcome":"accept","task":"Acceptance check"}}'
    )
    assert '"created_at":null' in audit._body({**FIELDS, "created_at": None})
    # Always six digits of microseconds, also on a whole second (isoformat() alone would drop them).
    whole_second = FIELDS["created_at"].replace(microsecond=0)
    assert '"created_at":"2026-03-02T09:00:00.000000+00:00"' in audit._body(
        {**FIELDS, "created_at": whole_second}
    )
    assert audit.keyed_hash(KEY, KID, audit.GENESIS, FIELDS) == (
        "3aea0d48c588b4c8c87061abdad880444b4da7b59a4e323a646afa734131b3fd"
    )
    assert audit.content_hash(audit.GENESIS, FIELDS) == (
        "347917c1fe4923d57df599395f07f474c91d7523ea5eb3c6434c47ff5dc909f9"
    )
    assert audit.key_id("audit") == "e53f91d223c3a55f"  # the id stored in every keyed event


def test_a_recorded_event_names_its_actor_or_who_acted_for_nobody() -> None:
    from sqlalchemy.orm import Session

    from app.models import User

    session = Session()
    clerk = User(id=3, username="clerk")
    audit.record(session, "task.completed", actor=clerk, detail={"k": 1})
    audit.record(session, "sso.login_failed", actor=None, actor_label="sso")
    audit.record(session, "timer.fired", actor=None)
    first, second, third = session.info["audit_pending"]
    assert (first["actor_id"], first["actor"], first["detail"]) == (3, "clerk", {"k": 1})
    assert (second["actor_id"], second["actor"], second["detail"]) == (None, "sso", {})
    assert (third["actor_id"], third["actor"]) == (None, "system")
    assert first["action"] == "task.completed" and first["case"] is None


def test_a_rollback_forgets_the_events_it_undid() -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(create_engine("sqlite://"))
    audit.install(factory)
    with factory() as session:
        session.execute(text("SELECT 1"))
        audit.record(session, "timer.fired", actor=None)
        savepoint = session.begin_nested()
        audit.record(session, "task.completed", actor=None)
        savepoint.rollback()
        assert [e["action"] for e in session.info["audit_pending"]] == ["timer.fired"]
        session.rollback()
        assert "audit_pending" not in session.info
