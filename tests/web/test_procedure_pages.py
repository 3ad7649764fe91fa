"""The procedures on the pages: the applicant withdraws, rates and urges on the status page; staff
recall, return, suspend/resume and ask for an extension on the task page. Refusals answer the
page again with a 4xx and the reason in the page's language; nothing stored changes."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from sqlalchemy import select

from app import clock
from app.models import Case, HumanTask, ServiceRating
from tests.helpers import inbox_task, open_task, snapshot, submit_permit


def _text(response: Any) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _case(db: Any, number: str) -> Case:
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    assert case is not None
    return case


def test_the_applicant_withdraws_then_rates_on_the_status_page(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    acme = pages("acme")
    page = f"/track/{number}"
    html = _text(acme.get(page))
    assert "Withdraw the application" in html and "How satisfied are you" not in html

    before = snapshot(db, number)
    refused = acme.post(f"{page}/withdraw", {"reason": "  "}, page=page)
    assert refused.status_code == 422
    assert "Please give a reason. Nothing was changed." in _text(refused)
    assert snapshot(db, number) == before

    done = acme.post(f"{page}/withdraw", {"reason": "项目调整"}, page=page)
    assert done.status_code == 302 and done.headers["Location"] == page
    html = _text(acme.get(page))
    assert "The application was withdrawn." in html and "status-withdrawn" in html
    assert "Withdraw the application" not in html and "How satisfied are you" in html

    after = snapshot(db, number)
    again = acme.post(f"{page}/withdraw", {"reason": "again"}, page=page)
    assert again.status_code == 409 and "can no longer be withdrawn" in _text(again)
    assert snapshot(db, number) == after

    no_level = acme.post(f"{page}/service-rating", {"comment": "x"}, page=page)
    assert no_level.status_code == 422 and "Choose one of the five levels" in _text(no_level)
    rated = acme.post(f"{page}/service-rating", {"level": "1", "comment": "太慢"}, page=page)
    assert rated.status_code == 302
    html = _text(acme.get(page))
    assert "Your rating of the service" in html and "Very dissatisfied" in html and "太慢" in html
    assert "How satisfied are you" not in html
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == _case(db, number).id))
    # Withdrawn before any staff step finished: the group that had the case follows it up.
    assert rating is not None and rating.level == 1 and rating.comment == "太慢"
    follow_up = db.get(HumanTask, rating.follow_up_task_id)
    assert follow_up is not None and follow_up.candidate_group == "window"
    db.rollback()  # end the read (SQLite writers wait for it)
    twice = acme.post(f"{page}/service-rating", {"level": "5"}, page=page)
    assert twice.status_code == 409 and "rated already" in _text(twice)


def test_refusals_speak_the_page_language(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    acme = pages("acme", language="zh-CN")
    page = f"/track/{number}"
    assert "撤回申请" in _text(acme.get(page))
    refused = acme.post(f"{page}/withdraw", {"reason": ""}, page=page)
    assert refused.status_code == 422
    text = _text(refused)
    assert "请填写理由，未作任何更改。" in text and '"code"' not in text
    # Someone else's case: the same 404 as an unknown case, nothing changed.
    before = snapshot(db, number)
    other = pages("buildco")
    assert other.post(f"{page}/withdraw", {"reason": "x"}, page="/my-cases").status_code in (403, 404)
    assert snapshot(db, number) == before


def test_the_applicant_urges_once_past_the_warning_time(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    acme = pages("acme")
    page = f"/track/{number}"
    assert "Urge the bureau" not in _text(acme.get(page))
    before = snapshot(db, number)
    early = acme.post(f"{page}/urge", page=page)
    assert early.status_code == 409 and "past its warning time" in _text(early)
    assert snapshot(db, number) == before
    warn_at = open_task(db, _case(db, number), "Task_Acceptance").warn_at
    db.rollback()
    with clock.travel_to(warn_at):
        assert "Urge the bureau" in _text(acme.get(page))
        assert acme.post(f"{page}/urge", page=page).status_code == 302
        assert "The bureau was reminded of your case." in _text(acme.get(page))
        twice = acme.post(f"{page}/urge", page=page)
        assert twice.status_code == 429 and "once per working day" in _text(twice)


def test_staff_suspend_resume_and_extend_on_the_task_page(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    clerk = pages("clerk")
    page = f"/tasks/{task['id']}"
    html = _text(clerk.get(page))
    assert "Suspend the statutory clock" in html and "Ask for an extension" in html
    assert "Resume the clock" not in html

    before = snapshot(db, number)
    bad = clerk.post(f"{page}/suspend", {"reason_code": "holiday"}, page=page)
    assert bad.status_code == 422 and "Choose one of the listed reasons" in _text(bad)
    assert snapshot(db, number) == before

    assert clerk.post(f"{page}/suspend", {"reason_code": "expert_review"}, page=page).status_code == 302
    html = _text(clerk.get(page))
    assert "The statutory clock is suspended; the applicant was told." in html
    assert "Resume the clock" in html and "Suspend the statutory clock" not in html
    status = _text(pages("acme").get(f"/track/{number}"))
    assert "The time limit is suspended" in status and "Expert review" in status

    assert clerk.post(f"{page}/resume", {"note": ""}, page=page).status_code == 302
    assert "The statutory clock runs again." in _text(clerk.get(page))
    again = clerk.post(f"{page}/resume", page=page)
    assert again.status_code == 409 and "is not suspended" in _text(again)

    no_reason = clerk.post(f"{page}/extension", {"working_days": "5", "reason": ""}, page=page)
    assert no_reason.status_code == 422 and "Please give a reason" in _text(no_reason)
    too_many = clerk.post(f"{page}/extension", {"working_days": "99", "reason": "r"}, page=page)
    assert too_many.status_code == 422 and "working days within the allowed maximum" in _text(too_many)
    asked = clerk.post(f"{page}/extension", {"working_days": "5", "reason": "需专家论证"}, page=page)
    assert asked.status_code == 302
    assert "Ask for an extension" not in _text(clerk.get(page))
    twice = clerk.post(f"{page}/extension", {"working_days": "5", "reason": "again"}, page=page)
    assert twice.status_code == 409 and "only one per case" in _text(twice)
    # Someone with no task on the case sees none of it.
    assert "Suspend the statutory clock" not in _text(pages("planner").get(page))


def test_a_reviewer_recalls_a_completion_on_the_task_page(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    assert done.status_code == 200
    clerk = pages("clerk")
    page = f"/tasks/{task['id']}"
    assert "Recall my completion" in _text(clerk.get(page))
    recalled = clerk.post(f"{page}/recall", page=page)
    assert recalled.status_code == 302
    assert "Your completion was recalled" in _text(clerk.get(page))
    reopened = db.get(HumanTask, task["id"])
    assert reopened is not None and reopened.completed_at is None
    db.rollback()
    # Completed again and the next step claimed: the recall is refused with the reason.
    again = api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    assert again.status_code == 200, again.get_json()
    review = inbox_task(api, "planner", number)
    assert api.post(f"/api/v1/tasks/{review['id']}/claim", "planner").status_code == 200
    before = snapshot(db, number)
    late = clerk.post(f"{page}/recall", page=page)
    assert late.status_code == 409 and "can no longer be recalled" in _text(late)
    assert snapshot(db, number) == before


def test_the_return_form_lists_only_declared_and_passed_steps(api: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    html = _text(pages("clerk").get(f"/tasks/{task['id']}"))
    # Acceptance declares no return target: no return form.
    assert "Return the case to an earlier step" not in html
    assert not re.search(r'name="to"', html)
