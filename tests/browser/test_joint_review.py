"""A joint review in a real browser: the fire reviewer (Chinese, desktop) gives a reasoned
objection, the planning reviewer (English, phone) sees it in the joint-review panel with who is
still pending, gives their own opinion and two comments (one internal, one shared with the
applicant); the fire reviewer then sees the planner's opinion on the panel; the applicant's status
page shows the shared comment and never the internal one."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from app.services import cases
from tests.conftest import PASSWORD
from tests.helpers import open_task, user_named
from tests.web.test_joint_review import ALL_FOUR

INTERNAL = "消防意见分歧，内部再议"
SHARED = "请补充疏散通道图纸"


def _log_in(browser: Any, url: str, username: str, lang: str, width: int) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit].btn-primary").click()
    page.wait_for_url(lambda u: "/login" not in u)
    return context, page


def _give_opinion(page: Any, decision: str, comment: str, comment_label: str) -> None:
    page.get_by_label(decision, exact=True).check()
    page.get_by_role("textbox", name=comment_label, exact=True).fill(comment)
    page.locator("form button[type=submit].btn-block").click()
    expect(page.locator(".notice-success")).to_be_visible()


def test_reviewers_see_each_others_opinions_and_the_applicant_only_shared_comments(
    live_server: Any, browser: Any, db: Any
) -> None:
    case = cases.start_case(db, user_named(db, "acme"), "parallel_review", ALL_FOUR).case
    db.commit()
    number, case_id = case.number, case.id
    fire_task, planning_task = (open_task(db, case_id, b) for b in ("Task_FireReview", "Task_PlanningReview"))
    fire_id, planning_id = fire_task.id, planning_task.id
    db.rollback()
    url = live_server.url

    fire_ctx, fire = _log_in(browser, url, "fire_officer", "zh_CN", 1280)
    plan_ctx, plan = _log_in(browser, url, "planner", "en", 390)
    acme_ctx, acme = _log_in(browser, url, "acme", "zh_CN", 1280)
    try:
        fire.goto(f"{url}/tasks/{fire_id}")
        expect(fire.locator(".joint-review")).to_contain_text("联合审查")
        _give_opinion(fire, "不同意", "疏散通道宽度不足", "审查说明")

        plan.goto(f"{url}/tasks/{planning_id}")
        panel = plan.locator(".joint-review")
        fire_row = panel.locator(".joint-agency[data-group=fire]")
        expect(fire_row).to_contain_text("Reject")
        expect(fire_row).to_contain_text("疏散通道宽度不足")
        expect(panel.locator(".joint-agency[data-group=planning]")).to_contain_text("This task")
        expect(panel).to_contain_text("1 of 4 agencies have given their opinion")
        browser.axe(plan)
        for text, who in ((INTERNAL, "Internal (staff only)"), (SHARED, "Shared with the applicant")):
            plan.get_by_label("Add a comment").fill(text)
            plan.get_by_label(who).check()
            plan.get_by_role("button", name="Add comment").click()
            expect(plan.locator("#comments")).to_contain_text(text)
        _give_opinion(plan, "Approve", "符合规划要求", "Comment")

        fire.goto(f"{url}/tasks/{fire_id}")
        planning_row = fire.locator(".joint-review .joint-agency[data-group=planning]")
        expect(planning_row).to_contain_text("同意")
        expect(planning_row).to_contain_text("符合规划要求")
        expect(fire.locator(".joint-review")).to_contain_text("尚待")  # two agencies still to answer
        expect(fire.locator("#comments")).to_contain_text(INTERNAL)  # staff see both

        acme.goto(f"{url}/track/{number}")
        expect(acme.locator("#shared-comments")).to_contain_text(SHARED)
        expect(acme.locator("main")).not_to_contain_text(INTERNAL)
        assert INTERNAL not in acme.content()
        browser.axe(acme)
    finally:
        for context in (fire_ctx, plan_ctx, acme_ctx):
            context.close()
