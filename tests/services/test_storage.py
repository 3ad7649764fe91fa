"""File storage: the database backend (chunked rows) and the S3 backend against a local S3
stand-in server (moto's server mode, started here), transactions, the old upload folder as a
fallback, and `flask storage migrate` between them."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app import edge
from app.models import StoredChunk
from app.services import storage
from tests import stored
from tests.conftest import ApiClient, make_app
from tests.helpers import submit_permit
from tests.s3_stand_in import S3StandIn, s3_stand_in

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
BIG = PDF + os.urandom(storage.CHUNK * 2 + 12345)  # three chunks


@pytest.fixture(scope="module")
def s3() -> Iterator[S3StandIn]:
    with s3_stand_in() as server:
        yield server


@pytest.fixture
def s3_app(app: Any, s3: S3StandIn, tmp_path: Path, redis_url: str) -> Iterator[Any]:
    """A second app on the same database whose files go to the S3 stand-in."""
    other = make_app(edge.of(app).settings.database_url, tmp_path / "s3-instance", redis_url, **s3.settings())
    yield other
    edge.of(other).database.dispose()


def _multipart(content: bytes) -> tuple[bytes, str]:
    """The form as bytes: werkzeug's test client would spool a large body to a temporary file
    it never closes."""
    boundary = "permitflow-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nconstruction_contract\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="contract.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _upload(api: Any, number: str, content: bytes) -> dict[str, Any]:
    body, content_type = _multipart(content)
    response = api.post(f"/api/v1/cases/{number}/attachments", "acme", data=body, content_type=content_type)
    assert response.status_code == 201, response.get_json()
    body = dict(response.get_json())
    response.close()
    return body


def _download(api: Any, body: dict[str, Any]) -> bytes:
    response = api.get(body["links"]["download"], "acme")
    assert response.status_code == 200
    data = bytes(response.get_data())
    response.close()
    return data


def test_the_database_backend_stores_a_file_in_chunks_and_streams_it_back(
    app: Any, api: Any, db: Any
) -> None:
    number = submit_permit(api)["number"]
    body = _upload(api, number, BIG)
    (key,) = [k for k in stored.keys(app) if k.endswith(body["id"])]
    sizes = list(
        db.scalars(
            select(func.length(StoredChunk.data)).where(StoredChunk.key == key).order_by(StoredChunk.seq)
        )
    )
    db.rollback()
    assert sizes[:2] == [storage.CHUNK, storage.CHUNK] and sum(sizes) == len(BIG) and len(sizes) == 3
    response = api.get(body["links"]["download"], "acme")
    assert response.is_streamed and response.headers["Content-Length"] == str(len(BIG))
    assert hashlib.sha256(response.get_data()).hexdigest() == body["sha256"]
    response.close()
    # Nothing stays under the instance folder: another machine would not see it.
    assert not (Path(edge.of(app).settings.instance_path) / "uploads").exists()


def test_a_write_rolled_back_leaves_no_file_in_either_backend(app: Any, s3_app: Any, s3: S3StandIn) -> None:
    for application in (app, s3_app):
        with pytest.raises(RuntimeError), edge.of(application).database.unit_of_work() as session:
            storage.of(session).write(session, "9999/rolled-back", io.BytesIO(PDF))
            raise RuntimeError("the request failed after the write")
        assert stored.content(application, "9999/rolled-back") is None, edge.of(application).settings.storage
    assert "9999/rolled-back" not in s3.objects()


def test_the_s3_backend_keeps_files_in_the_bucket(app: Any, s3_app: Any, s3: S3StandIn) -> None:
    s3_api = ApiClient(s3_app)
    number = submit_permit(s3_api)["number"]
    body = _upload(s3_api, number, BIG)
    assert any(k.endswith("/" + body["id"]) for k in s3.objects())
    assert not any(k.endswith(body["id"]) for k in stored.keys(app))  # not in the database
    assert _download(s3_api, body) == BIG
    made = s3_app.test_cli_runner().invoke(args=["storage", "check"])
    assert made.exit_code == 0, made.output


def test_storage_migrate_moves_files_both_ways_and_the_old_upload_folder_in(
    app: Any, api: Any, s3_app: Any, s3: S3StandIn, tmp_path: Path, redis_url: str
) -> None:
    number = submit_permit(api)["number"]
    first = _upload(api, number, PDF)
    # A file an earlier version wrote under instance/uploads: read from there, then moved in.
    second = _upload(api, number, PDF + b"% legacy\n")
    (legacy_key,) = [k for k in stored.keys(app) if k.endswith(second["id"])]
    legacy_path = Path(edge.of(app).settings.instance_path) / "uploads" / legacy_key
    legacy_path.parent.mkdir(parents=True, exist_ok=True)
    legacy_path.write_bytes(PDF + b"% legacy\n")
    stored.lose(app, legacy_key)
    assert _download(api, second) == PDF + b"% legacy\n"  # the fallback

    moved = app.test_cli_runner().invoke(args=["storage", "migrate", "--to", "database"])
    assert moved.exit_code == 0, moved.output
    assert "moved 1 file(s) into database (1 from the old upload folder)" in moved.output
    assert not legacy_path.exists() and stored.content(app, legacy_key) == PDF + b"% legacy\n"

    to_s3 = s3_app.test_cli_runner().invoke(args=["storage", "migrate", "--to", "s3"])
    assert to_s3.exit_code == 0, to_s3.output
    assert stored.keys(app) == [] and legacy_key in s3.objects()
    s3_api = ApiClient(s3_app)
    assert _download(s3_api, first) == PDF and _download(s3_api, second) == PDF + b"% legacy\n"

    # Back: a database-storage app that also knows the bucket moves the bucket's files in.
    both = make_app(
        edge.of(app).settings.database_url,
        tmp_path / "both",
        redis_url,
        **{**s3.settings(), "storage": "database"},
    )
    back = both.test_cli_runner().invoke(args=["storage", "migrate", "--to", "database"])
    edge.of(both).database.dispose()
    assert back.exit_code == 0, back.output
    assert legacy_key not in s3.objects() and _download(api, first) == PDF
