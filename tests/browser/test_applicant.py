"""An applicant in a real browser: register a company, log in, follow a case on My cases and answer
the clerk's correction request on the case's status page."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import delete, select

from app import edge
from app.models import Case, HumanTask, TaskState, User
from app.services import cases, tasks
from app.services.credit_code import check_character
from app.services.demo import permit_application

PASSWORD = "Minjiang-2026-ok"
FIRST17 = "91350100MA2BRW0Q0"
CREDIT_CODE = FIRST17 + check_character(FIRST17)


def _correction_for(app: Any, username: str) -> str:
    """A permit application of ``username`` whose acceptance clerk asked for corrections."""
    with edge.of(app).database.unit_of_work() as session:
        applicant = session.scalar(select(User).where(User.username == username))
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        data = permit_application("闽江科创园一期")
        # The builder is the applicant's own account (x-prefill binds it).
        data["builder"] = {"name": applicant.company_name, "credit_code": applicant.credit_code}
        started = cases.start_case(session, applicant, "construction_permit", data)
        task = session.scalar(
            select(HumanTask).where(HumanTask.case_id == started.case.id, HumanTask.state == TaskState.OPEN)
        )
        tasks.complete_task(
            session,
            clerk,
            task.id,
            {"decision": "correct", "correction_items": ["施工合同缺少签章页", "资金证明需银行盖章"]},
        )
        return started.case.number


def test_a_company_registers_and_answers_a_correction_request(
    app: Any, live_server: Any, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    url = live_server.url
    try:
        page.goto(url + "/login")
        page.get_by_role("link", name="English").click()
        page.get_by_role("link", name="Register as an applicant").click()
        expect(page.get_by_role("heading", name="Register as an applicant")).to_be_visible()
        page.get_by_label("A company or organisation").check()
        page.get_by_label("Company name").fill("闽江科创发展有限公司")
        page.get_by_label("Unified social credit code").fill(CREDIT_CODE[:-1] + "0")  # a typo first
        page.get_by_label("Contact person").fill("林芳")
        page.get_by_label("Phone").fill("13905910001")
        page.get_by_label("E-mail").fill("linfang@example.com")
        page.get_by_label("Username").fill("minjiang_tech")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        expect(page.locator("#r-credit_code-error")).to_have_text(
            "This is not a valid unified social credit code."
        )
        expect(page.get_by_label("Company name")).to_have_value("闽江科创发展有限公司")
        page.get_by_label("Unified social credit code").fill(CREDIT_CODE)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        expect(page).to_have_url(url + "/my/cases")
        expect(page.get_by_role("status")).to_contain_text("Your account is ready")
        expect(page.get_by_text("You have no cases yet")).to_be_visible()

        # Log out and in again through the shared login page: applicants land on My cases.
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("Username").fill("minjiang_tech")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(url + "/my/cases")

        # The clerk asks for corrections on the company's case (arranged through the services).
        number = _correction_for(app, "minjiang_tech")
        page.reload()
        row = page.locator("tbody tr", has_text=number)
        expect(row).to_contain_text("Waiting for corrections")
        expect(row).to_contain_text("Provide corrections")
        row.get_by_role("link", name="闽江科创园一期").click()

        # The status page: the request with its items, the timeline, the paused clock.
        expect(page).to_have_url(f"{url}/track/{number}")
        expect(page.get_by_role("heading", name="Correction requests")).to_be_visible()
        expect(page.locator(".request-items")).to_contain_text("施工合同缺少签章页")
        expect(page.locator(".steps")).to_contain_text("Acceptance window")
        expect(page.get_by_text("Clock paused").first).to_be_visible()
        page.get_by_role("button", name="Send my answer").click()  # empty: refused by the field
        expect(page.locator("#f-response-error")).to_have_text("This field is required.")
        page.get_by_label("Response").fill("已补充签章页，资金证明已由银行盖章。")
        page.get_by_role("button", name="Send my answer").click()
        expect(page.get_by_role("status")).to_contain_text("your answer was sent")
        expect(page.locator(".case-status")).to_contain_text("In progress")
        expect(page.get_by_role("heading", name="Correction requests")).to_have_count(0)
        expect(page.locator(".steps")).to_contain_text(re.compile("Provide corrections"))
    finally:
        context.close()
        with edge.of(app).database.unit_of_work() as session:
            # Users outlive a test (only case tables are cleaned): remove this one and its cases.
            user_id = session.scalar(select(User.id).where(User.username == "minjiang_tech"))
            session.execute(delete(Case).where(Case.applicant_id == user_id))
            session.execute(delete(User).where(User.id == user_id))
