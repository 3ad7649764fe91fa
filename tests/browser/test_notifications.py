"""Notifications in a real browser: the applicant opts in to text messages on their settings page; a
reviewer's bell count rises when the overdue timer of their task fires, the notification opens the
task and is then read; the reviewer completes the task with the keyboard only; once the case is
decided the applicant sees the decision notification, and the local stand-in SMS server the test
starts receives the applicant's text (signed request, read by the test)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import clock, edge
from app.jobs.sms import send_notification_sms
from app.models import Case, Notification
from app.services import timers
from tests.conftest import PASSWORD
from tests.helpers import inbox_task, submit_permit, user_named
from tests.services.test_sms import StandIn

REVIEWS = {
    "Task_PlanningReview": "planner",
    "Task_FireReview": "fire_officer",
    "Task_EnvironmentReview": "env_officer",
}


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def acme_opted_out_after(db: Any) -> Iterator[None]:
    yield
    db.rollback()
    user_named(db, "acme").sms_opt_in = False
    db.commit()


def _log_in(browser: Any, url: str, username: str, lang: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit].btn-primary").click()
    page.wait_for_load_state("networkidle")
    return context, page


def _bell(page: Any) -> int:
    count = page.locator("#bell .bell-count")
    return int(count.inner_text()) if count.count() else 0


def _tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus (the keyboard's way there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _decide(api: Any, number: str) -> None:
    for user in REVIEWS.values():
        task = inbox_task(api, user, number)
        api.post(f"/api/v1/tasks/{task['id']}/claim", user)
        done = api.post(f"/api/v1/tasks/{task['id']}/complete", user, json={"data": {"decision": "approve"}})
        assert done.status_code == 200, done.get_json()
    task = inbox_task(api, "permit_officer", number)
    api.post(f"/api/v1/tasks/{task['id']}/claim", "permit_officer")
    body = {"data": {"decision": "approve", "permit_valid_until": "2029-12-31"}}
    assert api.post(f"/api/v1/tasks/{task['id']}/complete", "permit_officer", json=body).status_code == 200


@pytest.mark.usefixtures("acme_opted_out_after")
def test_overdue_bell_keyboard_completion_and_the_decision_by_sms(
    api: Any, app: Any, db: Any, live_server: Any, browser: Any, stand_in: StandIn, monkeypatch: Any
) -> None:
    url = live_server.url
    # The applicant opts in (the number registered with the account is kept).
    applicant_ctx, applicant = _log_in(browser, url, "acme", "zh_CN")
    applicant.goto(url + "/notifications/settings")
    expect(applicant.get_by_role("heading", name="通知设置")).to_be_visible()
    expect(applicant.locator("#s-phone-help")).to_contain_text("138****5678")
    applicant.get_by_label("同时通过短信通知我").check()
    applicant.get_by_role("button", name="保存").click()
    expect(applicant.locator(".notice-success")).to_contain_text("通知设置已保存")

    with clock.travel_to(clock.now() - timedelta(days=12)):
        number = submit_permit(api, "通知测试项目")["number"]
    task = inbox_task(api, "clerk", number)
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk").status_code == 200
    reviewer_ctx, reviewer = _log_in(browser, url, "clerk", "en")
    try:
        before = _bell(reviewer)
        # The overdue timer fires (what the worker's wake-up job does).
        case_id = db.scalar(select(Case.id).where(Case.number == number))
        assert timers.fire_due(db, case_id) >= 2  # the warning and the overdue timer
        db.commit()
        reviewer.reload()
        assert _bell(reviewer) > before
        bell = reviewer.locator("#bell")
        expect(bell).to_have_attribute("aria-label", re.compile(r"Notifications: \d+ unread"))
        reviewer.locator("#bell").click()
        item = reviewer.locator("li.notification", has_text=f"Overdue: {number} Acceptance check")
        expect(item).to_have_class(re.compile("unread"))
        unread = _bell(reviewer)
        item.get_by_role("button", name="Open").click()
        expect(reviewer).to_have_url(f"{url}/tasks/{task['id']}")
        assert _bell(reviewer) == unread - 1
        reviewer.goto(url + "/notifications")
        expect(reviewer.locator("li.notification", has_text=f"Overdue: {number}")).not_to_have_class(
            re.compile("unread")
        )

        # Keyboard only: from the top of the task page to the decision, a comment and the submit.
        reviewer.goto(f"{url}/tasks/{task['id']}")
        _tab_to(reviewer, "#task-form input[type=radio][name=decision]")
        for _ in range(6):  # the arrow keys move through the choices (and check each)
            if reviewer.evaluate("() => document.activeElement.value") == "accept":
                break
            reviewer.keyboard.press("ArrowDown")
        reviewer.keyboard.press("Space")
        expect(reviewer.get_by_label("Accept", exact=True)).to_be_checked()
        _tab_to(reviewer, "#task-form [name=comment]")
        reviewer.keyboard.type("材料齐全")
        _tab_to(reviewer, "#task-form form button[type=submit]")
        reviewer.keyboard.press("Enter")
        done = f"Completed “Acceptance check” for case {number}."
        expect(reviewer.locator(".notice-success[role=status]")).to_contain_text(done)
    finally:
        reviewer_ctx.close()

    _decide(api, number)
    db.expire_all()
    note = db.scalar(
        select(Notification).where(
            Notification.kind == "case.decided", Notification.link == f"/track/{number}"
        )
    )
    assert note is not None and note.user_id == user_named(db, "acme").id
    note_id = note.id
    db.rollback()
    try:
        applicant.goto(url + "/my/cases")
        assert _bell(applicant) >= 1
        applicant.locator("#bell").click()
        decided = applicant.locator("li.notification", has_text=f"办件已办结：{number} 已批准")
        expect(decided).to_be_visible()
        decided.get_by_role("button", name="打开").click()
        expect(applicant).to_have_url(f"{url}/track/{number}")
    finally:
        applicant_ctx.close()

    # The SMS job (rq runs it after the commit) sends the text through the stand-in provider.
    settings = replace(edge.of(app).settings, sms_url=stand_in.url, sms_key_id="pf", sms_secret="s")
    monkeypatch.setattr(edge, "settings", lambda: settings)
    with app.app_context():
        assert send_notification_sms(note_id) == "sent"
    [message] = stand_in.received
    body = json.loads(message["body"])
    assert body["to"] == "13812345678" and f"办件已办结：{number} 已批准" in body["text"]
    assert body["text"].endswith(f"/track/{number}") and message["headers"]["x-permitflow-signature"]
