"""The complainant's rating stored as ``case.rating``: set when the step stores the case data,
and filled by its migration for cases rated before the column existed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import text

from app import edge
from app.cli import alembic_config
from app.models import Case
from app.services import durations
from tests.conftest import PG_ADMIN_DSN, _pg_url, make_app
from tests.helpers import complete_at
from tests.services.test_complaints import _rate, _route, _start, at

BEFORE = "2a5d206d4814"  # the revision before the column


def test_rating_stored_when_the_complainant_rates(db: Any) -> None:
    case = _start(db)
    _route(db, case, "construction")
    complete_at(
        db, case, "Task_Handle", "permit_officer", {"decision": "answered", "answer": "已处理"}, at(18, 10)
    )
    assert db.get(Case, case.id).rating is None  # answered, not rated yet
    _rate(db, case, {"rating": "satisfied"}, at(19, 9))
    db.expire_all()
    stored = db.get(Case, case.id)
    assert stored.data["rating"] == stored.rating == "satisfied"


@pytest.mark.parametrize("data", [{}, {"rating": "good"}, {"rating": None}, {"rating": ["satisfied"]}])
def test_only_counted_ratings_are_stored(data: dict[str, Any]) -> None:
    assert durations.rating_of(data) is None
    assert durations.rating_of({**data, "rating": "satisfied"}) == "satisfied"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rating.db'}"
        return
    name = f"pf_rating_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_fills_the_rating_from_the_data(empty_database: str, tmp_path: Any, redis_url: str) -> None:
    application = make_app(empty_database, tmp_path / "instance", redis_url)
    database = edge.of(application).database
    config = alembic_config(database)
    with application.app_context():
        command.upgrade(config, BEFORE)
        moment = datetime(2026, 11, 16, 1, 0)
        with database.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO process_version (id, key, hash, name, name_en, bpmn_xml, files, meta,"
                    " spec_json, is_current, deployed_at) VALUES (1, 'complaint_handling', 'h', 'n', 'n',"
                    " '', '{}', '{}', '{}', true, :at)"
                ),
                {"at": moment},
            )
            for number, data in enumerate(
                ['{"rating": "satisfied"}', '{"rating": "not_satisfied"}', '{"rating": "meh"}', "{}"]
            ):
                conn.execute(
                    text(
                        'INSERT INTO "case" (number, query_code_hash, process_key, process_version_id,'
                        " status, submitted_at, clock_pauses, data, state, state_format, lock_version,"
                        " updated_at) VALUES (:number, 'x', 'complaint_handling', 1, 'closed', :at, '[]',"
                        " :data, '{}', 'test', 1, :at)"
                    ),
                    {"number": f"TS-{number}", "at": moment, "data": data},
                )
        command.upgrade(config, "head")
        with database.engine.connect() as conn:
            rows = conn.execute(text('SELECT number, rating FROM "case" ORDER BY number')).all()
    database.dispose()
    assert [tuple(row) for row in rows] == [
        ("TS-0", "satisfied"),
        ("TS-1", "not_satisfied"),
        ("TS-2", None),
        ("TS-3", None),
    ]
