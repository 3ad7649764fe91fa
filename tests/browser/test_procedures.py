"""The procedures in a real browser: the clerk suspends the case's clock for an expert review and
resumes it from the task page; the applicant sees the stop on the status page, a refusal in the
page's language, withdraws the application and rates the service."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.helpers import inbox_task, submit_permit


def _log_in(browser: Any, url: str, username: str, locale: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    return page


def test_suspend_resume_withdraw_and_rate(api: Any, live_server: Any, browser: Any) -> None:
    number = submit_permit(api, "马尾区文化中心")["number"]
    task = inbox_task(api, "clerk", number)
    clerk = _log_in(browser, live_server.url, "clerk", "en-US")
    try:
        clerk.get_by_role("link", name="English").click()
        clerk.goto(f"{live_server.url}/tasks/{task['id']}")
        clerk.get_by_text("Suspend the statutory clock").click()
        clerk.locator("#suspend-reason").select_option("expert_review")
        clerk.locator("#suspend-note").fill("结构安全专家论证")
        clerk.get_by_role("button", name="Suspend the clock").click()
        expect(clerk.get_by_text("The statutory clock is suspended; the applicant was told.")).to_be_visible()
        expect(clerk.locator("#case-suspended")).to_be_visible()
        clerk.get_by_role("button", name="Resume the clock").click()
        expect(clerk.get_by_text("The statutory clock runs again.")).to_be_visible()
        expect(clerk.locator("#case-suspended")).to_have_count(0)
    finally:
        clerk.context.close()

    acme = _log_in(browser, live_server.url, "acme", "zh-CN")
    try:
        acme.goto(f"{live_server.url}/track/{number}")
        expect(acme.locator(".pauses")).to_contain_text("专家评审")
        # An empty reason: refused in the page's language, nothing changed.
        acme.get_by_text("撤回申请").first.click()
        acme.locator("details.withdraw button[type=submit]").click()
        expect(acme.locator("#procedure-error")).to_have_text("请填写理由，未作任何更改。")
        acme.get_by_text("撤回申请").first.click()
        acme.locator("#withdraw-reason").fill("项目选址调整")
        acme.locator("details.withdraw button[type=submit]").click()
        expect(acme.get_by_text("申请已撤回。")).to_be_visible()
        expect(acme.locator(".case-status")).to_contain_text("已撤回")
        acme.get_by_label("非常不满意").check()
        acme.locator("#rating-comment").fill("受理等待时间过长")
        acme.get_by_role("button", name="提交评价").click()
        expect(acme.locator("#service-rating")).to_contain_text("非常不满意")
        expect(acme.locator("#service-rating")).to_contain_text("受理等待时间过长")
    finally:
        acme.context.close()
