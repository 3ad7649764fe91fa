"""Applicants and the public in a real browser: a company applies for a permit with a missing
document, completes and submits it, answers a correction request, downloads its certificate and
verifies it by the PDF's link; an anonymous complainant files a complaint with a photo, follows it
by number and code, and rates the answer."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import delete, select

from app import edge
from app.models import Case, HumanTask, TaskState, User
from app.services import tasks
from app.services.credit_code import check_character
from tests.browser.filling import fill_form
from tests.web.test_apply import _form

PASSWORD = "Gulou-2026-apply"
FIRST17 = "91350100MA2GL8XB0"
CREDIT_CODE = FIRST17 + check_character(FIRST17)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40
DOCUMENTS = {
    "land_use_certificate": "Land-use planning permit / land certificate",
    "planning_permit": "Construction project planning permit",
    "drawing_review_certificate": "Construction drawing review certificate",
    "construction_contract": "Construction contract",
}  # the fifth required one, the safety plan, is left out at first
APPROVE = {"decision": "approve", "comment": "符合要求"}


def _act(app: Any, number: str, bpmn_id: str, username: str, data: dict[str, Any]) -> None:
    """A reviewer completes the case's open ``bpmn_id`` task (through the service the API uses)."""
    with edge.of(app).database.unit_of_work() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        task = session.scalar(
            select(HumanTask).where(
                HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == TaskState.OPEN
            )
        )
        assert task is not None, bpmn_id
        user = session.scalar(select(User).where(User.username == username))
        tasks.complete_task(session, user, task.id, data)


def _open_tasks(app: Any, number: str) -> list[str]:
    with edge.of(app).database.unit_of_work() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        return list(
            session.scalars(
                select(HumanTask.bpmn_id).where(
                    HumanTask.case_id == case_id, HumanTask.state == TaskState.OPEN
                )
            )
        )


def _files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for kind in [*DOCUMENTS, "safety_plan"]:
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(PDF)
        paths[kind] = path
    photo = tmp_path / "工地夜间施工.png"
    photo.write_bytes(PNG)
    paths["photo"] = photo
    return paths


def _register(page: Any, url: str) -> None:
    page.goto(url + "/register")
    page.get_by_label("A company or organisation").check()
    # The builder the certificate names: the form's builder is bound to the account (x-prefill).
    page.get_by_label("Company name").fill("北湖城市建设投资有限公司")
    page.get_by_label("Unified social credit code").fill(CREDIT_CODE)
    page.get_by_label("Contact person").fill("陈明")
    page.get_by_label("Phone").fill("13905910002")
    page.get_by_label("E-mail").fill("chenming@example.com")
    page.get_by_label("Username").fill("gulou_dev")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(url + "/my/cases")


def test_a_company_applies_answers_and_verifies_its_certificate(
    app: Any, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    url = live_server.url
    files = _files(tmp_path)
    try:
        _register(page, url)
        page.get_by_role("button", name="Construction permit").click()
        expect(page.get_by_role("heading", name="Apply: Construction permit")).to_be_visible()
        fill_form(page, _form("鼓楼滨江综合体"))  # the builder comes from the account (x-prefill)
        # Four of the five required documents, each uploaded at once with its progress bar.
        for kind in DOCUMENTS:
            page.locator(f"#file-{kind}").set_input_files(str(files[kind]))
            item = page.locator(f"#doc-{kind}")
            expect(item.locator("[data-role=state]")).to_contain_text("Uploaded")
            expect(item.locator("progress")).to_have_attribute("value", "100")
        page.get_by_role("button", name="Check completeness").click()
        summary = page.locator("#form-errors")
        expect(summary).to_contain_text("1 item is missing or not valid")
        expect(summary.locator("li")).to_have_count(1)
        expect(summary.locator("li")).to_have_text(
            "Safety measures plan: This document is missing: upload it."
        )
        # The typed form and the four uploads were kept in the draft: resume it from My cases.
        page.get_by_role("link", name="My cases").click()
        page.get_by_role("link", name="鼓楼滨江综合体").click()
        expect(page.locator('[name="project_name"]')).to_have_value("鼓楼滨江综合体")
        expect(page.locator("#doc-planning_permit")).to_contain_text("planning_permit.pdf")
        page.locator("#file-safety_plan").set_input_files(str(files["safety_plan"]))
        expect(page.locator("#doc-safety_plan [data-role=state]")).to_contain_text("Uploaded")
        page.get_by_role("button", name="Submit application").click()

        expect(page).to_have_url(re.compile(r"/track/CP\d+$"))
        number = page.url.rsplit("/", 1)[-1]
        expect(page.get_by_role("status")).to_contain_text("Your application was submitted")
        expect(page.locator(".documents")).to_contain_text("safety_plan.pdf")

        # The clerk asks for a correction; the company answers on the status page.
        _act(
            app,
            number,
            "Task_Acceptance",
            "clerk",
            {"decision": "correct", "correction_items": ["资金证明缺失"]},
        )
        page.reload()
        expect(page.get_by_role("heading", name="Correction requests")).to_be_visible()
        page.get_by_label("Response").fill("已补充资金证明。")
        page.get_by_role("button", name="Send my answer").click()
        expect(page.get_by_role("status")).to_contain_text("your answer was sent")

        # The reviews and the decision, then the certificate.
        _act(app, number, "Task_Acceptance", "clerk", {"decision": "accept"})
        reviewers = {
            "Task_PlanningReview": "planner",
            "Task_FireReview": "fire_officer",
            "Task_EnvironmentReview": "env_officer",
            "Task_CivilDefenceReview": "civil_officer",
        }
        for bpmn_id in _open_tasks(app, number):
            _act(app, number, bpmn_id, reviewers[bpmn_id], APPROVE)
        _act(app, number, "Task_Decision", "permit_officer", {"decision": "approve"})
        page.reload()
        expect(page.locator(".case-status")).to_contain_text("Approved")
        with page.expect_download() as download_info:
            page.locator("a[href$='.pdf']").first.click()
        pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
        text = pdf.pages[0].extract_text()
        assert "鼓楼滨江综合体" in text and "北湖城市建设投资有限公司" in text  # the builder of the form
        link = re.search(r"https?://\S+/verify/\S+", text).group(0)
        assert pdf.metadata.subject == link  # the same link the QR code carries
        page.goto(url + urlsplit(link).path)
        expect(page.locator("main")).to_contain_text("鼓楼滨江综合体")
        expect(page.locator("main")).to_contain_text(re.compile("genuine", re.I))
        expect(page.locator("main")).not_to_contain_text(re.compile("not genuine", re.I))
    finally:
        context.close()
        with edge.of(app).database.unit_of_work() as session:
            user_id = session.scalar(select(User.id).where(User.username == "gulou_dev"))
            session.execute(delete(Case).where(Case.applicant_id == user_id))
            session.execute(delete(User).where(User.id == user_id))


def test_an_anonymous_complainant_files_follows_and_rates(
    app: Any, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    url = live_server.url
    files = _files(tmp_path)
    try:
        page.goto(url + "/login")
        page.get_by_role("link", name="File a complaint (no account needed)").click()
        page.get_by_label("Category").select_option(label="Noise and dust")
        page.get_by_label("Location").fill("鼓楼区五一路工地")
        page.get_by_label("Description").fill("夜间施工噪声扰民。")
        page.get_by_label("Photos or documents as evidence (optional)").set_input_files(str(files["photo"]))
        page.get_by_role("button", name="File the complaint").click()
        expect(page.get_by_role("heading", name="Your complaint was filed")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("Write down the number and the query code now")
        expect(page.get_by_role("button", name="Print")).to_be_visible()
        number = page.locator("#ticket-number").inner_text()
        code = page.locator("#ticket-code").inner_text()
        page.reload()  # shown once
        expect(page.locator("#ticket-code")).to_have_count(0)

        # Another visit: by number and code.
        context.clear_cookies()
        context.add_cookies([{"name": "lang", "value": "en", "url": url}])
        page.goto(url + "/track")
        page.get_by_label("Case number").fill(number)
        page.get_by_label("Query code").fill(code.lower())
        page.get_by_role("button", name="Show the case").click()
        expect(page.locator(".steps")).to_contain_text("Triage the complaint")

        _act(app, number, "Task_Triage", "dispatcher", {"decision": "route", "department": "construction"})
        _act(
            app,
            number,
            "Task_Handle",
            "permit_officer",
            {"decision": "answered", "answer": "已责令夜间停工。"},
        )
        page.reload()
        expect(page.get_by_role("heading", name="Rate the answer")).to_be_visible()
        expect(page.locator("blockquote.answer")).to_have_text("已责令夜间停工。")
        page.get_by_label("Satisfied", exact=True).check()
        page.get_by_role("button", name="Send my rating").click()
        expect(page.get_by_role("status")).to_contain_text("Thank you for rating the answer")
        expect(page.locator(".case-status")).to_contain_text("Closed")
        with edge.of(app).database.unit_of_work() as session:
            case = session.scalar(select(Case).where(Case.number == number))
            assert case.data["rating"] == "satisfied" and len(case.data["evidence"]) == 1
    finally:
        context.close()
