"""Database engine and sessions.

One session per request, job or CLI command; services ``flush()`` and the edge commits once.
SQLite serialises writers: a unit of work that may write starts with ``BEGIN IMMEDIATE`` so two
writers never read the same state and then race to save it (PostgreSQL uses row locks instead).
"""

from __future__ import annotations

import select
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

# Whether the current unit of work may write. Read-only requests (GET) set it to False so
# that SQLite readers do not queue behind writers.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


FOLD_FUNCTION = "pf_fold"


def _fold(text: str | None) -> str | None:
    return None if text is None else unicodedata.normalize("NFKC", text).casefold()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings PermitFlow relies on."""
    if url.startswith("sqlite"):
        # A pooled connection stays open: closing the last one would checkpoint the WAL and
        # sync the disk on every request (measured: about 10 ms per write).
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=5,
            max_overflow=10,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # psycopg's socket tells whether the server ended a pooled connection (see below); another
    # driver keeps the ping.
    psycopg_driver = make_url(url).get_driver_name() == "psycopg"
    if not psycopg_driver:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if psycopg_driver and not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _discard_if_closed_by_server)
    return engine


def _discard_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection the server closed (a restart, a fail-over, an idle timeout)
    is left for a new one when it is taken from the pool, as `pool_pre_ping` would, without its
    round trip (`SELECT 1`, 0.7 ms of each request here; issue 22): an idle connection is sent
    nothing unless the server is ending it (its FATAL message, then end of file), so a socket
    with something to read, or none, is discarded; the pool then opens a fresh connection. A
    connection cut without a word (a network partition) is found by its first statement's
    error, as it would be after a ping of a second earlier."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection was closed")
    try:
        socket = dbapi_connection.pgconn.socket
        readable, _, failed = select.select([socket], [], [socket], 0)
    except (OSError, ValueError, psycopg.Error) as error:
        raise DisconnectionError(f"the connection's socket is unusable: {error}") from error
    if readable or failed:
        raise DisconnectionError("the server ended the connection")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # The search's folding of text (services/search_text.fold), for checking a phrase on the
        # rows the index narrowed a query to (services/search.py).
        dbapi_connection.create_function(FOLD_FUNCTION, 1, _fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


class Database:
    """Holds the engine and the scoped session of one app.

    ``info`` is given to every session it opens (``Session.info``): the app binds its platform
    there, so services reach it through the session they are handed.
    """

    def __init__(self, url: str, info: dict[str, Any] | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False, info=info or {})
        self.session: scoped_session[Session] = scoped_session(self.session_factory)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits at the end, or rolls back on any exception."""
        token = write_intent.set(write)
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            write_intent.reset(token)

    def dispose(self) -> None:
        self.session.remove()
        self.engine.dispose()
