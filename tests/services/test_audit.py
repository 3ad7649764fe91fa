"""The audit trail is a hash chain: any edit or deletion of a stored event is found."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from app import edge
from app.models import AuditEvent
from app.services import audit
from tests.helpers import inbox_task, submit_permit


def _walk(api: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk")
    api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})


def test_an_intact_trail_verifies(app: Any, api: Any) -> None:
    _walk(api)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output


def test_an_edited_event_is_named(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    victim = db.scalar(select(AuditEvent).where(AuditEvent.action == "task.claimed"))
    db.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(actor="someone_else"))
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit event {victim.id} (task.claimed" in result.output
    assert "content does not match" in result.output


def test_a_deleted_event_breaks_the_link(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    first = db.scalar(select(func.min(AuditEvent.id)))
    second = db.scalar(select(AuditEvent.id).where(AuditEvent.id > first).order_by(AuditEvent.id).limit(1))
    db.execute(delete(AuditEvent).where(AuditEvent.id == second))
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "link to the previous event is broken" in result.output


# The keyed chain and its checkpoints (issue 15, finding 5).


def _verify(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _checkpoint(app: Any) -> Any:
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def checkpoints(app: Any) -> Any:
    """The app's checkpoint file, emptied before and after each test (other tests write events)."""
    path = Path(edge.of(app).settings.audit_checkpoints)
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def _events(db: Any) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_events_carry_the_key_id_and_an_hmac_not_a_plain_hash(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    settings = edge.of(app).settings
    keys = audit.audit_keys(settings)
    events = _events(db)
    assert events and {ev.key_id for ev in events} == {keys.current_id}
    last = events[-1]
    assert last.hash != audit.content_hash(last.prev_hash, last)
    assert last.hash == audit.keyed_hash(keys.current, keys.current_id, last.prev_hash, last)
    assert keys.current not in {ev.key_id.encode() for ev in events}  # the id is not the key


def test_a_full_recomputation_without_the_key_is_found(app: Any, api: Any, db: Any, checkpoints: Any) -> None:
    """The attack of the red-team run: edit one event, recompute every later hash (plain SHA-256
    as before, passing as events from before keyed hashes, or an HMAC with a guessed key). The
    checkpoint outside the database is what the unkeyed rewrite cannot match."""
    _walk(api)
    _checkpoint(app)
    events = _events(db)
    victim = events[len(events) // 2]
    for guess in (None, b"guessed-key"):
        prev = audit.GENESIS
        for ev in events:
            actor = "someone_else" if ev.id == victim.id else ev.actor
            fields = {c: getattr(ev, c) for c in ("case_id", "actor_id", "action", "detail", "created_at")}
            fields["actor"] = actor
            kid = None if guess is None else "0" * 16
            digest = (
                audit.content_hash(prev, fields)
                if guess is None
                else audit.keyed_hash(guess, "0" * 16, prev, fields)
            )
            db.execute(
                update(AuditEvent)
                .where(AuditEvent.id == ev.id)
                .values(actor=actor, prev_hash=prev, hash=digest, key_id=kid)
            )
            prev = digest
        db.commit()
        result = _verify(app)
        assert result.exit_code == 1, result.output
        expected = "differs from the checkpoint" if guess is None else f"audit event {events[0].id} "
        assert expected in result.output


def test_deleting_the_newest_events_is_found_by_the_checkpoint(
    app: Any, api: Any, db: Any, checkpoints: Any
) -> None:
    _walk(api)
    printed = _checkpoint(app)
    head = _events(db)[-1]
    assert f'"head_id": {head.id}' in printed.output and str(checkpoints) in printed.output
    assert _verify(app).exit_code == 0
    db.execute(delete(AuditEvent).where(AuditEvent.id >= head.id - 1))
    db.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"names event {head.id} as the chain's head" in result.output
    assert "the newest events were deleted" in result.output


def test_a_deleted_and_recomputed_middle_differs_from_the_checkpoint(
    app: Any, api: Any, db: Any, checkpoints: Any
) -> None:
    """Even with the key (an insider), dropping an event and resealing the rest changes the count the
    checkpoint signed."""
    _walk(api)
    _checkpoint(app)
    settings = edge.of(app).settings
    keys = audit.audit_keys(settings)
    events = _events(db)
    db.execute(delete(AuditEvent).where(AuditEvent.id == events[1].id))
    prev = audit.GENESIS
    for ev in [events[0], *events[2:]]:
        digest = audit.keyed_hash(keys.current, keys.current_id, prev, ev)
        db.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(prev_hash=prev, hash=digest))
        prev = digest
    db.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"audit event {events[-1].id} " in result.output and "differs from the checkpoint" in result.output


def test_an_inserted_event_is_named(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    events = _events(db)
    table = AuditEvent.__table__
    forged = {c: getattr(events[-1], c) for c in ("case_id", "actor_id", "actor", "action", "detail")}
    forged.update(created_at=events[-1].created_at, prev_hash=events[-1].hash, hash="f" * 64)
    forged["key_id"] = events[-1].key_id
    db.execute(table.insert().values(**forged))
    db.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "content does not match its hash" in result.output


def test_two_events_swapped_are_found(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    a, b = _events(db)[1:3]
    columns = ("case_id", "actor_id", "actor", "action", "detail", "created_at", "prev_hash", "hash")
    values_a = {c: getattr(a, c) for c in columns}
    values_b = {c: getattr(b, c) for c in columns}
    db.execute(update(AuditEvent).where(AuditEvent.id == a.id).values(hash="x" * 64))
    db.execute(update(AuditEvent).where(AuditEvent.id == b.id).values(**values_a))
    db.execute(update(AuditEvent).where(AuditEvent.id == a.id).values(**values_b))
    db.commit()
    result = _verify(app)
    assert result.exit_code == 1 and f"audit event {a.id} " in result.output
    assert "link to the previous event is broken" in result.output


def test_a_forged_checkpoint_is_refused(app: Any, api: Any, checkpoints: Any) -> None:
    _walk(api)
    _checkpoint(app)
    line = json.loads(checkpoints.read_text().splitlines()[0])
    line["count"] += 5
    checkpoints.write_text(json.dumps(line) + "\n")
    result = _verify(app)
    assert result.exit_code == 1 and "checkpoint line 1 is not signed with the audit key" in result.output


def test_an_old_key_still_verifies_after_rotation(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    settings = edge.of(app).settings
    old = audit.audit_keys(settings)
    rotated = replace(
        settings, audit_key="the-new-audit-key", audit_old_keys=settings.audit_key or settings.secret_key
    )
    new = audit.audit_keys(rotated)
    assert new.current_id != old.current_id and old.current_id in new.by_id
    report = audit.walk_chain(db, new)
    assert all(not problem for _, _, problem in report)
    stranger = audit.audit_keys(replace(settings, audit_key="another-key", audit_old_keys=""))
    problems = [problem for _, _, problem in audit.walk_chain(db, stranger) if problem]
    assert problems and "unknown audit key" in str(problems[0])


def test_the_unkeyed_oldest_events_verify_as_a_prefix_only(app: Any, api: Any, db: Any) -> None:
    """Events sealed before keyed hashes (plain SHA-256, key id NULL) still verify at the start."""
    _walk(api)
    events = _events(db)
    prev = audit.GENESIS
    for ev in events[:2]:
        digest = audit.content_hash(prev, ev)
        db.execute(
            update(AuditEvent).where(AuditEvent.id == ev.id).values(prev_hash=prev, hash=digest, key_id=None)
        )
        prev = digest
    keys = audit.audit_keys(edge.of(app).settings)
    for ev in events[2:]:
        digest = audit.keyed_hash(keys.current, keys.current_id, prev, ev)
        db.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(prev_hash=prev, hash=digest))
        prev = digest
    db.commit()
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "2 sealed before keyed hashes" in result.output


def test_the_report_counts_what_it_checked_before_the_break(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    events = _events(db)
    db.execute(update(AuditEvent).where(AuditEvent.id == events[2].id).values(actor="x"))
    db.commit()
    report = audit.verify_chain(db)
    assert (report.checked, report.broken_id, report.broken_action) == (2, events[2].id, events[2].action)
    assert report.unkeyed == 0 and not report.intact
    db.rollback()


def test_a_rewritten_head_is_named_with_the_checkpoints_hash_prefix(app: Any, api: Any, db: Any) -> None:
    from app.services.audit_checkpoints import Checkpoint

    _walk(api)
    events = _events(db)
    head = events[-1]
    wrong = Checkpoint(len(events) + 1, head.id, "ab" * 32, "then", "k")
    report = audit.verify_chain(db, [wrong])
    assert report.broken_id == head.id and report.checked == len(events) - 1 and report.unkeyed == 0
    assert f"hash {'ab' * 6}…)" in report.why and f"event {len(events) + 1} of the chain then" in report.why
    older = Checkpoint(2, 10**9, "cd" * 32, "older", "k")
    newer = Checkpoint(3, 10**9 + 5, "ef" * 32, "newer", "k")
    lost = audit.verify_chain(db, [newer, older])
    assert lost.broken_id == 10**9 and "checkpoint of older" in lost.why and lost.checked == len(events)
    assert lost.unkeyed == 0 and lost.broken_action is None
    db.rollback()


def test_unkeyed_events_are_counted_in_every_report(app: Any, api: Any, db: Any) -> None:
    from app.services.audit_checkpoints import Checkpoint

    _walk(api)
    events = _events(db)
    first = events[0]
    digest = audit.content_hash(audit.GENESIS, first)
    db.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(hash=digest, key_id=None))
    keys = audit.audit_keys(edge.of(app).settings)
    prev = digest
    for ev in events[1:]:
        prev_digest = audit.keyed_hash(keys.current, keys.current_id, prev, ev)
        db.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(prev_hash=prev, hash=prev_digest))
        prev = prev_digest
    db.commit()
    assert audit.verify_chain(db).unkeyed == 1
    gone = audit.verify_chain(db, [Checkpoint(9, 10**9, "0" * 64, "t", "k")])
    assert gone.unkeyed == 1 and not gone.intact
    bad = audit.verify_chain(db, [Checkpoint(9, events[-1].id, "0" * 64, "t", "k")])
    assert bad.unkeyed == 1 and bad.broken_id == events[-1].id
    db.execute(update(AuditEvent).where(AuditEvent.id == events[-1].id).values(actor="x"))
    db.commit()
    broken = audit.verify_chain(db)
    assert broken.unkeyed == 1 and broken.broken_id == events[-1].id
    db.rollback()


def test_the_chain_head_is_the_count_and_the_newest_event(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    events = _events(db)
    assert audit.chain_head(db) == (len(events), events[-1].id, events[-1].hash)
    db.execute(delete(AuditEvent))
    assert audit.chain_head(db) == (0, 0, audit.GENESIS)
    db.rollback()


def test_events_of_a_rolled_back_transaction_are_dropped(app: Any, db: Any) -> None:
    from app.models import User

    admin = db.scalar(select(User).where(User.username == "admin"))
    audit.record(db, "test.rolled_back", actor=admin)
    db.rollback()
    audit.record(db, "test.kept", actor=admin)
    db.commit()
    actions = set(db.scalars(select(AuditEvent.action)))
    assert "test.kept" in actions and "test.rolled_back" not in actions


def test_commits_sealing_at_once_never_fork_the_chain(app: Any) -> None:
    """Writers on several connections commit at the same moments: every event chains to the one
    committed before it (no two share a predecessor) and the chain verifies. On PostgreSQL this
    holds only because the head is read after the chain's lock is held, with a fresh snapshot."""
    import threading

    from app.db import Database

    database: Database = edge.of(app).database
    writers, commits = 4, 8
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            for k in range(commits):
                with database.unit_of_work() as session:
                    audit.record(session, "test.concurrent", actor=None, detail={"writer": n, "k": k})
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    with database.unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert sum(e.action == "test.concurrent" for e in events) == writers * commits
        assert len({e.prev_hash for e in events}) == len(events)  # a fork: two share a head
        report = audit.verify_chain(session)
    assert report.intact, report.why
