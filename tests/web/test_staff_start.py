"""Staff-started processes: an inspector issues a rectification order from the inbox, with one
photo per finding, rows of findings, and errors at the row and field they concern."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from app.models import Attachment, Case, HumanTask, TaskState

START = "/start/rectification_order"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40
FORM = {
    "project_name": "滨江花园二期",
    "contractor.name": "华建第一工程有限公司",
    "contractor.credit_code": "91110108MA01ABCD1E",
    "legal_basis": "《建设工程安全生产管理条例》第二十八条",
}


def _findings(*levels: str, photos: bool = True, gap: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for i, level in enumerate(levels):
        n = i * (gap + 1)  # rows removed on the page leave gaps in the numbering
        data[f"findings.{n}.description"] = f"问题{i}"
        data[f"findings.{n}.hazard_level"] = level
        if photos:
            data[f"findings.{n}.photo"] = (io.BytesIO(PNG), f"现场{i}.png")
    return data


def test_inspector_sees_new_order_in_inbox_and_staff_apply_redirects(pages: Any) -> None:
    inspector = pages("inspector")
    html = inspector.get("/inbox").get_data(as_text=True)
    assert "/start/rectification_order" in html and "New Rectification order" in html
    assert (
        inspector.get("/apply/rectification_order").headers["Location"].endswith("/start/rectification_order")
    )
    form = inspector.get("/start/rectification_order").get_data(as_text=True)
    assert 'name="findings.0.description"' in form and 'type="file"' in form
    assert 'name="findings.0.photo"' in form and "<template" in form
    reviewer = pages("fire_officer")
    assert "/start/rectification_order" not in reviewer.get("/inbox").get_data(as_text=True)
    assert reviewer.get("/start/rectification_order").status_code == 403


def test_inspector_starts_an_order_with_three_findings_and_photos(pages: Any, db: Any) -> None:
    inspector = pages("inspector")
    data = {**FORM, **_findings("general", "major", "serious", gap=2)}
    response = inspector.post(START, data, page=START, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    case = db.scalar(select(Case).where(Case.number == number))
    findings = case.data["findings"]
    assert [f["hazard_level"] for f in findings] == ["general", "major", "serious"]
    photos = db.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)).all()
    assert [p.kind for p in photos] == ["photo"] * 3
    assert [f["photo"] for f in findings] == [p.uid for p in photos]
    assert [p.filename for p in photos] == ["现场0.png", "现场1.png", "现场2.png"]
    assert case.data["deadline_days"] == case.data["rectification_days"]["major"]
    task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN))
    assert task is not None
    assert number in inspector.get("/inbox").get_data(as_text=True)


def test_errors_are_placed_at_the_row_and_field(pages: Any, db: Any) -> None:
    inspector = pages("inspector")
    data = {**FORM, **_findings("general", "", photos=False)}
    before = db.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    db.rollback()
    response = inspector.post(START, data, page=START, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-findings-1-hazard_level-error"' in html
    assert 'id="f-findings-0-hazard_level-error"' not in html
    assert ">问题1</textarea>" in html  # the typed rows come back
    db.expire_all()
    assert db.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) == before


def test_refused_photo_names_its_row_and_add_row_without_script(pages: Any) -> None:
    inspector = pages("inspector")
    data = {**FORM, **_findings("general", "serious")}
    data["findings.1.photo"] = (io.BytesIO(b"MZ\x90\0" + b"\0" * 64), "x.png")
    response = inspector.post(START, data, page=START, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="f-findings-1-photo-error"' in response.get_data(as_text=True)
    grown = inspector.post(
        "/start/rectification_order",
        {**FORM, **_findings("general", photos=False), "action": "add-row:findings"},
        page="/start/rectification_order",
    ).get_data(as_text=True)
    assert 'name="findings.1.description"' in grown and ">问题0</textarea>" in grown
