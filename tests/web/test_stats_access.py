"""Who sees the statistics is decided once (services.stats_access): for every demo role the API
(`GET /api/v1/stats`) and the dashboard (page and CSV) give the same answer and the same figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock
from app.models import HumanTask, User
from app.services import cases, stats_access, tasks
from app.services.demo import permit_application

SH = ZoneInfo("Asia/Shanghai")
PERIOD = "from=2026-10-01&to=2026-10-31"


def _user(db: Any, name: str) -> User:
    user = db.scalar(select(User).where(User.username == name))
    assert user is not None
    return user


@pytest.fixture
def accepted_case(db: Any) -> None:
    with clock.travel_to(datetime(2026, 10, 9, 9, 0, tzinfo=SH)):
        case = cases.start_case(db, _user(db, "acme"), "construction_permit", permit_application("统计权限"))
        db.commit()
    task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.case.id))
    with clock.travel_to(datetime(2026, 10, 12, 10, 0, tzinfo=SH)):
        tasks.complete_task(db, _user(db, "clerk"), task.id, {"decision": "accept"})
        db.commit()


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("clerk", False),
        ("planner", False),
        ("fire_officer", False),
        ("fire_chief", True),  # a supervisor
        ("director", True),  # the bureau's leadership
        ("analyst", False),
        ("admin", True),
        ("auditor", True),
        ("acme", False),  # an applicant
        (None, False),  # anonymous
    ],
)
def test_the_api_and_the_dashboard_answer_alike(
    db: Any, api: Any, pages: Any, accepted_case: None, username: str | None, allowed: bool
) -> None:
    browser = pages(username)
    with clock.travel_to(datetime(2026, 10, 30, 10, 0, tzinfo=SH)):
        from_api = api.get(f"/api/v1/stats?format=csv&{PERIOD}", username)
        page = browser.get(f"/dashboard?{PERIOD}")
        from_page = browser.get(f"/dashboard.csv?{PERIOD}")
    if username is not None:
        assert stats_access.may_see_stats(_user(db, username)) is allowed
        db.rollback()
    if allowed:
        assert (from_api.status_code, page.status_code, from_page.status_code) == (200, 200, 200)
        # The same scope: the whole bureau's figures, byte for byte.
        assert from_page.data == from_api.data
        assert "统计权限" not in from_api.get_data(as_text=True)  # figures, never case data
        assert "construction_permit" in from_api.get_data(as_text=True)
    elif username is None:
        assert from_api.status_code == 401
        assert page.status_code == from_page.status_code == 302
        assert "/login" in page.headers["Location"]
    else:
        assert from_api.status_code == page.status_code == from_page.status_code == 403
        assert from_api.get_json()["message"] == stats_access.REFUSED
