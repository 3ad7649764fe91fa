"""The reviewer's pages: login, the inbox, a task with its form, and refusals that change nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from app import clock
from tests.helpers import inbox_task, snapshot, submit_permit


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _submit_overdue(api: Any, name: str, days: int = 10) -> dict[str, Any]:
    """A permit application submitted ``days`` ago, so its acceptance task is overdue now."""
    with clock.travel_to(clock.now() - timedelta(days=days)):
        return submit_permit(api, name)


# ---------------------------------------------------------------- login


def test_pages_need_a_login_and_come_back_after_it(pages: Any) -> None:
    browser = pages()
    response = browser.get("/inbox?sla=overdue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    token = browser.csrf("/login")
    response = browser.client.post(
        "/login",
        data={
            "username": "clerk",
            "password": "demo-pass",
            "csrf_token": token,
            "next": "/inbox?sla=overdue",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/inbox?sla=overdue"
    assert browser.get("/inbox").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(pages: Any) -> None:
    browser = pages()
    response = browser.login("clerk", "not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password" in _text(response)
    response = browser.login("nobody-of-that-name", "whatever")
    assert response.status_code == 401
    assert "Wrong username or password" in _text(response)
    assert browser.get("/inbox").status_code == 302


def test_an_external_next_address_is_ignored(pages: Any) -> None:
    browser = pages()
    token = browser.csrf("/login")
    response = browser.client.post(
        "/login",
        data={
            "username": "clerk",
            "password": "demo-pass",
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/inbox"


def test_login_without_csrf_token_is_refused(pages: Any) -> None:
    browser = pages()
    browser.get("/login")
    response = browser.client.post("/login", data={"username": "clerk", "password": "demo-pass"})
    assert response.status_code == 400
    assert "The form expired or did not come from this site" in _text(response)
    assert browser.get("/inbox").status_code == 302


def test_repeated_failures_lock_the_username(app: Any, pages: Any) -> None:
    from app.web.auth import login_guard

    browser = pages()
    try:
        for _ in range(5):
            assert browser.login("deputy", "wrong").status_code == 401
        response = browser.login("deputy")  # the right password, but locked now
        assert response.status_code == 429
        assert "locked" in _text(response)
        assert browser.login("DEPUTY").status_code == 429  # case variants share the lock
        assert pages().login("clerk").status_code == 302  # others are not affected
    finally:
        with app.test_request_context():
            login_guard().reset("deputy", "127.0.0.1")
    assert pages().login("deputy").status_code == 302


def test_applicants_log_in_too_and_see_their_own_page(pages: Any) -> None:
    browser = pages("acme")
    response = browser.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/my/cases"
    html = _text(browser.get("/my/cases"))
    assert "My cases" in html and "Inbox views" not in html


def test_logout_ends_the_session(pages: Any) -> None:
    browser = pages("clerk")
    response = browser.post("/logout")
    assert response.status_code == 302
    assert browser.get("/inbox").status_code == 302


# ---------------------------------------------------------------- the inbox


def _count(html: str, label: str) -> int:
    match = re.search(re.escape(label) + r'\s*<span class="count"[^>]*>(\d+)</span>', html)
    assert match, f"no tab {label}"
    return int(match.group(1))


def test_inbox_tabs_counts_and_filters(api: Any, pages: Any) -> None:
    late = _submit_overdue(api, "逾期项目")["number"]
    first = submit_permit(api, "滨江花园")["number"]
    second = submit_permit(api, "城北学校")["number"]
    task = inbox_task(api, "clerk", first)
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk").status_code == 200

    clerk = pages("clerk")
    html = _text(clerk.get("/inbox"))
    assert _count(html, "My tasks") == 1
    assert _count(html, "My groups") == 3
    assert "All (supervision)" not in html  # clerks supervise nobody
    # Most urgent first: the overdue one leads, in words and in red.
    assert html.index(late) < html.index(first) and html.index(late) < html.index(second)
    assert re.search(r"\d+ working days? overdue", html)
    assert 'class="badge sla-overdue"' in html

    html = _text(clerk.get("/inbox?scope=mine"))
    assert first in html and second not in html and late not in html

    html = _text(clerk.get("/inbox?sla=overdue"))
    assert late in html and first not in html and second not in html
    assert _count(html, "My groups") == 1  # the counts follow the filters

    html = _text(clerk.get(f"/inbox?q={second}"))
    assert second in html and first not in html
    html = _text(clerk.get(f"/inbox?q=%20{second.lower()}%20"))  # as typed after a phone call
    assert second in html and first not in html
    html = _text(clerk.get("/inbox?q=滨江"))
    assert first in html and second not in html
    assert late not in _text(clerk.get("/inbox?process=parallel_review"))
    assert late in _text(clerk.get("/inbox?process=construction_permit"))

    # scope=all is the supervisors' view; for others it falls back to their groups.
    assert _count(_text(clerk.get("/inbox?scope=all")), "My groups") == 3
    chief = _text(pages("window_chief").get("/inbox?scope=all"))
    assert _count(chief, "All (supervision)") == 3
    assert "王窗口" in chief  # the assignee of the claimed task


def test_inbox_pages_through_many_tasks(api: Any, pages: Any) -> None:
    numbers = [submit_permit(api, f"项目{i}")["number"] for i in range(27)]
    clerk = pages("clerk")
    page1, page2 = _text(clerk.get("/inbox")), _text(clerk.get("/inbox?page=2"))
    assert "Page 1 of 2" in page1 and "Page 2 of 2" in page2
    assert sum(n in page1 for n in numbers) == 25 and sum(n in page2 for n in numbers) == 2
    assert clerk.get("/inbox?page=abc").status_code == 200


# ---------------------------------------------------------------- a task


def test_task_page_lays_out_the_case_for_reading(api: Any, pages: Any) -> None:
    number = submit_permit(api, "滨江花园")["number"]
    task = inbox_task(api, "clerk", number)
    html = _text(pages("clerk").get(f"/tasks/{task['id']}"))
    # Start-form titles, nested objects as definition lists, choice titles instead of codes.
    assert "<dt>Project name</dt>" in html and "<dd>滨江花园</dd>" in html
    assert "<dt>Builder (developer)</dt>" in html
    assert '<dl class="data">' in html.split("<dt>Builder (developer)</dt>", 1)[1][:200]
    assert (
        "Beihu District" in html and "beihu" not in html.split("h-application", 1)[1].split("</section>")[0]
    )
    assert "Timeline" in html and "Application submitted" in html
    # The builder's credit score (100: no deductions) is shown to the reviewer.
    assert '<span class="credit-score">100</span>' in html
    assert "No attachments" in html and "No comments" in html
    # The task's form: a required radio group with the schema's English titles.
    assert 'type="radio" name="decision" value="accept"' in html
    assert "Request corrections (one consolidated notice)" in html
    assert '<textarea id="f-correction_items" name="correction_items"' in html
    assert 'aria-required="true"' in html


def test_invalid_form_shows_errors_by_the_field_and_keeps_the_input(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    before = snapshot(db, number)
    response = clerk.post(
        f"/tasks/{task['id']}/complete",
        {"decision": "correct", "comment": "请补充资金证明原件"},
        page=f"/tasks/{task['id']}",
    )
    assert response.status_code == 422
    html = _text(response)
    assert 'id="f-correction_items-error"><span>This field is required.</span>' in html
    assert 'value="correct" checked' in html
    assert "请补充资金证明原件</textarea>" in html
    assert snapshot(db, number) == before


def test_completing_opens_the_next_task_of_the_same_inbox(api: Any, db: Any, pages: Any) -> None:
    late = _submit_overdue(api, "第一件", days=12)["number"]
    later = _submit_overdue(api, "第二件", days=8)["number"]
    submit_permit(api, "未逾期")
    first, second = inbox_task(api, "clerk", late), inbox_task(api, "clerk", later)
    clerk = pages("clerk")
    response = clerk.post(
        f"/tasks/{first['id']}/complete?sla=overdue",
        {"decision": "accept"},
        page=f"/tasks/{first['id']}?sla=overdue",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tasks/{second['id']}?sla=overdue"
    html = _text(clerk.get(response.headers["Location"]))
    assert f"Completed “Acceptance check” for case {late}." in html
    assert snapshot(db, late)["status"].value == "in_progress"
    # The last one leads back to the (now empty) filtered inbox.
    response = clerk.post(
        f"/tasks/{second['id']}/complete?sla=overdue", {"decision": "accept"}, page=f"/tasks/{second['id']}"
    )
    assert response.headers["Location"] == "/inbox?sla=overdue"
    assert "Your inbox is clear." in _text(clerk.get("/inbox?sla=overdue"))


def test_form_without_csrf_token_changes_nothing(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    before = snapshot(db, number)
    for action in ("complete", "claim", "unclaim"):
        response = clerk.client.post(f"/tasks/{task['id']}/{action}", data={"decision": "accept"})
        assert response.status_code == 400
        assert "Nothing was changed" in _text(response)
        response = clerk.client.post(
            f"/tasks/{task['id']}/{action}", data={"decision": "accept", "csrf_token": "forged"}
        )
        assert response.status_code == 400
    assert snapshot(db, number) == before


def test_user_outside_the_group_is_refused_and_nothing_changes(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    planner = pages("planner")
    before = snapshot(db, number)
    response = planner.post(f"/tasks/{task['id']}/complete", {"decision": "accept"})
    assert response.status_code == 403
    assert "you are not in" in _text(response)
    assert planner.post(f"/tasks/{task['id']}/claim").status_code == 403
    assert planner.get(f"/tasks/{task['id']}").status_code == 403
    assert snapshot(db, number) == before


def test_task_completed_elsewhere_is_refused_and_nothing_changes(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    token = clerk.csrf(f"/tasks/{task['id']}")  # the clerk has the page open …
    done = api.post(
        f"/api/v1/tasks/{task['id']}/complete", "window_chief", json={"data": {"decision": "accept"}}
    )
    assert done.status_code == 200  # … while the chief completes it
    before = snapshot(db, number)
    response = clerk.client.post(
        f"/tasks/{task['id']}/complete",
        data={"decision": "correct", "comment": "我的意见", "csrf_token": token},
    )
    assert response.status_code == 409
    html = _text(response)
    assert "completed or claimed by someone else. Nothing was saved." in html
    assert snapshot(db, number) == before
    response = clerk.post(f"/tasks/{task['id']}/claim", page="/inbox")
    assert response.status_code == 302
    assert "Nothing was saved" in _text(clerk.get(response.headers["Location"]))
    assert snapshot(db, number) == before


def test_claim_and_release(api: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    response = clerk.post(f"/tasks/{task['id']}/claim")
    assert response.status_code == 302
    html = _text(clerk.get(response.headers["Location"]))
    assert "You have claimed this task." in html and "Release to the group" in html
    assert inbox_task(api, "clerk", number)["assignee"] == "clerk"
    # Someone else in the group now sees who has it and cannot complete it.
    chief = _text(pages("window_chief").get(f"/tasks/{task['id']}"))
    assert "This task is claimed by 王窗口." in chief
    clerk.post(f"/tasks/{task['id']}/unclaim")
    assert inbox_task(api, "clerk", number)["assignee"] is None


def test_nul_characters_in_input_are_harmless(api: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    assert clerk.get("/inbox?q=%00abc&process=x%00").status_code == 200
    assert pages().login("clerk\x00", "demo-pass\x00").status_code in (302, 401)
    response = clerk.post(
        f"/tasks/{task['id']}/complete",
        {"decision": "accept", "comment": "a\x00b"},
        page=f"/tasks/{task['id']}",
    )
    assert response.status_code == 302


def test_unknown_task_gives_a_friendly_page(pages: Any) -> None:
    response = pages("clerk").get("/tasks/999999")
    assert response.status_code == 404
    assert "This task or page does not exist." in _text(response)


def test_the_api_keeps_its_json_errors(api: Any) -> None:
    response = api.get("/api/v1/tasks/999999", "clerk")
    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


# ---------------------------------------------------------------- languages


def test_chinese_by_default_and_the_language_switch_is_remembered(api: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    browser = pages("clerk", language=None)
    html = _text(browser.get(f"/tasks/{task['id']}"))
    assert '<html lang="zh-CN">' in html and "受理审查" in html and "受理意见" in html and "北湖区" in html
    response = browser.get(f"/lang/en?next=/tasks/{task['id']}")
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task['id']}"
    html = _text(browser.get(f"/tasks/{task['id']}"))
    assert '<html lang="en">' in html and "Acceptance check" in html and "Beihu District" in html
    assert "受理意见" not in html
    assert "Inbox" in _text(browser.get("/inbox"))  # remembered on the next page
    browser.get("/lang/zh_CN")
    assert "待办事项" in _text(browser.get("/inbox"))
    assert browser.get("/lang/xx").status_code == 404
    assert browser.get("/lang/en?next=//evil.example").headers["Location"] == "/inbox"


def test_times_are_shown_in_shanghai_time(api: Any, pages: Any) -> None:
    from datetime import UTC, datetime

    with clock.travel_to(datetime(2026, 11, 20, 1, 0, tzinfo=UTC)):  # 09:00 in Shanghai
        number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    html = _text(pages("clerk").get(f"/tasks/{task['id']}"))
    assert "2026-11-20 09:00" in html
