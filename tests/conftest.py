"""Shared fixtures: a real database per run (SQLite and PostgreSQL), a Redis database number per
run, the app, API clients, and the clock.

Every test that takes ``app`` runs once per database backend. The backends can be narrowed with
``PERMITFLOW_TEST_DATABASES=sqlite`` (or ``postgresql``); CI runs both.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from sqlalchemy import text

from app import clock, create_app, edge
from app.cli import alembic_config
from app.db import Database, write_intent
from tests.ci_guard import pytest_runtest_makereport  # noqa: F401  (the hook: no skip passes CI)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_DSN = os.environ.get("PERMITFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("PERMITFLOW_TEST_REDIS", "redis://127.0.0.1:6379")
BACKENDS = [b for b in os.environ.get("PERMITFLOW_TEST_DATABASES", "sqlite,postgresql").split(",") if b]
RUN_ID = uuid.uuid4().hex[:10]
PASSWORD = "demo-pass"
CASE_TABLES = [
    "webhook_delivery",
    "webhook",
    "message_receipt",
    "integration_client",
    "message_wait",
    "stored_chunk",
    "stored_object",
    "case_comment",
    "saved_filter",
    "service_rating",
    "substitution",
    "draft_attachment",
    "draft",
    "credit_record",
    "certificate",
    "attachment",
    "audit_event",
    "notification",
    "calendar_override",
    "runtime_setting",
    "timer",
    "human_task",
    "personal_value",
    "case_search",
    "case",
]


def _pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this run's own, dropped at the end."""
    name = f"pf_test_{RUN_ID}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CLAIM_KEY = "permitflow:test-run"


def _claim_is_stale(value: bytes | None) -> bool:
    """A claim names its process (`run:host:pid`); one whose process on this host is gone (killed
    before its teardown, e.g. a forked mutation-testing child) frees its number."""
    parts = (value or b"").decode(errors="replace").split(":")
    if len(parts) != 3 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database number that no other test run is using (claimed with SET NX)."""
    claim = f"{RUN_ID}:{socket.gethostname()}:{os.getpid()}"
    probe = redis.Redis.from_url(f"{REDIS_BASE}/0")
    try:
        databases = int(probe.config_get("databases").get("databases", 16))
    except redis.ResponseError:  # CONFIG may be disabled: the default
        databases = 16
    finally:
        probe.close()
    for number in range(1, databases):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}")
        if _claim_is_stale(client.get(CLAIM_KEY)):
            client.flushdb()
        if client.set(CLAIM_KEY, claim, nx=True, ex=3 * 3600):
            client.close()
            break
        client.close()
    else:  # pragma: no cover - every number taken
        pytest.fail("no free Redis database number for this test run")
    url = f"{REDIS_BASE}/{number}"
    yield url
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


# Mutation testing (tests/mutation/run.py) runs a fresh pytest per mutant: the migrated, seeded
# SQLite database of the first run is kept in this file and copied by the next ones, so that a
# mutant costs its tests, not the set-up. Never set in `make test`.
SQLITE_TEMPLATE = "PERMITFLOW_TEST_SQLITE_TEMPLATE"


def _database_url(backend: str, request: pytest.FixtureRequest, tmp_path_factory: Any) -> str:
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_database"))
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'permitflow.db'}"


def make_app(database_url: str, instance: Path, redis: str, **extra: Any) -> Any:
    return create_app(
        {
            "database_url": database_url,
            "instance_path": str(instance),
            "redis_url": redis,
            "secret_key": "test-secret-key",
            "testing": True,
            # The webhook receivers tests start listen on this machine (services/webhook_urls.py).
            "webhook_allow_hosts": "127.0.0.1",
            **extra,
        }
    )


@pytest.fixture(scope="session", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: Any, redis_url: str) -> Iterator[Any]:
    """The app on a migrated database with the demo groups, users and processes deployed."""
    backend = request.param
    url = _database_url(backend, request, tmp_path_factory)
    application = make_app(url, tmp_path_factory.mktemp(f"instance-{backend}"), redis_url)
    application.config["DB_BACKEND"] = backend
    from alembic import command

    database: Database = edge.of(application).database
    template = os.environ.get(SQLITE_TEMPLATE, "") if backend == "sqlite" else ""
    if template and Path(template).exists():
        database.dispose()
        shutil.copyfile(template, url.removeprefix("sqlite:///"))
    else:
        with application.app_context():
            command.upgrade(alembic_config(database), "head")
            from app.services import demo

            with database.unit_of_work() as session:
                demo.load(session, password=PASSWORD, with_cases=False, echo=lambda _m: None)
        if template:
            database.dispose()
            partial = f"{template}.{os.getpid()}"
            shutil.copyfile(url.removeprefix("sqlite:///"), partial)
            os.replace(partial, template)
    yield application
    database.dispose()


@pytest.fixture(autouse=True)
def _clean_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with no cases (users, groups and process versions stay)."""
    yield
    clock.unfreeze()
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    _forget_attempts(application)
    database: Database = edge.of(application).database
    database.session.remove()
    with database.engine.begin() as conn:
        # DELETE, children first, on both backends: the tables hold a test's few rows, and a
        # PostgreSQL TRUNCATE of 19 tables (new files for each, fsync'd) cost about 1 s a test
        # against 0.1 s; the ids then restart as TRUNCATE ... RESTART IDENTITY made them.
        for table in CASE_TABLES:
            conn.execute(text(f'DELETE FROM "{table}"'))
        if database.is_sqlite:
            # Case ids start again at 1 on SQLite: no grams of a gone case may stay behind.
            conn.execute(text("INSERT INTO case_search_fts(case_search_fts) VALUES ('delete-all')"))
        else:
            _restart_sequences(conn)
    # What the app read of the run-time settings would outlive the rows.
    edge.of(application).platform.stored_settings.forget()


# The sequences of the case tables' id columns (serial or identity), restarted after each test.
_CASE_SEQUENCES = (
    "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
    "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname = ANY(:tables)"
)


def _restart_sequences(conn: Any) -> None:
    sequences = conn.execute(text(_CASE_SEQUENCES), {"tables": CASE_TABLES}).scalars().all()
    if sequences:
        conn.execute(text("SELECT " + ", ".join(f"setval('\"{q}\"', 1, false)" for q in sequences)))


def _forget_attempts(application: Any) -> None:
    """Rate-limit and login counters are per address, and every test client is 127.0.0.1: start afresh."""
    client = redis.Redis.from_url(edge.of(application).settings.redis_url)
    keys = [key for pattern in ("rate:*", "login-*") for key in client.scan_iter(pattern)]
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def db(app: Any) -> Iterator[Any]:
    """A session for arranging and checking data directly (commits are the test's to make).

    Like every writer on SQLite it begins IMMEDIATE, so a test must end each transaction
    (commit or rollback) before the app it drives can write.
    """
    database: Database = edge.of(app).database
    token = write_intent.set(True)
    session = database.session_factory()
    yield session
    write_intent.reset(token)
    session.rollback()
    session.close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


class ApiClient:
    """The HTTP API as a given user sees it.

    Tokens are minted with the auth service (the token endpoint has its own tests) and live
    long, so tests that move the clock do not expire them.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            from sqlalchemy import select

            from app.models import User
            from app.services.auth import issue_token

            database: Database = edge.of(self.app).database
            with database.unit_of_work(write=False) as session:
                user = session.scalar(select(User).where(User.username == username))
                assert user is not None, username
                token, _ = issue_token(user, self.app.config["SECRET_KEY"], 10 * 365 * 86400)
            self._tokens[username] = token
        return self._tokens[username]

    def headers(self, username: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"} if username else {}

    def get(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers={**self.headers(user), **kw.pop("headers", {})}, **kw)

    def post(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.client.post(path, headers={**self.headers(user), **kw.pop("headers", {})}, **kw)

    def put(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.client.put(path, headers={**self.headers(user), **kw.pop("headers", {})}, **kw)

    def delete(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.client.delete(path, headers={**self.headers(user), **kw.pop("headers", {})}, **kw)


@pytest.fixture
def api(app: Any) -> ApiClient:
    return ApiClient(app)


@pytest.fixture
def backend(app: Any) -> str:
    return str(app.config["DB_BACKEND"])
