"""The bureau's inbox (scope=all for the bureau's leaders): every task escalated to level 2 from any
group, plus the bureau's own; lower levels stay with the agencies; leaders may open what they see."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import clock
from app.services import cases
from tests.helpers import complete_at, fire_at, open_task, user_named

SH = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def _two_reviews(db: Any) -> int:
    """Planning and fire review a case started Monday 16 November (due Monday 23rd, 17:30)."""
    with clock.travel_to(_at(16, 9)):
        data = {"project_name": "某督办项目", "floor_area": 1500}
        case = cases.start_case(db, user_named(db, "acme"), "parallel_review", data).case
        db.commit()
    return case.id


def _ids(api: Any, user: str, when: datetime, **args: str) -> set[int]:
    query = "&".join(f"{k}={v}" for k, v in {"scope": "all", "per_page": "100", **args}.items())
    with clock.travel_to(when):
        response = api.get(f"/api/v1/tasks?{query}", user)
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_level_two_escalations_reach_the_bureau_inbox_and_level_one_does_not(db: Any, api: Any) -> None:
    case_id = _two_reviews(db)
    complete_at(db, case_id, "Task_PlanningReview", "planner", {"decision": "approve"}, _at(17, 10))
    fire_at(db, case_id, _at(23, 17, 31))  # overdue: level 1, the fire supervisor's
    fire = open_task(db, case_id, "Task_FireReview")
    fire_id, level = fire.id, fire.escalation_level
    db.rollback()
    assert level == 1
    assert fire_id not in _ids(api, "director", _at(24, 9))
    assert fire_id in _ids(api, "fire_chief", _at(24, 9))
    with clock.travel_to(_at(24, 9)):
        assert api.get(f"/api/v1/tasks/{fire_id}", "director").status_code == 403

    # Two working days later still overdue: level 2, the bureau's.
    fire_at(db, case_id, _at(26, 9))
    level = open_task(db, case_id, "Task_FireReview").escalation_level
    db.rollback()
    assert level == 2
    for leader in ("director", "deputy"):  # the bureau's head and a member
        assert fire_id in _ids(api, leader, _at(26, 10))
        assert fire_id in _ids(api, leader, _at(26, 10), sla="overdue")
    assert fire_id not in _ids(api, "planning_chief", _at(26, 10))
    with clock.travel_to(_at(26, 10)):
        shown = api.get(f"/api/v1/tasks/{fire_id}", "director")
        assert shown.status_code == 200, shown.get_json()
        # Seeing is not doing: the fire group claims and completes its own review.
        assert api.post(f"/api/v1/tasks/{fire_id}/claim", "director").status_code == 403
        # The bureau's leaders are not supervisors of the agency for anything else either.
        assert api.get("/api/v1/tasks?scope=all", "planner").status_code == 403
