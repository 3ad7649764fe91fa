"""Complaints without an account: the public form with evidence photos, the ticket shown once, the
status page by number and code with the answer, and the complainant's own rating."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app import edge
from app.models import Attachment, Case
from tests.helpers import change_settings, inbox_task

PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40
JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 60
ANSWER = "已责令施工单位22点后停止施工。"
FORM = {
    "category": "noise_dust",
    "location": "北湖区滨江路88号工地",
    "description": "工地每晚22点后仍在施工。",
}


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def file(
    browser: Any, form: dict[str, Any] | None = None, photos: list[tuple[bytes, str]] | None = None
) -> Any:
    data: dict[str, Any] = dict(FORM if form is None else form)
    data["photos"] = [(io.BytesIO(content), name) for content, name in photos or []]
    return browser.post("/complaints/new", data, page="/complaints/new", content_type="multipart/form-data")


def counts(db: Any) -> tuple[int, int]:
    db.expire_all()
    result = (
        db.scalar(select(func.count()).select_from(Case)),
        db.scalar(select(func.count()).select_from(Attachment)),
    )
    db.rollback()
    return result


def ticket(browser: Any, response: Any) -> tuple[str, str]:
    assert response.status_code == 302 and response.headers["Location"] == "/complaints/filed", _text(
        response
    )
    html = _text(browser.get("/complaints/filed"))
    assert "Write down the number and the query code now" in html and "shown only this once" in html
    assert "data-print" in html and "data-copy" in html
    number = re.search(r'id="ticket-number">([A-Z0-9]+)<', html).group(1)
    code = re.search(r'id="ticket-code">([A-Z0-9]+)<', html).group(1)
    # Shown once: reloading the page does not show it again.
    again = browser.get("/complaints/filed")
    assert again.status_code == 302 and code not in _text(again)
    return number, code


def answer(api: Any, number: str) -> None:
    triage = inbox_task(api, "dispatcher", number)
    data = {"decision": "route", "department": "construction"}
    assert (
        api.post(f"/api/v1/tasks/{triage['id']}/complete", "dispatcher", json={"data": data}).status_code
        == 200
    )
    handle = inbox_task(api, "permit_officer", number)
    data = {"decision": "answered", "answer": ANSWER}
    response = api.post(f"/api/v1/tasks/{handle['id']}/complete", "permit_officer", json={"data": data})
    assert response.status_code == 200


def test_the_login_and_lookup_pages_link_to_the_complaint_form(pages: Any) -> None:
    browser = pages()
    assert "/complaints/new" in _text(browser.get("/login")) and "/complaints/new" in _text(
        browser.get("/track")
    )
    html = _text(browser.get("/complaints/new"))
    assert 'name="category"' in html and 'name="location"' in html and 'name="contact.phone"' in html
    assert 'type="file"' in html and 'name="photos"' in html and 'name="evidence"' not in html


def test_an_anonymous_complaint_with_a_photo_is_followed_answered_and_rated(
    api: Any, db: Any, pages: Any
) -> None:
    browser = pages()
    number, code = ticket(browser, file(browser, photos=[(PNG, "工地.png"), (JPEG, "夜间.jpg")]))
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    assert case.applicant_id is None and case.process_key == "complaint_handling"
    photos = list(db.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)))
    assert [p.filename for p in photos] == ["工地.png", "夜间.jpg"] and photos[0].uploaded_by_id is None
    assert case.data["evidence"] == [p.uid for p in photos]
    db.rollback()
    # This browser follows it straight away; another one needs the number and the code.
    assert "Triage the complaint" in _text(browser.get(f"/track/{number}"))
    other = pages()
    response = other.post("/track", {"number": number, "code": code}, page="/track")
    assert response.status_code == 302
    assert "Rate the answer" not in _text(other.get(f"/track/{number}"))

    answer(api, number)
    html = _text(other.get(f"/track/{number}"))
    assert "Rate the answer" in html and ANSWER in html and "Send my rating" in html
    # An invalid rating is said next to its field; nothing changes.
    bad = other.post(f"/track/{number}/rating", {"rating": "great"}, page=f"/track/{number}")
    assert bad.status_code == 422 and "Choose one of the options" in _text(bad)
    # A browser that never proved the code cannot rate.
    stranger = pages()
    refused = stranger.post(f"/track/{number}/rating", {"rating": "satisfied"}, page="/track")
    assert "Track a case" in _text(refused)
    response = other.post(
        f"/track/{number}/rating", {"rating": "satisfied", "rating_comment": "满意"}, page=f"/track/{number}"
    )
    assert response.status_code == 302
    html = _text(other.get(f"/track/{number}"))
    assert "Thank you for rating the answer" in html and "Send my rating" not in html
    assert "The bureau's answer" in html and ANSWER in html
    data = api.get(f"/api/v1/cases/{number}", "dispatcher").get_json()
    assert data["status"] == "closed" and data["data"]["rating"] == "satisfied"
    # Rated once: a second rating is refused without a change.
    again = other.post(f"/track/{number}/rating", {"rating": "not_satisfied"}, page="/track")
    assert again.status_code == 302
    assert "not waiting for your rating" in _text(other.get(f"/track/{number}"))


def test_not_satisfied_reopens_once_from_the_status_page(api: Any, pages: Any) -> None:
    browser = pages()
    number, _code = ticket(browser, file(browser))
    answer(api, number)
    browser.post(f"/track/{number}/rating", {"rating": "not_satisfied"}, page=f"/track/{number}")
    review = inbox_task(api, "director", number)
    data = {"decision": "revised", "answer": "复核：已安装噪声监测。"}
    assert (
        api.post(f"/api/v1/tasks/{review['id']}/complete", "director", json={"data": data}).status_code == 200
    )
    html = _text(browser.get(f"/track/{number}"))
    assert "复核：已安装噪声监测。" in html and "Send my rating" in html
    browser.post(f"/track/{number}/rating", {"rating": "not_satisfied"}, page=f"/track/{number}")
    view = api.get(f"/api/v1/cases/{number}", "dispatcher").get_json()
    assert view["status"] == "closed" and view["data"]["reopened"] == 1


def test_every_missing_field_is_listed_and_nothing_is_filed(db: Any, pages: Any) -> None:
    browser = pages()
    response = file(browser, {"category": "", "location": "", "description": "", "contact.phone": "123"})
    assert response.status_code == 422
    html = _text(response)
    summary = html[html.index('id="form-errors"') : html.index("</ul>", html.index('id="form-errors"'))]
    for label in ("Category", "Location", "Description", "Phone"):
        assert f"{label}:" in summary
    assert counts(db) == (0, 0)


def test_evidence_refusals_say_why_and_file_nothing(
    app: Any, db: Any, pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = pages()
    exe = file(browser, photos=[(PNG, "ok.png"), (b"MZ\x90\0" + b"\0" * 100, "照片.jpg")])
    assert exe.status_code == 415 and "Programs and scripts are refused" in _text(exe)
    assert ">北湖区滨江路88号工地</textarea>" in _text(exe)  # what was typed stays on the page
    text = file(browser, photos=[(b"GIF89a" + b"\0" * 50, "x.png")])
    assert text.status_code == 415 and "Only photos (JPEG, PNG) and PDF files" in _text(text)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    change_settings(monkeypatch, app, max_upload_bytes=1000)
    big = file(browser, photos=[(PNG + b"\0" * 2000, "big.png")])
    assert big.status_code == 413 and "too large" in _text(big)
    monkeypatch.undo()
    assert counts(db) == (0, 0)
    # A name with a path is kept as its last part only; the stored file is named by its uid.
    number, _code = ticket(browser, file(browser, photos=[(PNG, "../../etc/passwd.png")]))
    db.expire_all()
    [photo] = db.scalars(select(Attachment))
    assert photo.filename == "passwd.png" and re.fullmatch(r"[0-9a-f]{32}", photo.uid)
    db.rollback()


def test_public_submissions_are_limited_per_address(
    app: Any, db: Any, pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    change_settings(monkeypatch, app, public_submit_limit=2)
    browser = pages()
    for _ in range(2):
        ticket(browser, file(browser))
    refused = file(browser)
    assert refused.status_code == 429 and "Too many complaints" in _text(refused)
    assert int(refused.headers["Retry-After"]) > 0
    assert counts(db) == (2, 0)
    # Applicants with an account are not counted against the address.
    acme = pages("acme")
    ticket(acme, file(acme))
    monkeypatch.undo()


def test_the_form_speaks_chinese_by_default(pages: Any) -> None:
    html = _text(pages(language=None).get("/complaints/new"))
    assert '<html lang="zh-CN">' in html and "投诉类别" in html and "噪声扬尘" in html


def test_several_photos_together_may_exceed_one_files_limit(app: Any, db: Any, tmp_path: Any) -> None:
    """The request limit is for a whole form of files; each photo is still held to the per-file limit."""
    from tests.conftest import make_app
    from tests.web.conftest import PageClient

    settings = edge.of(app).settings
    small = make_app(edge.of(app).database.url, tmp_path, settings.redis_url, max_upload_bytes=100_000)
    try:
        browser = PageClient(small)
        browser.set_language("en")
        photo = PNG + b"\0" * 60_000
        ticket(browser, file(browser, photos=[(photo, f"{n}.png") for n in range(3)]))
        assert counts(db) == (1, 3)
        big = file(browser, photos=[(PNG + b"\0" * 100_000, "big.png")])
        assert big.status_code == 413 and "too large" in _text(big)
        assert ">北湖区滨江路88号工地</textarea>" in _text(big)  # what was typed stays on the page
    finally:
        edge.of(small).database.dispose()


def test_logged_in_the_applicant_chooses_whether_the_complaint_is_linked(db: Any, pages: Any) -> None:
    """Filed in the account's name unless 'file anonymously' is ticked: then nothing links the case
    (or its photos) to the account, and the ticket is the way to follow it."""
    from app.models import User

    acme = pages("acme")
    form = _text(acme.get("/complaints/new"))
    assert "the complaint is filed in your account" in form and "listed under My cases" in form
    assert 'name="anonymous"' in form and "File anonymously (not linked to my account)" in form
    assert "Leave the contact empty to complain anonymously" not in form
    assert 'name="anonymous"' not in _text(pages().get("/complaints/new"))  # no account, nothing to choose

    linked, _code = ticket(acme, file(acme))
    hidden, code = ticket(acme, file(acme, {**FORM, "anonymous": "1"}, photos=[(PNG, "site.png")]))
    db.expire_all()
    owner = db.scalar(select(User.id).where(User.username == "acme"))
    cases = {c.number: c for c in db.scalars(select(Case).where(Case.number.in_([linked, hidden])))}
    assert cases[linked].applicant_id == owner
    assert cases[hidden].applicant_id is None
    [photo] = db.scalars(select(Attachment).where(Attachment.case_id == cases[hidden].id))
    assert photo.uploaded_by_id is None
    db.rollback()
    mine = _text(acme.get("/my/cases"))
    assert linked in mine and hidden not in mine
    other = pages()
    assert other.post("/track", {"number": hidden, "code": code}, page="/track").status_code == 302
    assert "Triage the complaint" in _text(other.get(f"/track/{hidden}"))


def test_a_refused_anonymous_complaint_keeps_the_choice(pages: Any) -> None:
    acme = pages("acme")
    response = file(acme, {"anonymous": "1"})
    assert response.status_code == 422
    assert re.search(r'name="anonymous" value="1"[^>]*checked', _text(response))
