"""A batch of timer firings locks and reads all its cases in a few statements and writes their rows
together (issue 22): a further case in a batch costs about one statement, not six; a case that
another transaction holds is left to fire alone after the batch, still exactly once; SLA warnings
of a batch write their notifications in one statement and still queue each one's e-mail."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from sqlalchemy import event, select, text

from app import clock, edge, timer_sweep
from app.models import Notification, Timer, TimerKind
from app.services import cases
from tests.ci_guard import not_applicable
from tests.helpers import user_named
from tests.jobs.test_timer_batches import (
    DUE,
    _fired_events,
    _start_cases,
    queue,  # noqa: F401 - the real rq queue, emptied
)
from tests.jobs.test_worker import clear_rq


@contextmanager
def _statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends meanwhile (an executemany counts once)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = edge.of(app).database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.usefixtures("queue")
def test_a_further_case_in_a_batch_costs_about_one_statement(app: Any, db: Any, tmp_path: Path) -> None:
    case_ids = _start_cases(app, db, tmp_path, 10)
    database = edge.of(app).database
    with app.app_context(), clock.travel_to(DUE + timedelta(seconds=2)):
        with _statements(app) as two:
            assert timer_sweep.fire_cases(database, case_ids[:2]) == 2
        with _statements(app) as ten:
            assert timer_sweep.fire_cases(database, case_ids[2:]) == 8
    assert _fired_events(db, case_ids) == dict.fromkeys(case_ids, 1)
    # Eight cases instead of two, one transaction each time: no more reads (the case rows are
    # locked, their tasks, timers, index rows and applicants read once for the batch)...
    assert len(_reads(ten)) == len(_reads(two)), _reads(ten)
    assert sum(1 for s in ten if s.lstrip().startswith("SELECT") and "FROM timer" in s) == 1, ten
    if database.engine.dialect.name == "postgresql":
        # ...and each further case costs one statement at most, its case row's own UPDATE (checked
        # against its version); each kind of row else is written once for the batch. (SQLite's
        # driver inserts rows whose ids come back one statement each: no round trips there.)
        assert len(ten) - len(two) <= 6, ten


def _reads(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().startswith("SELECT")]


def test_a_case_held_by_another_transaction_fires_after_the_batch_alone(
    app: Any, db: Any, tmp_path: Path
) -> None:
    database = edge.of(app).database
    if database.engine.dialect.name != "postgresql":
        not_applicable("SQLite serialises writers: no other transaction holds a case meanwhile")
    case_ids = _start_cases(app, db, tmp_path, 4)
    held = case_ids[1]
    fired: list[int] = []

    def fire() -> None:
        with app.app_context(), clock.travel_to(DUE + timedelta(seconds=2)):
            fired.append(timer_sweep.fire_cases(database, case_ids))

    thread = threading.Thread(target=fire)
    with database.engine.connect() as holder:
        holder.execute(text('SELECT id FROM "case" WHERE id = :id FOR UPDATE'), {"id": held})
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while _unfired(db, case_ids) != [held]:  # the batch did not wait for the held case
                assert time.monotonic() < deadline, _unfired(db, case_ids)
                time.sleep(0.05)
            assert thread.is_alive()  # ...which is fired alone, waiting for its lock
        finally:
            holder.rollback()
            thread.join(timeout=30)
    assert fired == [4]
    assert _fired_events(db, case_ids) == dict.fromkeys(case_ids, 1)


def _unfired(db: Any, case_ids: list[int]) -> list[int]:
    rows = db.scalars(
        select(Timer.case_id).where(
            Timer.case_id.in_(case_ids), Timer.kind == TimerKind.BPMN, Timer.fired_at.is_(None)
        )
    ).all()
    db.rollback()
    return sorted(rows)


@pytest.mark.usefixtures("queue")
def test_sla_warnings_of_a_batch_write_their_notifications_in_one_statement(
    app: Any, db: Any, redis_url: str
) -> None:
    from app.services.demo import permit_application

    start = datetime(2031, 3, 3, 1, 0, tzinfo=UTC)  # a Monday
    with clock.travel_to(start):
        ids = [
            cases.start_case(
                db, user_named(db, "acme"), "construction_permit", permit_application(f"警{i}")
            ).case.id
            for i in range(4)
        ]
        db.commit()
    warn_at = db.scalar(
        select(Timer.due_at).where(Timer.case_id == ids[0], Timer.kind == TimerKind.SLA_WARNING)
    )
    clerk = user_named(db, "clerk")
    address, clerk.email = clerk.email, "clerk@example.test"  # the clerk's reminders are e-mailed
    db.commit()
    try:
        _fire_warnings(app, db, redis_url, ids, warn_at)
    finally:
        user_named(db, "clerk").email = address
        db.commit()


def _fire_warnings(app: Any, db: Any, redis_url: str, ids: list[int], warn_at: datetime) -> None:
    clear_rq(redis_url)  # only the firing's jobs below
    database = edge.of(app).database
    with app.app_context(), clock.travel_to(warn_at + timedelta(seconds=1)), _statements(app) as sent:
        assert timer_sweep.fire_cases(database, ids) == 4
    inserts = [s for s in sent if s.lstrip().startswith("INSERT INTO notification")]
    if database.engine.dialect.name == "postgresql":  # SQLite's driver: one row a statement
        assert len(inserts) == 1, inserts
    task_reads = [s for s in sent if s.lstrip().startswith("SELECT") and "FROM human_task" in s]
    assert len(task_reads) == 1, task_reads  # the batch's open tasks, with its lock
    notes = db.execute(
        select(Notification.id, Notification.email_state).where(
            Notification.kind == "reminder", Notification.case_id.in_(ids)
        )
    ).all()
    db.rollback()
    assert len(notes) == 4 * 2  # the window group's two members, for each case
    connection = redis.Redis.from_url(redis_url)
    queued = set(Queue(edge.of(app).settings.queue_name, connection=connection).get_job_ids())
    connection.close()
    emailed = {f"email-{n.id}" for n in notes if n.email_state.value == "pending"}
    assert len(emailed) == 4 and emailed <= queued, (emailed, queued)  # each named by its row's id
