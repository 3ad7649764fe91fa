"""Uploads: checked by content and size, stored under a random name, downloaded by the right people.

Every refusal is a 4xx in the documented shape, stores no file and changes nothing of the case.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from tests import stored
from tests.helpers import change_settings, snapshot, submit_permit

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == status and body["message"]
    return body


def upload(
    api: Any, number: str, content: bytes, name: str = "contract.pdf", user: str | None = "acme", **form: str
) -> Any:
    data = {"kind": "construction_contract", **form, "file": (io.BytesIO(content), name, "application/pdf")}
    return api.post(
        f"/api/v1/cases/{number}/attachments", user, data=data, content_type="multipart/form-data"
    )


def download(api: Any, url: str, user: str | None) -> Any:
    """GET a file and close the response (its file handle), keeping status, headers and data."""
    response = api.get(url, user)
    response.get_data()
    response.close()
    return response


def stored_files(app: Any) -> list[str]:
    return stored.keys(app)


@pytest.mark.parametrize(
    ("content", "mime"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_the_applicant_uploads_and_downloads_a_file(api: Any, app: Any, content: bytes, mime: str) -> None:
    number = submit_permit(api)["number"]
    response = upload(api, number, content, name="合同.bin")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == mime and body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest() and body["filename"] == "合同.bin"
    assert len(body["id"]) == 32
    for user in ("acme", "clerk", "fire_officer"):  # the applicant and staff
        got = download(api, body["links"]["download"], user)
        assert got.status_code == 200 and got.data == content
        assert got.headers["Content-Type"].startswith(mime)
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    _error(api.get(body["links"]["download"], "buildco"), 404)  # another applicant
    _error(api.get(body["links"]["download"]), 401)  # nobody
    _error(api.get(f"/api/v1/cases/{number}/attachments/{'0' * 32}", "acme"), 404)


@pytest.mark.parametrize(
    ("content", "name"), [(ELF, "permit.pdf"), (PE, "scan.png"), (b"#!/bin/sh\nrm -rf /\n", "a.jpg")]
)
def test_a_disguised_executable_is_refused_and_nothing_is_stored(
    api: Any, app: Any, db: Any, content: bytes, name: str
) -> None:
    number = submit_permit(api)["number"]
    before, files = snapshot(db, number), stored_files(app)
    body = _error(upload(api, number, content, name=name), 415)
    assert "executable" in body["message"] and body["errors"] == {
        "file": ["is an executable program or script"]
    }
    assert snapshot(db, number) == before and stored_files(app) == files


def test_other_types_are_refused_by_their_content_not_their_name(api: Any, app: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    before, files = snapshot(db, number), stored_files(app)
    body = _error(upload(api, number, b"just text, named like a PDF", name="x.pdf"), 415)
    assert "PDF, JPEG and PNG" in body["message"]
    body = _error(upload(api, number, b"PK\x03\x04" + b"\x00" * 100, name="x.pdf"), 415)
    assert "application/zip" in body["message"]
    _error(upload(api, number, b"", name="empty.pdf"), 422)
    _error(upload(api, number, PDF, kind="../etc"), 422)
    assert snapshot(db, number) == before and stored_files(app) == files


def test_an_oversized_upload_is_refused_with_a_json_error(
    api: Any, app: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = submit_permit(api)["number"]
    before, files = snapshot(db, number), stored_files(app)
    # The whole request over Flask's MAX_CONTENT_LENGTH: werkzeug's 413, in the API's error shape.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    body = _error(upload(api, number, PDF + b"\x00" * 8192), 413)
    assert "large" in body["message"].lower()
    # A file over the upload limit inside a request that fits: the service's own 413.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    change_settings(monkeypatch, app, max_upload_bytes=1000)
    body = _error(upload(api, number, PDF + b"\x00" * 2000), 413)
    assert "larger than the limit of 1000 bytes" in body["message"]
    assert snapshot(db, number) == before and stored_files(app) == files


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/cron.d/evil.pdf", "evil.pdf"),
        # Multipart quoting eats the backslashes before the app sees the name: safe either way.
        ("..\\..\\windows\\system32\\x.pdf", None),
        ("..", "file"),
        ("normal\x00name.pdf", "normalname.pdf"),
    ],
)
def test_paths_in_file_names_never_become_paths(api: Any, app: Any, name: str, shown: str | None) -> None:
    number = submit_permit(api)["number"]
    response = upload(api, number, PDF, name=name)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["filename"] == shown or shown is None
    assert not ({"/", "\\", "\x00"} & set(body["filename"])) and not body["filename"].startswith(".")
    mine = [k for k in stored_files(app) if k.rsplit("/", 1)[-1] == body["id"]]
    assert len(mine) == 1 and mine[0].count("/") == 1 and stored.content(app, mine[0]) == PDF
    got = download(api, body["links"]["download"], "acme")
    assert got.status_code == 200 and "/" not in got.headers["Content-Disposition"]


def test_only_the_applicant_of_the_case_and_staff_may_upload(api: Any, app: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    before, files = snapshot(db, number), stored_files(app)
    body = _error(upload(api, number, PDF, user="buildco"), 404)
    assert body["message"] == "no case with this number and query code"
    _error(upload(api, number, PDF, user=None), 401)
    _error(upload(api, "CP20260101NOSUCH", PDF), 404)
    assert snapshot(db, number) == before and stored_files(app) == files
    assert upload(api, number, PDF, user="clerk").status_code == 201  # staff may add documents


def test_answers_may_name_only_files_of_their_own_case(api: Any, db: Any) -> None:
    from tests.helpers import inbox_task

    mine, other = submit_permit(api, "本案")["number"], submit_permit(api, "他案")["number"]
    task = inbox_task(api, "clerk", mine)
    done = api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        "clerk",
        json={"data": {"decision": "correct", "correction_items": ["施工合同缺少签章页"]}},
    )
    assert done.status_code == 200
    foreign = upload(api, other, PDF).get_json()["id"]
    own = upload(api, mine, PDF).get_json()["id"]
    correction = api.get(f"/api/v1/cases/{mine}", "acme").get_json()["requests"][0]["task_id"]
    # Reviewers see the case's files with the task.
    detail = api.get(f"/api/v1/tasks/{task['id']}", "clerk").get_json()
    assert [a["id"] for a in detail["attachments"]] == [own]
    before = snapshot(db, mine)
    body = _error(
        api.post(
            f"/api/v1/tasks/{correction}/complete",
            "acme",
            json={"data": {"response": "已补充", "attachments": {"construction_contract": foreign}}},
        ),
        422,
    )
    assert body["errors"] == {
        "attachments.construction_contract": ["is not the id of a file uploaded to this case"]
    }
    assert snapshot(db, mine) == before
    ok = api.post(
        f"/api/v1/tasks/{correction}/complete",
        "acme",
        json={"data": {"response": "已补充", "attachments": {"construction_contract": own}}},
    )
    assert ok.status_code == 200, ok.get_json()


def test_only_those_who_may_change_the_case_upload_readers_read(api: Any, app: Any, db: Any) -> None:
    """Issue 15, finding 8: the auditor and the analyst read only, as does staff without an open task
    on the case; the applicant, staff of the group with its open task and admins add files."""
    number = submit_permit(api)["number"]
    first = upload(api, number, PDF).get_json()  # the applicant
    before, files = snapshot(db, number), stored_files(app)
    for reader in ("auditor", "analyst", "planner", "inspector"):
        body = _error(upload(api, number, PDF, user=reader), 403)
        assert "open task" in body["message"], reader
    assert snapshot(db, number) == before and stored_files(app) == files
    for reader in ("auditor", "analyst"):
        assert download(api, first["links"]["download"], reader).status_code == 200
    assert upload(api, number, PDF, user="clerk").status_code == 201  # the window has its open task
    assert upload(api, number, PDF, user="admin").status_code == 201
