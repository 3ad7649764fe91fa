"""The case status page: lookup by number and query code, what each viewer sees, answering a
correction request and uploading documents as the applicant."""

from __future__ import annotations

import io
import re
from typing import Any

from tests.helpers import inbox_task, snapshot, submit_permit

ITEMS = ["施工合同缺少签章页", "资金证明需银行盖章"]
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def correction_case(api: Any, name: str = "经开区标准厂房") -> dict[str, Any]:
    """A permit application whose acceptance clerk asked for corrections."""
    created = submit_permit(api, name)
    task = inbox_task(api, "clerk", created["number"])
    response = api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        "clerk",
        json={"data": {"decision": "correct", "correction_items": ITEMS}},
    )
    assert response.status_code == 200, response.get_json()
    return created


def lookup(browser: Any, number: str, code: str) -> Any:
    return browser.post("/track", {"number": number, "code": code}, page="/track")


def test_anyone_with_the_query_code_sees_the_status_only_with_personal_data_masked(
    api: Any, pages: Any
) -> None:
    created = correction_case(api)
    number = created["number"]
    browser = pages()
    response = lookup(browser, number.lower(), created["query_code"].lower())
    assert response.status_code == 302 and response.headers["Location"] == f"/track/{number}"
    html = _text(browser.get(response.headers["Location"]))
    assert number in html and "经开区标准厂房" in html and "Waiting for corrections" in html
    # The timeline: each step with its agency, times and outcome.
    assert "Application submitted" in html and "Acceptance check" in html and "Provide corrections" in html
    assert "Acceptance window" in html and "Corrections requested" in html
    assert "Clock paused" in html and "still paused" in html and "working days used" in html
    # Masked holder data, and nothing of what the applicant is asked for.
    assert "91350100M000******" in html and "91350100M000100Y43" not in html
    assert "138****5678" in html and "13812345678" not in html
    assert ITEMS[0] not in html and "Send my answer" not in html and 'type="file"' not in html
    # The code is not in the address; the page stays open in this browser (e.g. after a language switch).
    assert browser.get(f"/track/{number}").status_code == 200
    assert "Track a case" in _text(pages().get(f"/track/{number}"))  # another browser must prove it


def test_wrong_code_and_unknown_number_get_the_same_answer(api: Any, pages: Any) -> None:
    created = submit_permit(api)
    browser = pages()
    wrong = lookup(browser, created["number"], "WRONGCOD")
    unknown = lookup(browser, "CP20260101999999", created["query_code"])
    assert wrong.status_code == unknown.status_code == 404
    message = "No case matches this number and query code. Check both and try again."
    assert message in _text(wrong) and message in _text(unknown)
    assert created["number"] not in _text(unknown)
    link = browser.get(f"/track/{created['number']}?code=NOTRIGHT")
    assert link.status_code == 404 and message in _text(link)
    assert "Enter the case number and its query code." in _text(lookup(browser, "", ""))


def test_a_link_with_the_code_opens_the_page_and_drops_the_code(api: Any, pages: Any) -> None:
    created = submit_permit(api)
    browser = pages()
    response = browser.get(f"/track/{created['number']}?code={created['query_code']}")
    assert response.status_code == 302 and response.headers["Location"] == f"/track/{created['number']}"
    assert "In progress" in _text(browser.get(response.headers["Location"]))


def test_the_applicant_answers_the_correction_request_on_the_status_page(
    api: Any, db: Any, pages: Any
) -> None:
    number = correction_case(api)["number"]
    acme = pages("acme")
    html = _text(acme.get(f"/track/{number}"))
    assert all(item in html for item in ITEMS) and "Send my answer" in html
    action = re.search(r'action="(/track/[^"]+/requests/\d+)"', html).group(1)

    before = snapshot(db, number)
    response = acme.post(action, {"response": "  "}, page=f"/track/{number}")
    assert response.status_code == 422
    assert 'id="f-response-error"><span>This field is required.</span>' in _text(response)
    assert snapshot(db, number) == before

    response = acme.post(action, {"response": "已补充签章页和银行盖章的资金证明"}, page=f"/track/{number}")
    assert response.status_code == 302 and response.headers["Location"] == f"/track/{number}"
    html = _text(acme.get(f"/track/{number}"))
    assert "Thank you: your answer was sent." in html and "Send my answer" not in html
    status = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    assert status["status"] == "in_progress" and status["requests"] == []
    assert status["data"]["correction_response"]["response"] == "已补充签章页和银行盖章的资金证明"
    # Sending the same answer again changes nothing.
    after = snapshot(db, number)
    response = acme.post(action, {"response": "again"}, page=f"/track/{number}")
    assert response.status_code == 302 and snapshot(db, number) == after


def test_another_applicant_can_neither_see_nor_answer(api: Any, db: Any, pages: Any) -> None:
    number = correction_case(api)["number"]
    acme_html = _text(pages("acme").get(f"/track/{number}"))
    action = re.search(r'action="(/track/[^"]+/requests/\d+)"', acme_html).group(1)
    buildco = pages("buildco")
    html = _text(buildco.get(f"/track/{number}"))
    assert "Track a case" in html and ITEMS[0] not in html
    before = snapshot(db, number)
    assert buildco.post(action, {"response": "不是我的"}, page="/track").status_code == 404
    response = buildco.post(
        f"/track/{number}/attachments",
        {"kind": "other", "file": (io.BytesIO(PDF), "x.pdf")},
        page="/track",
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert snapshot(db, number) == before


def test_the_applicant_uploads_a_document_and_picks_it_in_the_answer(api: Any, db: Any, pages: Any) -> None:
    number = correction_case(api)["number"]
    acme = pages("acme")
    before = snapshot(db, number)
    refused = acme.post(
        f"/track/{number}/attachments",
        {"kind": "construction_contract", "file": (io.BytesIO(b"\x7fELF" + b"\0" * 64), "合同.pdf")},
        page=f"/track/{number}",
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415 and "Programs and scripts are refused" in _text(refused)
    assert snapshot(db, number) == before
    response = acme.post(
        f"/track/{number}/attachments",
        {"kind": "construction_contract", "file": (io.BytesIO(PDF), "施工合同（签章页）.pdf")},
        page=f"/track/{number}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = _text(acme.get(f"/track/{number}"))
    assert "“施工合同（签章页）.pdf” was uploaded." in html
    link = re.search(r'href="(/track/[^"]+/attachments/([0-9a-f]{32}))"', html)
    download = acme.get(link.group(1))
    assert download.status_code == 200 and download.data == PDF
    download.close()
    # The answer form offers the uploaded file for its kind; choosing it stores its id.
    assert f'<option value="{link.group(2)}"' in html
    action = re.search(r'action="(/track/[^"]+/requests/\d+)"', html).group(1)
    response = acme.post(
        action,
        {"response": "已补充", "attachments.construction_contract": link.group(2)},
        page=f"/track/{number}",
    )
    assert response.status_code == 302
    data = api.get(f"/api/v1/cases/{number}", "acme").get_json()["data"]
    assert data["correction_response"]["attachments"] == {"construction_contract": link.group(2)}


def test_the_status_page_speaks_chinese_by_default(api: Any, pages: Any) -> None:
    number = correction_case(api)["number"]
    html = _text(pages("acme", language=None).get(f"/track/{number}"))
    assert '<html lang="zh-CN">' in html and "补正材料" in html and "窗口受理" in html and "待补正" in html
