"""The notification centre: the bell's unread count on every page, the list, opening one (marks it
read, goes to its link), mark selected / all read; and the API's `POST /notifications/read`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.models import AuditEvent, Notification, User
from app.services import notifications, pii
from tests.helpers import user_named


def _notes(db: Any, username: str, count: int) -> list[int]:
    user = user_named(db, username)
    made = []
    for i in range(count):
        made += notifications.notify(
            db,
            [user],
            "task.overdue",
            title=f"任务逾期{i}",
            title_en=f"Task overdue {i}" + ("" if username != "buildco" else " (applicant)"),
            link="/inbox",
        )
    db.commit()
    return [n.id for n in made]


def test_bell_and_list_for_staff_and_applicants(pages: Any, db: Any) -> None:
    ids = _notes(db, "window_chief", 3)
    _notes(db, "buildco", 1)
    chief = pages("window_chief")
    inbox = chief.get("/inbox").get_data(as_text=True)
    assert 'id="bell"' in inbox and "Notifications: 3 unread" in inbox
    listing = chief.get("/notifications").get_data(as_text=True)
    assert all(f"Task overdue {i}" in listing for i in range(3)) and f'id="n-{ids[0]}"' in listing
    applicant = pages("buildco")
    assert "Notifications: 1 unread" in applicant.get("/my/cases").get_data(as_text=True)
    assert "Task overdue 0<" not in applicant.get("/notifications").get_data(as_text=True)


def test_open_marks_read_and_follows_the_link(pages: Any, db: Any) -> None:
    ids = _notes(db, "window_chief", 3)
    chief = pages("window_chief")
    opened = chief.post(f"/notifications/{ids[0]}/open", page="/notifications")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/inbox")
    chief.post("/notifications/read", {"ids": [str(ids[1])]}, page="/notifications")
    db.expire_all()
    read = {
        n.id: n.read_at is not None for n in db.scalars(select(Notification).where(Notification.id.in_(ids)))
    }
    db.rollback()
    assert read == {ids[0]: True, ids[1]: True, ids[2]: False}
    chief.post("/notifications/read", {"all": "1"}, page="/notifications")
    assert "Notifications: 0 unread" in chief.get("/inbox").get_data(as_text=True)
    # Someone else's notification is not theirs to open.
    other = _notes(db, "clerk", 1)[0]
    assert chief.post(f"/notifications/{other}/open", page="/notifications").status_code == 404


def test_api_read_takes_ids_or_all(api: Any, db: Any) -> None:
    ids = _notes(db, "window_chief", 3)
    other = _notes(db, "clerk", 1)
    body = api.post("/api/v1/notifications/read", "window_chief", json={"ids": [ids[0], other[0]]}).get_json()
    assert body == {"marked": 1, "unread": 2}
    assert api.post("/api/v1/notifications/read", "window_chief", json={}).status_code == 422
    assert api.post("/api/v1/notifications/read", "window_chief", json={"all": True}).get_json() == {
        "marked": 2,
        "unread": 0,
    }
    assert api.get("/api/v1/notifications?unread=1", "clerk").get_json()["unread"] == 1


def test_each_role_lands_on_its_page(pages: Any) -> None:
    """Leaders → dashboard, analysts → processes, auditors → audit, reviewers → inbox."""
    expected = {"director": "/dashboard", "analyst": "/processes", "auditor": "/audit", "clerk": "/inbox"}
    for username, path in expected.items():
        browser = pages()
        response = browser.login(username)
        assert response.headers["Location"] == path, username


@pytest.fixture
def planner_reset(db: Any) -> Iterator[None]:
    """The planner's phone and opt-in as the demo has them, after the test (users outlive tests)."""
    yield
    db.rollback()
    planner = user_named(db, "planner")
    planner.sms_opt_in, planner.phone, planner.phone_hash = False, None, None
    db.commit()


@pytest.mark.usefixtures("planner_reset")
def test_notification_settings_opt_in_needs_a_number_and_stores_it_encrypted(pages: Any, db: Any) -> None:
    reviewer = pages("planner")
    page = reviewer.get("/notifications/settings").get_data(as_text=True)
    assert "Notification settings" in page and "No number on file yet." in page
    refused = reviewer.post("/notifications/settings", {"sms_opt_in": "1"}, page="/notifications/settings")
    assert refused.status_code == 422
    assert "Enter a mobile number to receive text messages." in refused.get_data(as_text=True)
    bad = reviewer.post(
        "/notifications/settings", {"sms_opt_in": "1", "phone": "12345"}, page="/notifications/settings"
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    db.expire_all()
    assert not user_named(db, "planner").sms_opt_in and user_named(db, "planner").phone is None
    db.rollback()

    saved = reviewer.post(
        "/notifications/settings",
        {"sms_opt_in": "1", "phone": "138 0000 2222"},
        page="/notifications/settings",
    )
    assert saved.status_code == 302
    db.expire_all()
    planner = db.scalar(select(User).where(User.username == "planner"))
    assert planner.sms_opt_in and planner.phone.startswith("pii1:")
    assert pii.phone_of(db, planner) == "13800002222"
    db.rollback()
    shown = reviewer.get("/notifications/settings").get_data(as_text=True)
    assert "138****2222" in shown and "checked" in shown and "13800002222" not in shown
    # Opting out keeps the number; the trail names the changes, never the number.
    reviewer.post("/notifications/settings", {"phone": ""}, page="/notifications/settings")
    db.expire_all()
    planner = db.scalar(select(User).where(User.username == "planner"))
    assert not planner.sms_opt_in and pii.phone_of(db, planner) == "13800002222"
    db.rollback()
    details = db.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "user.notification_settings")
        .order_by(AuditEvent.id)
    ).all()
    assert details == [{"phone": "changed", "sms_opt_in": True}, {"sms_opt_in": False}]
    db.rollback()


def test_applicants_have_the_same_settings_in_chinese(pages: Any) -> None:
    applicant = pages("buildco")
    applicant.set_language("zh-CN")
    page = applicant.get("/notifications/settings")
    assert page.status_code == 200 and "通知设置" in page.get_data(as_text=True)
