"""The bureau's inbox (scope=all for the bureau's leaders): every task escalated to level 2 from any
group, plus the bureau's own; lower levels stay with the agencies; leaders may open what they see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app import clock
from app.services import cases, platform
from app.services.demo import permit_application
from tests.helpers import fire_at, open_task, user_named

SH = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def _escalating_acceptance(db: Any) -> tuple[int, datetime, datetime]:
    """A permit waiting for acceptance since Monday 16 November; when its acceptance is overdue
    (level 1, the window's supervisor) and two working days later (level 2, the bureau's).
    (A parallel review's agency is deemed to agree before its level 2: 超时默认.)"""
    with clock.travel_to(_at(16, 9)):
        case = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application("某督办项目")
        ).case
        db.commit()
    due = open_task(db, case.id, "Task_Acceptance").due_at
    level_two = platform.calendar(db).add_working_days(due, 2)
    db.rollback()
    return case.id, due + timedelta(minutes=1), level_two + timedelta(minutes=1)


def _ids(api: Any, user: str, when: datetime, **args: str) -> set[int]:
    query = "&".join(f"{k}={v}" for k, v in {"scope": "all", "per_page": "100", **args}.items())
    with clock.travel_to(when):
        response = api.get(f"/api/v1/tasks?{query}", user)
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_level_two_escalations_reach_the_bureau_inbox_and_level_one_does_not(db: Any, api: Any) -> None:
    case_id, level_one, level_two = _escalating_acceptance(db)
    fire_at(db, case_id, level_one)  # overdue: level 1, the window supervisor's
    fire = open_task(db, case_id, "Task_Acceptance")
    fire_id, level = fire.id, fire.escalation_level
    db.rollback()
    assert level == 1
    assert fire_id not in _ids(api, "director", level_one)
    assert fire_id in _ids(api, "window_chief", level_one)
    with clock.travel_to(level_one):
        assert api.get(f"/api/v1/tasks/{fire_id}", "director").status_code == 403

    # Two working days later still overdue: level 2, the bureau's.
    fire_at(db, case_id, level_two)
    level = open_task(db, case_id, "Task_Acceptance").escalation_level
    db.rollback()
    assert level == 2
    for leader in ("director", "deputy"):  # the bureau's head and a member
        assert fire_id in _ids(api, leader, level_two + timedelta(minutes=30))
        assert fire_id in _ids(api, leader, level_two + timedelta(minutes=30), sla="overdue")
    assert fire_id not in _ids(api, "planning_chief", level_two + timedelta(minutes=30))
    with clock.travel_to(level_two + timedelta(minutes=30)):
        shown = api.get(f"/api/v1/tasks/{fire_id}", "director")
        assert shown.status_code == 200, shown.get_json()
        # Seeing is not doing: the window claims and completes its own task.
        assert api.post(f"/api/v1/tasks/{fire_id}/claim", "director").status_code == 403
        # The bureau's leaders are not supervisors of the agency for anything else either.
        assert api.get("/api/v1/tasks?scope=all", "planner").status_code == 403
