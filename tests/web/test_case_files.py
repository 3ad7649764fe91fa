"""Attachment references inside case data show as file names with preview links, never raw ids;
attachment types are translated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import Attachment, Case, HumanTask, TaskState
from tests.web.test_complaints import JPEG, PNG, file, ticket


def test_complaint_evidence_shows_as_files_on_the_dispatchers_task(pages: Any, db: Any) -> None:
    browser = pages()
    number, _code = ticket(browser, file(browser, photos=[(PNG, "工地.png"), (JPEG, "夜间.jpg")]))
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    uids = list(
        db.scalars(select(Attachment.uid).where(Attachment.case_id == case.id).order_by(Attachment.id))
    )
    task_id = db.scalar(
        select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
    )
    db.rollback()
    for language, label in (("en", "Evidence"), ("zh_CN", "证据材料")):
        html = pages("dispatcher", language=language).get(f"/tasks/{task_id}").get_data(as_text=True)
        data_part = html.split('id="h-attachments"')[0]
        assert "工地.png" in data_part and "夜间.jpg" in data_part
        assert f">{uids[0]}<" not in html and f"<li>{uids[0]}</li>" not in html
        assert f"/track/{number}/attachments/{uids[0]}?preview=1" in html
        attachments_part = html.split('id="h-attachments"')[1].split("</section>")[0]
        assert label in attachments_part and "evidence ·" not in attachments_part


def test_preview_answers_inline(pages: Any, db: Any) -> None:
    browser = pages()
    number, _code = ticket(browser, file(browser, photos=[(PNG, "工地.png")]))
    db.expire_all()
    uid = db.scalar(select(Attachment.uid).join(Case).where(Case.number == number))
    db.rollback()
    staff = pages("dispatcher")
    inline = staff.get(f"/track/{number}/attachments/{uid}?preview=1")
    assert inline.status_code == 200 and inline.headers["Content-Type"] == "image/png"
    assert not inline.headers["Content-Disposition"].startswith("attachment")
    inline.close()
    download = staff.get(f"/track/{number}/attachments/{uid}")
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()


def test_readers_get_no_upload_form_and_a_refused_post(api: Any, pages: Any, db: Any) -> None:
    """The status page offers the upload form from the same answer the service enforces."""
    from tests.helpers import submit_permit

    number = submit_permit(api)["number"]
    for language in ("en", "zh_CN"):
        auditor = pages("auditor", language=language)
        html = auditor.get(f"/track/{number}").get_data(as_text=True)
        assert f'action="/track/{number}/attachments"' not in html
        refused = auditor.post(
            f"/track/{number}/attachments", {"kind": "construction_contract"}, page=f"/track/{number}"
        )
        assert refused.status_code == 403
    clerk = pages("clerk").get(f"/track/{number}").get_data(as_text=True)
    assert f'action="/track/{number}/attachments"' in clerk
    count = db.scalar(select(func.count()).select_from(Attachment).join(Case).where(Case.number == number))
    assert count == 0
