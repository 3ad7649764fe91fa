"""Security review (session 8), finding 1: a company performs a rectification order only through an
account whose credit code is verified. An account that typed the company's code at local
registration sees none of its orders, cannot open or complete them, gets none of their reminders
and cannot follow their status, until an administrator verifies the code (audited) in the console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from app import clock
from app.models import AuditEvent, Case, HumanTask, Notification, TaskState, User
from app.services import cases
from tests.helpers import fire_at, user_named
from tests.web.test_applicant import GOOD_PASSWORD, company_form, credit_code

CODE = credit_code("W1")
WAITING = "Your unified social credit code awaits verification."
WAITING_ZH = "您的统一社会信用代码待核验。"


def _register(pages: Any, username: str) -> Any:
    """A company account registered on the site, claiming ``CODE``; logged in."""
    browser = pages()
    form = company_form(username, CODE, company_name="冒名建设有限公司")
    assert browser.post("/register", form, page="/register").status_code == 302
    return browser


def _order(db: Any) -> tuple[str, int]:
    """A rectification order addressed to the company with ``CODE``: its number and its task."""
    data = {
        "project_name": "滨江花园三期",
        "project_code": "2026-330100-47-01-654321",
        "contractor": {"name": "闽江建设发展有限公司", "credit_code": CODE},
        "findings": [{"description": "临边防护缺失", "hazard_level": "general"}],
        "legal_basis": "《建设工程安全生产管理条例》第二十八条",
    }
    case = cases.start_case(db, user_named(db, "inspector"), "rectification_order", data).case
    db.commit()
    task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN))
    assert task is not None and task.context["performer_credit_code"] == CODE
    found = case.number, task.id
    db.rollback()  # SQLite: end the read so the app can write
    return found


def _notices(db: Any, username: str, kind: str) -> int:
    user = user_named(db, username)
    found = db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.kind == kind)
    )
    db.rollback()
    return int(found or 0)


def _forget(db: Any) -> None:
    db.execute(delete(User).where(User.credit_code == CODE))
    db.commit()


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_a_claimed_credit_code_performs_nothing_until_an_admin_verifies_it(
    db: Any, pages: Any, api: Any
) -> None:
    try:
        claimer = _register(pages, "claimer")
        number, task_id = _order(db)
        # Unverified: no task in its list, the reason said instead; no task page, no completion, no
        # status page, no reminders.
        mine = _text(claimer.get("/my/cases"))
        assert f"/tasks/{task_id}" not in mine and WAITING in mine
        assert api.get(f"/api/v1/tasks/{task_id}", "claimer").status_code == 403
        done = api.post(f"/api/v1/tasks/{task_id}/complete", "claimer", json={"data": {}})
        assert done.status_code == 403
        assert 'id="h-timeline"' not in _text(claimer.get(f"/track/{number}"))
        assert api.get(f"/api/v1/cases/{number}", "claimer").status_code == 404
        case_id = db.scalar(select(Case.id).where(Case.number == number))
        db.rollback()
        start = clock.now()
        # Past the deadline (3 working days): the overdue reminder goes to the company's users.
        assert fire_at(db, case_id, start + timedelta(days=8)) > 0
        assert _notices(db, "claimer", "reminder") == 0

        # The administrator checks the business licence and verifies the code: audited.
        admin = pages("admin")
        page = "/admin/users/claimer"
        assert "awaiting verification" in _text(admin.get(page))
        verified = admin.post(f"{page}/credit-code", {"verified": "1"}, page=page)
        assert verified.status_code == 302
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.credit_code_verified"))
        assert event is not None and event.actor_id == user_named(db, "admin").id
        assert event.detail["user"] == "claimer" and event.detail["after"] == {"verified": True}
        db.rollback()

        mine = _text(claimer.get("/my/cases"))
        assert f"/tasks/{task_id}" in mine and WAITING not in mine
        assert api.get(f"/api/v1/tasks/{task_id}", "claimer").status_code == 200
        assert 'id="h-timeline"' in _text(claimer.get(f"/track/{number}"))
        # The daily reminder of the overdue order now reaches it.
        assert fire_at(db, case_id, start + timedelta(days=12)) > 0
        assert _notices(db, "claimer", "reminder") >= 1

        # Withdrawn again: the order is out of its reach once more.
        admin.post(f"{page}/credit-code", {"verified": "0"}, page=page)
        assert api.get(f"/api/v1/tasks/{task_id}", "claimer").status_code == 403
        assert db.scalar(select(func.count()).where(AuditEvent.action == "user.credit_code_unverified")) == 1
        db.rollback()
    finally:
        _forget(db)


def test_the_waiting_message_in_chinese_and_only_for_unverified_companies(db: Any, pages: Any) -> None:
    try:
        _register(pages, "claimer_zh")
        browser = pages(None, language="zh_CN")
        assert browser.login("claimer_zh", GOOD_PASSWORD).status_code == 302
        assert WAITING_ZH in _text(browser.get("/my/cases"))
        # The demo contractor is verified: no message, its orders reach it.
        assert WAITING not in _text(pages("buildco").get("/my/cases"))
    finally:
        _forget(db)


def test_only_company_accounts_have_a_code_to_verify(db: Any, pages: Any) -> None:
    admin = pages("admin")
    refused = admin.post("/admin/users/clerk/credit-code", {"verified": "1"}, page="/admin/users/clerk")
    assert refused.status_code == 422
    assert "Only a company account with a credit code can have it verified." in _text(refused)
    assert db.scalar(select(func.count()).where(AuditEvent.action == "user.credit_code_verified")) == 0
    db.rollback()
