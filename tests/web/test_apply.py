"""Applying in the browser: the draft kept on the server, typed attachments, the completeness check
that lists every missing item at once, upload refusals that change nothing, and submission through
the same service as the API."""

from __future__ import annotations

import io
import re
import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.models import Attachment, AuditEvent, Case, Draft, DraftAttachment
from app.services.demo import permit_application
from tests import stored as stored_files
from tests.ci_guard import not_applicable
from tests.helpers import change_settings

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40
REQUIRED = [
    "land_use_certificate",
    "planning_permit",
    "drawing_review_certificate",
    "construction_contract",
    "safety_plan",
]


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _form(name: str = "滨江花园三期") -> dict[str, str]:
    """The permit application as the page's inputs (dotted names for nested fields)."""
    data = permit_application(name)
    form: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            form.update({f"{key}.{k}": str(v) for k, v in value.items()})
        else:
            form[key] = str(value)
    return form


def open_draft(browser: Any) -> str:
    response = browser.post("/apply/construction_permit", page="/my/cases")
    assert response.status_code == 302, _text(response)
    location = response.headers["Location"]
    assert re.fullmatch(r"/apply/drafts/[0-9a-f]{32}", location)
    return location


def post(browser: Any, page: str, form: dict[str, Any], action: str, **files: Any) -> Any:
    data = {**form, "action": action}
    for kind, (content, name) in files.items():
        data[f"file.{kind}"] = (io.BytesIO(content), name)
    return browser.post(page, data, page=page, content_type="multipart/form-data")


def upload(browser: Any, page: str, kind: str, content: bytes = PDF, name: str = "x.pdf") -> Any:
    return browser.post(
        page + "/files",
        {"kind": kind, "file": (io.BytesIO(content), name)},
        page=page,
        content_type="multipart/form-data",
    )


def stored(db: Any) -> dict[str, Any]:
    db.expire_all()
    drafts = list(db.scalars(select(Draft)))
    result = {
        "drafts": [(d.uid, d.data) for d in drafts],
        "files": sorted(db.scalars(select(DraftAttachment.uid))),
        "cases": db.scalar(select(func.count()).select_from(Case)),
    }
    db.rollback()
    return result


def test_my_cases_links_to_the_application_and_the_draft_keeps_what_was_typed(db: Any, pages: Any) -> None:
    acme = pages("acme")
    html = _text(acme.get("/my/cases"))
    assert 'action="/apply/construction_permit"' in html and "/complaints/new" in html
    # A GET (a link from anywhere) creates nothing: without a draft it leads to My cases.
    response = acme.get("/apply/construction_permit")
    assert response.status_code == 302 and response.headers["Location"] == "/my/cases#h-start"
    assert stored(db)["drafts"] == []
    # Staff-only and called processes are not offered.
    assert "/apply/rectification_order" not in html and "/apply/parallel_review" not in html
    page = open_draft(acme)
    assert open_draft(acme) == page  # the same draft, resumed
    assert acme.get("/apply/construction_permit").headers["Location"] == page
    html = _text(acme.get(page))
    assert "Construction permit" in html and 'name="project_name"' in html
    assert 'name="file.planning_permit"' in html and "data-upload-url" in html
    assert 'name="attachments.planning_permit"' not in html  # ids are never typed by hand

    form = {"project_name": "草稿项目", "builder.name": "北湖城投"}
    response = post(acme, page, form, "save", construction_contract=(PDF, "合同.pdf"))
    assert response.status_code == 302
    html = _text(acme.get(page))
    assert 'value="草稿项目"' in html and "合同.pdf" in html and "Draft saved" in html
    # Resumed later from My cases, in another browser of the same applicant.
    other = pages("acme")
    listing = _text(other.get("/my/cases"))
    assert "草稿项目" in listing and page in listing
    assert 'value="草稿项目"' in _text(other.get(page))
    # Nobody else sees or changes it.
    buildco = pages("buildco")
    before = stored(db)
    assert buildco.get(page).status_code == 404
    assert post(buildco, page, {"project_name": "别人的"}, "save").status_code == 404
    assert upload(buildco, page, "planning_permit").status_code == 404
    assert stored(db) == before
    clerk = pages("clerk")
    assert clerk.post("/apply/construction_permit", page="/inbox").status_code == 302  # staff: to the inbox


def test_the_check_lists_every_missing_field_and_document_at_once(db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    form = _form()
    del form["project_code"]
    form["builder.credit_code"] = "91350100M000100Y44"  # wrong check character
    for kind in REQUIRED[:-1]:
        assert upload(acme, page, kind).status_code == 201
    response = post(acme, page, form, "check")
    assert response.status_code == 422
    html = _text(response)
    summary = html[html.index('id="form-errors"') : html.index("</ul>", html.index('id="form-errors"'))]
    assert "3 items are missing or not valid" in summary
    assert "Project code: This field is required." in summary
    assert "Unified social credit code: This is not a valid unified social credit code." in summary
    assert "Safety measures plan: This document is missing: upload it." in summary
    assert "Construction contract" not in summary  # uploaded, so not listed
    assert "Proof of funds" not in summary  # optional
    # What was typed is saved even though it is incomplete.
    assert stored(db)["drafts"][0][1]["builder"]["credit_code"] == "91350100M000100Y44"
    assert stored(db)["cases"] == 0

    form["project_code"] = "2026-350100-47-01-123456"
    form["builder.credit_code"] = "91350100M000100Y43"
    response = post(acme, page, form, "check", safety_plan=(PNG, "安全方案.png"))
    assert response.status_code == 200 and "Everything needed is filled in" in _text(response)


def test_submitting_starts_the_case_with_the_drafts_files(api: Any, db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    for kind in REQUIRED:
        assert upload(acme, page, kind, name=f"{kind}.pdf").status_code == 201
    # A second upload of a kind replaces the first.
    replaced = upload(acme, page, "planning_permit", PNG, "规划许可证.png").get_json()
    assert replaced["filename"] == "规划许可证.png" and replaced["kind"] == "planning_permit"
    response = post(acme, page, _form("东湖科创园"), "submit")
    assert response.status_code == 302, _text(response)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    html = _text(acme.get(response.headers["Location"]))
    assert "Your application was submitted" in html and number in html and "shown only this once" in html
    code = re.search(r"query code ([A-Z2-9]{8})", html).group(1)
    # The case is the API's: its data names the files, which are the case's now.
    view = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    refs = view["data"]["attachments"]
    assert sorted(refs) == sorted(REQUIRED) and refs["planning_permit"] == replaced["id"]
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    files = {a.kind: a for a in db.scalars(select(Attachment).where(Attachment.case_id == case.id))}
    assert {k: a.uid for k, a in files.items()} == refs
    assert db.scalar(select(func.count()).select_from(Draft)) == 0
    assert db.scalar(select(func.count()).select_from(DraftAttachment)) == 0
    added = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "attachment.added", AuditEvent.case_id == case.id)
    )
    assert added == len(REQUIRED)
    db.rollback()
    download = acme.get(f"/track/{number}/attachments/{refs['planning_permit']}")
    assert download.status_code == 200 and download.data == PNG
    download.close()
    # The query code shown once works for anyone.
    assert api.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": code}).status_code == 200
    # The draft is gone: its page is a 404 and My cases opens a new one.
    assert acme.get(page).status_code == 404
    assert open_draft(acme) != page


def test_upload_refusals_say_why_and_change_nothing(
    db: Any, pages: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    assert (
        post(acme, page, {"project_name": "原来的"}, "save", planning_permit=(PDF, "ok.pdf")).status_code
        == 302
    )
    before = stored(db)

    exe = upload(acme, page, "construction_contract", b"MZ\x90\0" + b"\0" * 200, "合同.pdf")
    assert exe.status_code == 415 and exe.get_json()["code"] == "unsupported_type"
    assert "Programs and scripts are refused" in exe.get_json()["message"]
    # Without JavaScript: the same refusal next to the document, and nothing of the post is kept.
    refused = post(
        acme, page, {"project_name": "改了"}, "save", construction_contract=(b"\x7fELF" + b"\0" * 64, "a.pdf")
    )
    assert refused.status_code == 422
    html = _text(refused)
    assert (
        "Programs and scripts are refused" in html and 'value="改了"' in html
    )  # typed text kept on the page
    text = upload(acme, page, "construction_contract", b"just text, not a pdf", "合同.pdf")
    assert text.status_code == 415 and "Only PDF, JPEG and PNG" in text.get_json()["message"]

    # A file over the upload limit (the service's 413), and a whole request over Flask's limit.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    change_settings(monkeypatch, app, max_upload_bytes=1000)
    big = upload(acme, page, "construction_contract", PDF + b"\0" * 2000, "big.pdf")
    assert big.status_code == 413 and "too large" in big.get_json()["message"]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    whole = post(
        acme, page, {"project_name": "大"}, "save", construction_contract=(PDF + b"\0" * 8192, "b.pdf")
    )
    assert whole.status_code == 413
    monkeypatch.undo()

    traversal = upload(acme, page, "construction_contract", PDF, "../../../etc/passwd.pdf")
    assert traversal.status_code == 201 and traversal.get_json()["filename"] == "passwd.pdf"
    uid = traversal.get_json()["id"]
    draft_uid = db.scalar(select(Draft.uid))
    db.rollback()
    names = [k.rsplit("/", 1)[-1] for k in stored_files.keys(app, f"drafts/{draft_uid}/")]
    assert sorted(names) == sorted([*before["files"], uid])
    unknown = upload(acme, page, "not_a_kind", PDF, "x.pdf")
    assert unknown.status_code == 422
    after = stored(db)
    assert after["drafts"] == before["drafts"] and set(after["files"]) == {*before["files"], uid}


def test_removing_a_file_and_discarding_the_draft(db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    uid = upload(acme, page, "safety_plan").get_json()["id"]
    html = _text(acme.get(page))
    assert f'value="remove:{uid}"' in html
    assert post(acme, page, {"project_name": "留着"}, f"remove:{uid}").status_code == 302
    assert stored(db)["files"] == [] and stored(db)["drafts"][0][1] == {"project_name": "留着"}
    response = acme.post(page + "/discard", {}, page=page)
    assert response.status_code == 302 and stored(db)["drafts"] == []


def test_the_page_speaks_chinese_by_default(pages: Any) -> None:
    acme = pages("acme", language=None)
    html = _text(acme.get(open_draft(acme)))
    assert '<html lang="zh-CN">' in html and "施工许可" in html and "建设工程规划许可证" in html


def _on_disk(app: Any, db: Any) -> list[str]:
    """The stored files of the draft."""
    uid = db.scalar(select(Draft.uid))
    db.rollback()
    return sorted(k.rsplit("/", 1)[-1] for k in stored_files.keys(app, f"drafts/{uid}/"))


def test_a_rolled_back_post_keeps_the_files_it_would_have_replaced(app: Any, db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    for kind in REQUIRED:
        assert upload(acme, page, kind, name=f"{kind}.pdf").status_code == 201
    before = stored(db)
    assert _on_disk(app, db) == before["files"]
    # A good replacement and a refused program in one post: neither is kept, the old file stays.
    refused = post(
        acme,
        page,
        _form(),
        "save",
        land_use_certificate=(PDF + b"v2", "new.pdf"),
        safety_plan=(b"MZ\x90\0" + b"\0" * 60, "evil.exe"),
    )
    assert refused.status_code == 422
    # Removing an unknown file after a good replacement: refused, nothing changes either.
    bad = post(acme, page, _form(), "remove:" + "0" * 32, land_use_certificate=(PDF + b"v3", "v3.pdf"))
    assert bad.status_code == 404
    assert stored(db) == before and _on_disk(app, db) == before["files"]
    response = post(acme, page, _form(), "submit")
    assert response.status_code == 302, _text(response)
    assert stored(db)["cases"] == 1


def test_a_document_lost_on_the_server_is_asked_for_again_not_a_500(app: Any, db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    uids = {kind: upload(acme, page, kind).get_json()["id"] for kind in REQUIRED}
    (lost,) = [k for k in stored_files.keys(app, "drafts/") if k.endswith("/" + uids["safety_plan"])]
    stored_files.lose(app, lost)
    response = post(acme, page, _form(), "submit")
    assert response.status_code == 422
    html = _text(response)
    summary = html[html.index('id="form-errors"') : html.index("</ul>", html.index('id="form-errors"'))]
    assert "Safety measures plan: This document is missing: upload it." in summary
    assert stored(db)["cases"] == 0
    assert upload(acme, page, "safety_plan").status_code == 201
    assert post(acme, page, _form(), "submit").status_code == 302


def test_a_new_draft_never_finds_the_files_of_a_discarded_one(app: Any, db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    upload(acme, page, "safety_plan")
    assert acme.post(page + "/discard", {}, page=page).status_code == 302
    again = open_draft(acme)
    assert again != page and _on_disk(app, db) == []


def test_two_submissions_at_once_start_one_case(app: Any, db: Any, pages: Any) -> None:
    if db.bind.dialect.name != "postgresql":
        not_applicable("row locks are PostgreSQL's; SQLite runs one writer at a time")
    first, second = pages("acme"), pages("acme")
    page = open_draft(first)
    for kind in REQUIRED:
        assert upload(first, page, kind).status_code == 201
    forms = [{**_form(), "action": "submit", "csrf_token": b.csrf(page)} for b in (first, second)]
    # Hold the draft row so both submissions queue behind it, then let them go together.
    db.execute(select(Draft).with_for_update())
    statuses: list[int] = []

    def submit(browser: Any, form: dict[str, str]) -> None:
        statuses.append(browser.client.post(page, data=form).status_code)

    browsers = (first, second)
    threads = [threading.Thread(target=submit, args=pair) for pair in zip(browsers, forms, strict=True)]
    for thread in threads:
        thread.start()
    # Requests waiting on this session's lock, directly or behind the first waiter.
    waiting = text(
        "select count(distinct w.pid) from pg_locks w where not w.granted and ("
        " pg_backend_pid() = any(pg_blocking_pids(w.pid)) or exists (select 1 from pg_locks f"
        " where not f.granted and pg_backend_pid() = any(pg_blocking_pids(f.pid))"
        " and f.pid = any(pg_blocking_pids(w.pid))))"
    )
    for _ in range(6000):
        if db.scalar(waiting) >= 2:
            break
        threading.Event().wait(0.01)
    db.rollback()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [302, 404]
    assert stored(db)["cases"] == 1 and stored(db)["drafts"] == []
