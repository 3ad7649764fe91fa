"""Pooled PostgreSQL connections the server ended are replaced when taken, without a ping per
request (app/db.py, issue 22): a restart or an administrator's termination costs no request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text

from app.db import make_engine
from tests.ci_guard import not_applicable
from tests.conftest import PG_ADMIN_DSN


@pytest.fixture
def pg_engine(backend: str, pg_database: str) -> Iterator[Any]:
    if backend != "postgresql":
        not_applicable("SQLite has no server to end a connection")
    engine = make_engine(pg_database, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


def _pid(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(*pids: int) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_connection_the_server_ended_is_replaced_when_taken_from_the_pool(pg_engine: Any) -> None:
    first = _pid(pg_engine)
    _terminate(first)
    second = _pid(pg_engine)  # without the check on checkout: "terminating connection …"
    assert second != first


def test_every_ended_connection_of_the_pool_is_replaced(pg_engine: Any) -> None:
    with pg_engine.connect() as one, pg_engine.connect() as two:
        pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)]
    _terminate(*pids)
    with pg_engine.connect() as one, pg_engine.connect() as two:
        fresh = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)]
    assert not set(fresh) & set(pids)


def test_a_healthy_connection_is_kept_and_no_ping_is_sent(pg_engine: Any) -> None:
    sent: list[str] = []
    event.listen(pg_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    pings: list[object] = []
    original = pg_engine.dialect.do_ping
    pg_engine.dialect.do_ping = lambda connection: pings.append(connection) or original(connection)
    try:
        assert _pid(pg_engine) == _pid(pg_engine) == _pid(pg_engine)
    finally:
        pg_engine.dialect.do_ping = original
    assert pings == [] and sent == ["SELECT pg_backend_pid()"] * 3
