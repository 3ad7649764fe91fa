"""Forms that know the applicant, on the pages: the builder's fields filled from the account and
locked, the form's cross-field rules said at their field in the page's language, correction
answers offering each typed slot only the files of its kind, and My cases putting first what
waits for the applicant."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from app import clock
from tests.web.test_apply import PDF, REQUIRED, _form, open_draft, post, stored
from tests.web.test_track import correction_case


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _input(html: str, name: str) -> str:
    found = re.search(r'<input id="[^"]*" name="' + re.escape(name) + r'"[^>]*>', html, re.S)
    assert found, name
    return found.group(0)


def test_the_builder_is_filled_from_the_account_and_locked(db: Any, pages: Any) -> None:
    acme = pages("acme")
    page = open_draft(acme)
    html = _text(acme.get(page))
    name, code = _input(html, "builder.name"), _input(html, "builder.credit_code")
    assert 'value="北湖城市建设投资有限公司"' in name and "readonly" in name
    assert 'value="91350100M000100Y43"' in code and "readonly" in code  # in clear: their own
    assert "f-builder-credit_code-prefill" in code  # the note says why it is locked
    assert "Filled in from your verified account and locked" in html
    phone = _input(html, "builder.contact_phone")
    assert 'value="13812345678"' in phone and "readonly" not in phone  # prefilled, may differ
    # A value posted past the read-only input is refused at its field, nothing is submitted.
    form = {**_form(), "builder.credit_code": "91110108MA01ABCD1E"}
    files = {kind: (PDF, f"{kind}.pdf") for kind in REQUIRED}
    response = post(acme, page, form, "submit", **files)
    assert response.status_code == 422
    assert "This must be as in your verified account" in _text(response)
    assert stored(db)["cases"] == 0


def test_a_broken_rule_is_said_at_its_field_in_the_page_language(db: Any, pages: Any) -> None:
    for language, words in (
        ("en", "The planned completion date must not be before the planned start date"),
        ("zh_CN", "计划竣工日期不得早于计划开工日期"),
    ):
        acme = pages("acme", language=language)
        page = open_draft(acme)
        form = {**_form(), "planned_start": "2027-06-01", "planned_finish": "2027-05-31"}
        response = post(acme, page, form, "check")
        assert response.status_code == 422
        html = _text(response)
        error = re.search(r'<p class="field-error" id="f-planned_finish-error">(.*?)</p>', html, re.S)
        assert error and words in error.group(1)
        assert 'href="#f-planned_finish"' in html  # and in the summary, linked to the field
        assert 'aria-invalid="true"' in _input(html, "planned_finish")
    assert stored(db)["cases"] == 0


def test_each_correction_slot_offers_only_files_of_its_kind(api: Any, db: Any, pages: Any) -> None:
    number = correction_case(api)["number"]
    acme = pages("acme")
    response = acme.post(
        f"/track/{number}/attachments",
        {"kind": "construction_contract", "file": (io.BytesIO(PDF), "施工合同.pdf")},
        page=f"/track/{number}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = _text(acme.get(f"/track/{number}"))
    uid = re.search(r'/attachments/([0-9a-f]{32})"', html).group(1)

    def select(kind: str) -> str:
        return re.search(r'<select id="f-attachments-' + kind + r'".*?</select>', html, re.S).group(0)

    assert uid in select("construction_contract")
    assert uid not in select("land_use_certificate") and uid not in select("fund_certificate")
    assert "No file of this kind uploaded yet." in html
    # Named under another slot anyway (a hand-made post): refused, the case unchanged.
    action = re.search(r'action="(/track/[^"]+/requests/\d+)"', html).group(1)
    refused = acme.post(
        action, {"response": "已补充", "attachments.land_use_certificate": uid}, page=f"/track/{number}"
    )
    assert refused.status_code == 422
    assert "This file was uploaded as another kind of document" in _text(refused)
    task = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    assert task["status"] == "waiting_for_applicant"


def test_my_cases_puts_what_waits_for_the_applicant_first_with_its_flags(api: Any, pages: Any) -> None:
    from tests.helpers import submit_permit

    waiting = correction_case(api, "等待补正项目")["number"]
    later = submit_permit(api, "后提交项目")["number"]
    acme = pages("acme")
    html = _text(acme.get("/my/cases"))
    assert html.index(waiting) < html.index(later)  # the older case waits for acme: it comes first
    assert "1 waits for you" in html and "Answer now" in html
    assert "A step is overdue" not in html and "Past the statutory limit" not in html
    with clock.travel_to(clock.now() + timedelta(days=60)):
        html = _text(acme.get("/my/cases"))
    assert "Your answer is overdue" in html  # the correction has a time limit too
    assert "A step is overdue" in html  # the window's acceptance of the other case
    assert "Past the statutory limit" in html and "past the statutory limit" in html


def test_the_applicant_sees_their_own_data_in_clear_on_their_case(api: Any, pages: Any) -> None:
    number = correction_case(api)["number"]
    html = _text(pages("acme").get(f"/track/{number}"))
    assert "91350100M000100Y43" in html and "13812345678" in html
