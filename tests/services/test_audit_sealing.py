"""The audit chain on a small in-memory database (SQLite, two tables, no app): sealing at commit,
walking in batches, holding the chain against checkpoints, the head, and the trail's search.

Fast enough to run first against every mutant of app/services/audit.py (tests/mutation): each test
builds its few rows itself. The app-level tests (test_audit.py) show the same through the command
line and real requests.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, event, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from app import clock
from app.config import Settings
from app.models import AuditEvent, Case
from app.models.case import CaseStatus
from app.services import audit, platform
from app.services.audit import ChainBreak
from app.services.audit_checkpoints import Checkpoint

SETTINGS = Settings(secret_key="unit-secret", audit_key="unit-audit-key", audit_old_keys="")
KEYS = audit.audit_keys(SETTINGS)
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _platform() -> platform.Platform:
    # Sealing and verifying read only the settings of the session's platform.
    return platform.Platform(settings=SETTINGS, runtime=None, calendars=None)  # type: ignore[arg-type]


@pytest.fixture
def factory() -> Iterator[sessionmaker[Session]]:
    """Sessions on one in-memory database holding the audit and case tables, sealed as the app's."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    AuditEvent.metadata.create_all(engine, tables=[Case.__table__, AuditEvent.__table__])  # type: ignore[list-item]
    made = sessionmaker(engine, info={platform.INFO_KEY: _platform()}, expire_on_commit=False)
    audit.install(made)
    yield made
    clock.unfreeze()
    engine.dispose()


def _case(number: str) -> Case:
    return Case(
        number=number,
        query_code_hash="h",
        process_key="permit",
        process_version_id=1,
        status=CaseStatus.IN_PROGRESS,
        submitted_at=T0,
        data={},
        state="",
        state_format="json",
        updated_at=T0,
    )


def _seal_events(factory: sessionmaker[Session], count: int, start: int = 0) -> None:
    with factory() as session:
        for n in range(start, start + count):
            clock.freeze(T0 + timedelta(minutes=n))
            audit.record(session, f"test.event{n}", actor=None, detail={"n": n})
        session.commit()


def _events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


# Sealing.


def test_events_are_sealed_at_commit_as_a_keyed_chain_from_genesis(factory: sessionmaker[Session]) -> None:
    clock.freeze(T0)
    with factory() as session:
        case = _case("PF-1")
        session.add(case)  # not flushed yet: the seal flushes it for its id
        audit.record(session, "case.submitted", actor=None, case=case, detail={"a": 1})
        audit.record(session, "timer.fired", actor=None)
        session.commit()
        first, second = _events(session)
        assert first.case_id == case.id is not None and second.case_id is None
        assert first.prev_hash == audit.GENESIS and second.prev_hash == first.hash
        assert {first.key_id, second.key_id} == {KEYS.current_id}
        assert first.created_at == T0 and first.detail == {"a": 1} and first.actor == "system"
        for prev, ev in ((audit.GENESIS, first), (first.hash, second)):
            assert ev.hash == audit.keyed_hash(KEYS.current, KEYS.current_id, prev, ev)
        session.commit()  # a commit with nothing queued writes nothing
        audit.record(session, "timer.fired", actor=None)
        session.commit()  # the next commit goes on from the newest event
        third = _events(session)[-1]
        assert third.id == second.id + 1 and third.prev_hash == second.hash
    with factory() as session:
        report = audit.verify_chain(session)
        assert report.intact and report.checked == 3 and report.unkeyed == 0


class _Connection:
    """Records the statements a seal executes, answering an empty chain's head."""

    def __init__(self, dialect: str) -> None:
        self.dialect = SimpleNamespace(name=dialect)
        self.executed: list[Any] = []

    def execute(self, statement: Any, parameters: Any = None) -> Any:
        self.executed.append((statement, parameters))
        return SimpleNamespace(scalar=lambda: None)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_on_postgresql_the_chain_is_locked_before_its_head_is_read(dialect: str) -> None:
    """Two commits sealing at once would both chain to the same head (a fork): on PostgreSQL each
    seal reads the head through the function that takes the advisory lock first, in one round
    trip. SQLite has one writer anyway."""
    connection = _Connection(dialect)
    session: Any = SimpleNamespace(
        info={platform.INFO_KEY: _platform()}, flush=lambda: None, connection=lambda: connection
    )
    audit.record(session, "timer.fired", actor=None)
    audit._seal(session)
    statements = [statement for statement, _ in connection.executed]
    assert len(statements) == 2
    assert statements[0] is (audit._LOCKED_HEAD if dialect == "postgresql" else audit._HEAD)
    (row,) = connection.executed[-1][1]
    assert row["prev_hash"] == audit.GENESIS and row["action"] == "timer.fired"
    assert audit._PENDING not in session.info


def _migration(name: str) -> Any:
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_head_function_locks_the_chain_by_its_key() -> None:
    """The migration's function takes the lock the platform names (a migration is fixed once
    written: if the key ever moved, the two must be moved together)."""
    migration = _migration("c4e6a8b0d2f4_audit_chain_head_function")
    # By its schema and with a bigint: no look-alike in another schema of the search path is called.
    assert f"pg_catalog.pg_advisory_xact_lock({audit.ADVISORY_LOCK}::bigint)" in migration.HEAD_FUNCTION
    lock = migration.HEAD_FUNCTION.index("pg_advisory_xact_lock")
    assert lock < migration.HEAD_FUNCTION.index("SELECT hash INTO head FROM audit_event ORDER BY id DESC")
    assert "VOLATILE" in migration.HEAD_FUNCTION  # a fresh snapshot for the head's query
    assert str(audit._LOCKED_HEAD) == "SELECT audit_chain_head()"


# Walking the chain.


@pytest.mark.parametrize("reverse", [False, True])
def test_the_walk_reads_in_id_order_batch_by_batch_holding_one_batch(
    factory: sessionmaker[Session], reverse: bool
) -> None:
    """`reverse`: SQLite answers a query without ORDER BY backwards, so the walk's own order shows."""
    _seal_events(factory, 5)
    with factory() as session:
        session.execute(text(f"PRAGMA reverse_unordered_selects = {int(reverse)}"))
        ids = [ev.id for ev in _events(session)]
        session.expunge_all()
        seen = []
        for ev, position, problem in audit.walk_chain(session, KEYS, batch=2):
            assert problem is None
            seen.append((ev.id, position))
            if position == 3:
                # The first batch (events 1 and 2) is let go once the second is read.
                held = {e.id for e in session.identity_map.values() if isinstance(e, AuditEvent)}
                assert held == {ids[2], ids[3]}
        assert seen == [(ev_id, n) for n, ev_id in enumerate(ids, 1)]


def test_the_walk_stops_at_the_first_problem(factory: sessionmaker[Session]) -> None:
    _seal_events(factory, 4)
    with factory() as session:
        ids = [ev.id for ev in _events(session)]
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(actor="mallory"))
        walked = [(ev.id, position, problem) for ev, position, problem in audit.walk_chain(session, KEYS)]
        assert [(i, p) for i, p, _ in walked] == [(ids[0], 1), (ids[1], 2)]
        assert walked[0][2] is None and walked[1][2] == audit.Problem(ChainBreak.CONTENT)


def _resealed(session: Session, keyed: list[bool]) -> list[AuditEvent]:
    """The events chained again, each keyed or plain SHA-256 (no key id) as `keyed` says."""
    events, prev = _events(session), audit.GENESIS
    for ev, with_key in zip(events, keyed, strict=True):
        if with_key:
            digest, kid = audit.keyed_hash(KEYS.current, KEYS.current_id, prev, ev), KEYS.current_id
        else:
            digest, kid = audit.content_hash(prev, ev), None
        ev.prev_hash, ev.hash, ev.key_id = prev, digest, kid
        prev = digest
    session.commit()
    return events


def test_unkeyed_events_pass_only_before_the_first_keyed_one(factory: sessionmaker[Session]) -> None:
    """A recomputation without the key (plain SHA-256, no key id) after a keyed event is named."""
    _seal_events(factory, 4)
    with factory() as session:
        events = _resealed(session, [False, True, True, False])
        walked = [(position, problem) for _, position, problem in audit.walk_chain(session, KEYS)]
        assert walked == [(1, None), (2, None), (3, None), (4, audit.Problem(ChainBreak.RECOMPUTED))]
        report = audit.verify_chain(session)
        assert (report.checked, report.broken_id, report.unkeyed) == (3, events[3].id, 1)
        assert report.problem == audit.Problem(ChainBreak.RECOMPUTED)


def test_an_unkeyed_prefix_is_counted_and_verifies(factory: sessionmaker[Session]) -> None:
    _seal_events(factory, 3)
    with factory() as session:
        _resealed(session, [False, False, True])
        report = audit.verify_chain(session)
        assert report.intact and (report.checked, report.unkeyed, report.broken_id) == (3, 2, None)


# Checkpoints.


def _checkpoint(count: int, ev: AuditEvent | None = None, **changes: Any) -> Checkpoint:
    values: dict[str, Any] = {
        "count": count,
        "head_id": ev.id if ev else 0,
        "head_hash": ev.hash if ev else "",
    }
    values.update(at="2026-03-02T10:00:00", key_id=KEYS.current_id, **changes)
    return Checkpoint(**values)


def test_checkpoints_the_chain_still_reaches_hold(factory: sessionmaker[Session]) -> None:
    _seal_events(factory, 4)
    with factory() as session:
        events = _events(session)
        report = audit.verify_chain(session, [_checkpoint(2, events[1]), _checkpoint(4, events[3])])
        assert report.intact and report.checked == 4 and report.broken_id is None and report.problem is None


def test_a_checkpoint_differs_by_its_count_or_its_hash_alone(factory: sessionmaker[Session]) -> None:
    _seal_events(factory, 4)
    with factory() as session:
        events = _events(session)
        for wrong in (_checkpoint(3, events[1]), _checkpoint(2, events[1], head_hash="ab" * 32)):
            report = audit.verify_chain(session, [wrong])
            assert (report.checked, report.broken_id, report.broken_action) == (
                1,
                events[1].id,
                "test.event1",
            )
            assert report.problem is not None and report.problem.reason == ChainBreak.CHECKPOINT_DIFFERS
            assert report.problem.facts == {
                "at": wrong.at,
                "count": wrong.count,
                "hash": wrong.head_hash[:12],
            }
            assert report.unkeyed == 0


def test_a_checkpoint_whose_head_is_gone_names_the_oldest_lost_head(factory: sessionmaker[Session]) -> None:
    _seal_events(factory, 3)
    with factory() as session:
        events = _events(session)
        lost = [
            _checkpoint(5, events[2], head_id=events[2].id + 2),
            _checkpoint(4, events[2], head_id=events[2].id + 1),
        ]
        report = audit.verify_chain(session, lost)
        assert (report.checked, report.broken_id, report.broken_action) == (3, events[2].id + 1, None)
        assert report.problem == audit.Problem(
            ChainBreak.HEAD_GONE, {"at": lost[1].at, "head_id": events[2].id + 1, "count": 4}
        )
        assert "(4 events), which is gone" in report.why


def test_a_break_reports_what_came_before_it(factory: sessionmaker[Session]) -> None:
    _seal_events(factory, 3)
    with factory() as session:
        events = _events(session)
        session.execute(update(AuditEvent).where(AuditEvent.id == events[2].id).values(detail={"n": 9}))
        report = audit.verify_chain(session, [_checkpoint(3, events[2])])
        assert (report.checked, report.broken_id, report.broken_action) == (2, events[2].id, "test.event2")
        assert report.problem == audit.Problem(ChainBreak.CONTENT) and report.unkeyed == 0


# The head.


def test_the_head_is_the_count_and_the_newest_event(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        assert audit.chain_head(session) == (0, 0, audit.GENESIS)
    _seal_events(factory, 3)
    with factory() as session:
        newest = _events(session)[-1]
        assert audit.chain_head(session) == (3, newest.id, newest.hash)


def test_the_head_is_read_at_one_moment(tmp_path: Any) -> None:
    """A checkpoint signs (count, head): read in two statements, a commit landing between them (on
    PostgreSQL each statement sees what is committed when it starts) gave a count one batch short
    of its head, and the next verify called the genuine chain rewritten. Here another connection
    seals an event just before the head's reading runs its second statement, if it has one."""
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    writer_engine, reader_engine = create_engine(url), create_engine(url)
    AuditEvent.metadata.create_all(writer_engine, tables=[Case.__table__, AuditEvent.__table__])  # type: ignore[list-item]
    writers = sessionmaker(writer_engine, info={platform.INFO_KEY: _platform()})
    audit.install(writers)
    _seal_events(writers, 3)
    statements: list[str] = []

    @event.listens_for(reader_engine, "before_cursor_execute")
    def _commit_meanwhile(*args: Any) -> None:
        statements.append(args[2])
        if len(statements) == 2:
            _seal_events(writers, 1, start=3)

    try:
        with Session(reader_engine) as reader:
            count, head_id, head_hash = audit.chain_head(reader)
        with writers() as session:
            events = _events(session)
        assert len(events) in (3, 4)  # the fourth only when the head took a second statement
        assert (count, head_id, head_hash) == (count, events[count - 1].id, events[count - 1].hash)
    finally:
        clock.unfreeze()
        writer_engine.dispose()
        reader_engine.dispose()


# The trail's search.


def _stored(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Events written as they are (search reads no hash): ids in the order given."""
    ids = []
    for n, row in enumerate(rows):
        values = {"actor_id": None, "actor": "system", "action": "test.event", "detail": {}, "case_id": None}
        values.update(created_at=T0 + timedelta(minutes=n), prev_hash="p", hash=f"h{n}", key_id=None)
        values.update(row)
        ids.append(session.execute(insert(AuditEvent.__table__).values(**values)).inserted_primary_key[0])
    return ids


def _found(session: Session, **criteria: Any) -> tuple[list[tuple[int, str | None]], int]:
    rows, total = audit.search_events(session, **criteria)
    return [(ev.id, number) for ev, number in rows], total


def test_search_filters_by_case_action_actor_and_period(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        one, two = _case("PF-2026-000001"), _case("PF-2026-000002")
        session.add_all([one, two])
        session.flush()
        ids = _stored(
            session,
            [
                {"case_id": one.id, "action": "case.submitted", "actor": "acme"},
                {"case_id": one.id, "action": "task.completed", "actor": "clerk"},
                {"case_id": two.id, "action": "task_completed", "actor": "clerk"},
                {"action": "sso.login_failed", "actor": "clerk2"},
            ],
        )
        a, b, c, d = ids
        everything = [(d, None), (c, "PF-2026-000002"), (b, "PF-2026-000001"), (a, "PF-2026-000001")]
        assert _found(session) == (everything, 4)
        assert _found(session, case_id=one.id) == ([(b, "PF-2026-000001"), (a, "PF-2026-000001")], 2)
        assert _found(session, case_number="  pf-2026-000002 ") == ([(c, "PF-2026-000002")], 1)
        assert _found(session, case_number="") == (everything, 4)
        # A prefix of the code; `_` and `%` are characters, not wildcards.
        assert _found(session, action=" task. ") == ([(b, "PF-2026-000001")], 1)
        assert _found(session, action="task_") == ([(c, "PF-2026-000002")], 1)
        assert _found(session, action="%") == ([], 0)
        assert _found(session, actor=" clerk ") == ([(c, "PF-2026-000002"), (b, "PF-2026-000001")], 2)
        # From the start's instant on, up to the end's instant excluded.
        start, end = T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)
        assert _found(session, start=start, end=end) == ([(c, "PF-2026-000002"), (b, "PF-2026-000001")], 2)
        assert _found(session, case_id=one.id, actor="clerk2") == ([], 0)


def test_search_terms_are_cut_to_what_a_column_holds(factory: sessionmaker[Session]) -> None:
    """A case number has at most 40 characters, an action or actor 64: a longer term is searched
    as its first 40 or 64 characters."""
    with factory() as session:
        case = _case("N" * 40)
        session.add(case)
        session.flush()
        (only,) = _stored(session, [{"case_id": case.id, "action": "a" * 64, "actor": "b" * 64}])
        assert _found(session, case_number="n" * 40 + "X") == ([(only, "N" * 40)], 1)
        assert _found(session, action="a" * 64 + "X") == ([(only, "N" * 40)], 1)
        assert _found(session, actor="b" * 64 + "X") == ([(only, "N" * 40)], 1)


def test_search_pages_newest_first(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        ids = _stored(session, [{} for _ in range(205)])
        newest = ids[::-1]
        rows, total = audit.search_events(session)
        assert [ev.id for ev, _ in rows] == newest[:50] and total == 205
        for page, per_page, expected in (
            (2, 3, newest[3:6]),
            (3, 100, newest[200:]),
            (0, 2, newest[:2]),  # no page before the first
            (1, 0, newest[:1]),  # at least one event a page
            (1, 500, newest[:200]),  # at most 200
        ):
            rows, total = audit.search_events(session, page=page, per_page=per_page)
            assert ([ev.id for ev, _ in rows], total) == (expected, 205), (page, per_page)
