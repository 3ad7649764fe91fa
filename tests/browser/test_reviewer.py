"""A reviewer clears overdue work in a real browser: log in, filter, fix an invalid form, go on."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from app import clock
from tests.conftest import PASSWORD
from tests.helpers import inbox_task, submit_permit


def test_reviewer_clears_overdue_tasks(api: Any, live_server: Any, browser: Any) -> None:
    with clock.travel_to(clock.now() - timedelta(days=12)):
        first = submit_permit(api, "高新区研发中心")["number"]
    with clock.travel_to(clock.now() - timedelta(days=9)):
        second = submit_permit(api, "滨江学校扩建")["number"]
    on_time = submit_permit(api, "北湖安置房")["number"]
    first_task, second_task = inbox_task(api, "clerk", first), inbox_task(api, "clerk", second)

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/inbox")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # Chinese by default
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        page.get_by_label("Username").fill("clerk")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        # The inbox: all three, then only the overdue ones, most overdue first.
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        expect(page.locator("tbody tr")).to_have_count(3)
        page.get_by_label("Time limit").select_option("overdue")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"sla=overdue"))
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text(first)
        expect(rows.first).to_contain_text(re.compile(r"\d+ working days overdue"))
        expect(page.locator("tbody")).not_to_contain_text(on_time)

        # The task: an invalid submission keeps what was typed and says what is wrong.
        rows.first.get_by_role("link").click()
        expect(page.get_by_role("heading", name="Acceptance check", exact=True).first).to_be_visible()
        page.get_by_label("Request corrections (one consolidated notice)").check()
        page.get_by_role("textbox", name="Comment", exact=True).fill("材料基本齐全")
        page.get_by_role("button", name="Submit and open the next task").click()
        expect(page.locator("#f-correction_items-error")).to_have_text("This field is required.")
        expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value("材料基本齐全")
        expect(page.get_by_label("Request corrections (one consolidated notice)")).to_be_checked()
        expect(page.get_by_label("Items to correct")).to_have_attribute("aria-invalid", "true")

        # Fixed: accepted, and straight on to the next overdue task.
        page.get_by_label("Accept", exact=True).check()
        page.get_by_role("button", name="Submit and open the next task").click()
        expect(page).to_have_url(f"{live_server.url}/tasks/{second_task['id']}?sla=overdue")
        expect(page.get_by_role("status")).to_contain_text(f"Completed “Acceptance check” for case {first}.")
        expect(page.locator(".task-head")).to_contain_text(second)
        assert first_task["id"] != second_task["id"]

        # Keyboard only: the skip link comes first and leads to the content.
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    finally:
        context.close()
