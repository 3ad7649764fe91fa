"""The acceptance of the procedures in a real browser, with the clock controlled: a fire reviewer
asks a colleague of another group for an opinion (加签), cannot decide until it arrives, then
decides; the permit officer suspends the clock for an expert review for 3 working days and
resumes it; the status page shows both, and the case's due date moved by exactly the stop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app import clock, edge
from app.services import platform
from tests.browser.test_procedures import _log_in
from tests.helpers import inbox_task, submit_permit

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=SH)  # a plain working week: no holiday until Friday


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(MONDAY)
    try:
        yield
    finally:
        clock.unfreeze()


def _complete(api: Any, user: str, number: str, decision: str = "approve") -> None:
    task = inbox_task(api, user, number)
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", user, json={"data": {"decision": decision}})
    assert done.status_code == 200, done.get_json()


def _ask_and_decide(browser: Any, url: str, api: Any, number: str) -> None:
    review = inbox_task(api, "fire_officer", number)
    fire = _log_in(browser, url, "fire_officer", "zh-CN")
    try:
        fire.goto(f"{url}/tasks/{review['id']}")
        fire.locator("#consult-users").select_option("env_officer")
        fire.locator("#consult-question").fill("地下车库排风口与消防疏散口间距是否满足环保要求？")
        fire.locator("#consult-limit").fill("2wd")
        fire.get_by_role("button", name="征求意见").click()
        expect(fire.get_by_text("已征求 1 份意见。")).to_be_visible()
        expect(fire.locator("#consultation-waiting")).to_be_visible()
        expect(fire.get_by_role("button", name="提交并办理下一件")).to_have_count(0)
        opinion = inbox_task(api, "env_officer", number, "Opinion asked for: Fire review")
        env = _log_in(browser, url, "env_officer", "en-US")
        try:
            env.get_by_role("link", name="English").click()
            env.goto(f"{url}/tasks/{opinion['id']}")
            expect(env.locator("#consultation-question")).to_contain_text("排风口")
            env.get_by_role("textbox", name="Opinion").fill("间距12米，满足要求")
            env.get_by_role("button", name="Submit and open the next task").click()
            env.wait_for_load_state()
        finally:
            env.context.close()
        fire.reload()
        expect(fire.locator("#opinions")).to_contain_text("间距12米，满足要求")
        expect(fire.locator("#consultation-waiting")).to_have_count(0)
        fire.get_by_label("同意", exact=True).check()
        fire.get_by_role("button", name="提交并办理下一件").click()
        fire.wait_for_load_state()
    finally:
        fire.context.close()
    assert api.get(f"/api/v1/tasks/{review['id']}", "fire_officer").get_json()["task"]["state"] == "completed"


def _suspend_and_resume(browser: Any, url: str, api: Any, number: str) -> None:
    decision = inbox_task(api, "permit_officer", number)
    officer = _log_in(browser, url, "permit_officer", "en-US")
    try:
        officer.get_by_role("link", name="English").click()
        clock.freeze(datetime(2026, 12, 7, 10, 0, tzinfo=SH))  # Monday
        officer.goto(f"{url}/tasks/{decision['id']}")
        officer.get_by_text("Suspend the statutory clock").click()
        officer.locator("#suspend-reason").select_option("expert_review")
        officer.locator("#suspend-note").fill("深基坑支护专家论证")
        officer.get_by_role("button", name="Suspend the clock").click()
        expect(officer.locator("#case-suspended")).to_be_visible()
        clock.freeze(datetime(2026, 12, 10, 10, 0, tzinfo=SH))  # Thursday: 3 working days stood
        officer.get_by_role("button", name="Resume the clock").click()
        expect(officer.get_by_text("The statutory clock runs again.")).to_be_visible()
    finally:
        officer.context.close()


def test_consultation_then_suspension(
    app: Any, api: Any, live_server: Any, browser: Any, frozen: None
) -> None:
    number = submit_permit(api, "鼓楼区地下停车场")["number"]
    _complete(api, "clerk", number, "accept")
    _complete(api, "planner", number)
    _complete(api, "env_officer", number)
    _ask_and_decide(browser, live_server.url, api, number)
    due_before = datetime.fromisoformat(api.get(f"/api/v1/cases/{number}", "acme").get_json()["due_at"])
    _suspend_and_resume(browser, live_server.url, api, number)
    view = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    with edge.of(app).database.unit_of_work() as db:
        assert datetime.fromisoformat(view["due_at"]) == platform.calendar(db).add_working_days(due_before, 3)
    assert view["suspended"] is False
    acme = _log_in(browser, live_server.url, "acme", "zh-CN")
    try:
        acme.goto(f"{live_server.url}/track/{number}")
        expect(acme.locator(".pauses")).to_contain_text("专家评审")
        expect(acme.locator("section[aria-labelledby=h-timeline]")).to_contain_text("加签意见")
    finally:
        acme.context.close()
