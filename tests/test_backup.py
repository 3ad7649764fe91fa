"""`flask backup create|restore` (issue 15, finding 11): a backup restored into a fresh database and
a fresh upload folder, on SQLite and PostgreSQL (and across them), verifies its audit chain and every
attachment; a restore into a database that is not empty, or of a damaged file, keeps nothing."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from app import edge
from app.cli import alembic_config
from app.models import Attachment, AuditEvent, Case, User
from tests.conftest import PG_ADMIN_DSN, _pg_url, make_app
from tests.helpers import inbox_task, submit_permit

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _upload(api: Any, number: str, content: bytes) -> dict[str, Any]:
    data = {"kind": "construction_contract", "file": (io.BytesIO(content), "合同.pdf", "application/pdf")}
    response = api.post(
        f"/api/v1/cases/{number}/attachments", "acme", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _walk(api: Any) -> tuple[str, list[dict[str, Any]]]:
    number = submit_permit(api, "备份测试项目")["number"]
    task = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk")
    return number, [_upload(api, number, PDF), _upload(api, number, PDF + b"% second\n")]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, app: Any, tmp_path: Path, redis_url: str) -> Iterator[Any]:
    """A second deployment with an empty, migrated database of either kind and an empty instance
    folder, with the same keys as ``app``."""
    settings = edge.of(app).settings
    name = None
    if request.param == "postgresql":
        name = f"pf_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    other = make_app(url, tmp_path / "restored-instance", redis_url, secret_key=settings.secret_key)
    from alembic import command

    with other.app_context():
        command.upgrade(alembic_config(edge.of(other).database), "head")
    yield other
    edge.of(other).database.dispose()
    if name:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _count(app: Any, model: Any) -> int:
    with edge.of(app).database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_backup_restores_into_a_fresh_database_and_storage(
    app: Any, api: Any, fresh: Any, tmp_path: Path
) -> None:
    number, uploaded = _walk(api)
    target = tmp_path / "permitflow-backup.tar.gz"
    made = app.test_cli_runner().invoke(args=["backup", "create", str(target)])
    assert made.exit_code == 0, made.output
    assert "file(s)" in made.output and "audit chain of" in made.output
    restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "every attachment matches its SHA-256" in restored.output
    for model in (Case, User, Attachment, AuditEvent):
        assert _count(fresh, model) == _count(app, model), model
    verified = fresh.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    # The restored deployment serves the case and its files, and carries on (ids continue).
    from tests.conftest import ApiClient

    other_api = ApiClient(fresh)
    case = other_api.get(f"/api/v1/cases/{number}", "acme").get_json()
    assert case["number"] == number
    for item in uploaded:
        got = other_api.get(item["links"]["download"], "acme")
        assert got.status_code == 200 and got.get_data().startswith(b"%PDF")
        got.close()
    assert submit_permit(other_api, "恢复后新项目")["number"] != number


def test_a_restore_into_a_database_that_is_not_empty_is_refused(app: Any, api: Any, tmp_path: Path) -> None:
    _walk(api)
    target = tmp_path / "b.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(target)]).exit_code == 0
    before = _count(app, AuditEvent)
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(target)])
    assert result.exit_code == 1 and "is not empty" in result.output
    assert _count(app, AuditEvent) == before
    again = app.test_cli_runner().invoke(args=["backup", "create", str(target)])
    assert again.exit_code == 1 and "exists already" in again.output


def test_a_damaged_backup_keeps_nothing(app: Any, api: Any, fresh: Any, tmp_path: Path) -> None:
    _walk(api)
    target, damaged = tmp_path / "b.tar.gz", tmp_path / "damaged.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(target)]).exit_code == 0
    with tarfile.open(target, "r:gz") as source, tarfile.open(damaged, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("files/"):
                data = data.replace(b"%PDF", b"%PDX")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(damaged)])
    assert result.exit_code == 1 and "nothing kept" in result.output
    assert "does not match its SHA-256" in result.output
    assert _count(fresh, Case) == 0 and _count(fresh, AuditEvent) == 0
    not_a_backup = tmp_path / "x.tar.gz"
    with tarfile.open(not_a_backup, "w:gz"):
        pass
    refused = fresh.test_cli_runner().invoke(args=["backup", "restore", str(not_a_backup)])
    assert refused.exit_code == 1 and "not a PermitFlow backup" in refused.output
