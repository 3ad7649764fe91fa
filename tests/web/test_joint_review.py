"""The joint-review panel on a parallel review's task page: every agency of the round, its state,
due date, reviewer and opinion; who is still pending; one round at a time."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import clock
from app.models import HumanTask
from app.services import cases, joint_review, tasks
from tests.helpers import complete_at, open_task, user_named

SH = ZoneInfo("Asia/Shanghai")
ALL_FOUR = {
    "project_name": "北湖联合审查综合体",
    "floor_area": 30000,
    "project_type": "commercial",
    "building_height": 80,
    "underground_area": 6000,
}


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH)


def _start(db: Any) -> int:
    with clock.travel_to(_at(16, 9)):
        case = cases.start_case(db, user_named(db, "acme"), "parallel_review", ALL_FOUR).case
        db.commit()
    return case.id


def _panel(html: str) -> str:
    found = re.search(r'<section class="card joint-review".*?</section>', html, re.S)
    assert found is not None, "no joint-review panel"
    return found.group(0)


def _agency(panel: str, group: str) -> str:
    found = re.search(rf'<li class="joint-agency[^"]*" data-group="{group}">.*?</li>', panel, re.S)
    assert found is not None, f"no {group} in the panel"
    return found.group(0)


def test_each_reviewer_sees_the_others_opinions_and_who_is_pending(db: Any, pages: Any) -> None:
    case_id = _start(db)
    reject = {"decision": "reject", "comment": "疏散通道宽度不足"}
    complete_at(db, case_id, "Task_FireReview", "fire_officer", reject, _at(17, 10))
    planning = open_task(db, case_id, "Task_PlanningReview")
    db.rollback()

    panel = _panel(pages("planner").get(f"/tasks/{planning.id}").get_data(as_text=True))
    fire = _agency(panel, "fire")
    assert "Fire safety review" in fire and "孙消防" in fire and "Opinion given" in fire
    assert "Reject" in fire and "疏散通道宽度不足" in fire
    own = _agency(panel, "planning")
    assert "This task" in own and "Waiting for this agency" in own
    assert "1 of 4 agencies have given their opinion" in panel
    for pending in ("Planning review", "Environmental review", "Civil air defence review"):
        assert pending in panel.split("still pending:")[1].split("</p>")[0]

    # The planner's opinion reaches the fire reviewer's (closed) task page, in Chinese too.
    approve = {"decision": "approve", "comment": "符合规划"}
    complete_at(db, case_id, "Task_PlanningReview", "planner", approve, _at(17, 11))
    fire_task = db.query(HumanTask).filter_by(case_id=case_id, bpmn_id="Task_FireReview").one()
    db.rollback()
    html = pages("fire_officer", language="zh_CN").get(f"/tasks/{fire_task.id}").get_data(as_text=True)
    panel = _panel(html)
    assert "符合规划" in _agency(panel, "planning") and "赵规划" in _agency(panel, "planning")
    assert "联合审查" in panel and "尚待" in panel


def test_a_task_that_reviews_alone_has_no_panel_and_rounds_stay_apart(db: Any, pages: Any) -> None:
    case_id = _start(db)
    approve = {"decision": "approve"}
    correct = {"decision": "correct", "correction_items": ["补充消防车道图"]}
    complete_at(db, case_id, "Task_PlanningReview", "planner", approve, _at(17, 10))
    complete_at(db, case_id, "Task_FireReview", "fire_officer", correct, _at(17, 10))
    complete_at(db, case_id, "Task_EnvironmentReview", "env_officer", approve, _at(17, 10))
    complete_at(db, case_id, "Task_CivilDefenceReview", "civil_officer", approve, _at(17, 10))
    notice = open_task(db, case_id, "Task_MergedCorrection")
    assert joint_review.joint_review(db, notice, tasks.task_sla) is None
    complete_at(db, case_id, "Task_MergedCorrection", "acme", {"response": "已补充"}, _at(18, 10))

    # Round 2 has only fire: it reviews alone, without the first round's opinions.
    again = open_task(db, case_id, "Task_FireReview")
    assert joint_review.joint_review(db, again, tasks.task_sla) is None
    db.rollback()
    html = pages("fire_officer").get(f"/tasks/{again.id}").get_data(as_text=True)
    assert "joint-review" not in html

    # A first-round task still shows its own round of four.
    first = (
        db.query(HumanTask)
        .filter_by(case_id=case_id, bpmn_id="Task_PlanningReview")
        .order_by(HumanTask.id)
        .first()
    )
    found = joint_review.joint_review(db, first, tasks.task_sla)
    assert found is not None and len(found.agencies) == 4 and found.pending == []
    db.rollback()


def test_staff_outside_the_review_cannot_open_the_panel(db: Any, pages: Any) -> None:
    case_id = _start(db)
    planning = open_task(db, case_id, "Task_PlanningReview")
    db.rollback()
    assert pages("inspector").get(f"/tasks/{planning.id}").status_code == 403
