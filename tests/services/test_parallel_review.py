"""Parallel multi-agency review (并联审批): every path of processes/parallel_review.bpmn started on its own,
clock controlled. The permit calls the same process (tests/services/test_permit.py)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import Case, HumanTask, Notification, TaskState, Timer, TimerKind, User
from app.services import cases, processes
from tests.helpers import complete_at, fire_at, open_task, plain, user_named

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)
APPROVE = {"decision": "approve", "comment": "符合要求"}
REVIEWERS = {
    "Task_PlanningReview": "planner",
    "Task_FireReview": "fire_officer",
    "Task_EnvironmentReview": "env_officer",
    "Task_CivilDefenceReview": "civil_officer",
}
ALL_FOUR = {
    "project_name": "北湖中心商业综合体",
    "floor_area": 30000,
    "project_type": "commercial",
    "building_height": 80,
    "underground_area": 6000,
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def correct(*items: str) -> dict[str, Any]:
    return {"decision": "correct", "correction_items": list(items)}


def start(db: Any, data: dict[str, Any], when: datetime = MONDAY) -> Case:
    with clock.travel_to(when):
        started = cases.start_case(db, user_named(db, "acme"), "parallel_review", data)
        db.commit()
    return started.case


def open_reviews(db: Any, case: Case) -> dict[str, str | None]:
    db.expire_all()
    rows = db.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
    ).all()
    found = {t.bpmn_id: t.candidate_group for t in rows}
    db.rollback()
    return found


def view(db: Any, case: Case, when: datetime) -> dict[str, Any]:
    db.expire_all()
    with clock.travel_to(when):
        shown = plain(cases.public_view(db, db.get(Case, case.id), with_data=True))
    db.rollback()
    return shown


def review(db: Any, case: Case, decisions: dict[str, dict[str, Any]], when: datetime) -> None:
    for bpmn_id, data in decisions.items():
        complete_at(db, case, bpmn_id, REVIEWERS[bpmn_id], data, when)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"floor_area": 500, "project_type": "residential"}, {"Task_PlanningReview": "planning"}),
        ({"floor_area": 1500}, {"Task_PlanningReview": "planning", "Task_FireReview": "fire"}),
        (
            {"floor_area": 500, "building_height": 30},
            {"Task_PlanningReview": "planning", "Task_FireReview": "fire"},
        ),
        (
            {"floor_area": 800, "project_type": "industrial"},
            {"Task_PlanningReview": "planning", "Task_EnvironmentReview": "environment"},
        ),
        (
            {"floor_area": 600, "underground_area": 200},
            {"Task_PlanningReview": "planning", "Task_CivilDefenceReview": "civil_defence"},
        ),
        (
            ALL_FOUR,
            {
                "Task_PlanningReview": "planning",
                "Task_FireReview": "fire",
                "Task_EnvironmentReview": "environment",
                "Task_CivilDefenceReview": "civil_defence",
            },
        ),
    ],
)
def test_the_agencies_are_chosen_from_the_project_data(db: Any, data: dict[str, Any], expected: Any) -> None:
    case = start(db, {"project_name": "某项目", **data})
    assert open_reviews(db, case) == expected
    assert case.data["agencies"] == [
        group for group in ["planning", "fire", "environment", "civil_defence"] if group in expected.values()
    ]
    # Each agency has its own 5-working-day limit and its own reminder one working day before.
    db.expire_all()
    for row in db.scalars(select(HumanTask).where(HumanTask.case_id == case.id)):
        assert row.due_at == at(23, 17, 30) and row.time_limit == "5wd"
    timers = db.scalars(select(Timer).where(Timer.case_id == case.id, Timer.kind == TimerKind.BPMN)).all()
    reminders = [t for t in timers if (t.bpmn_id or "").endswith("Reminder")]
    assert len(reminders) == len(expected)
    # And its 超时默认 (deemed consent) at the close of the working day after its due time.
    deemed = [t for t in timers if (t.bpmn_id or "").endswith("Deemed")]
    assert len(deemed) == len(expected) and all(t.due_at == at(24, 17, 30) for t in deemed)
    db.rollback()


def test_all_agencies_approve(db: Any) -> None:
    case = start(db, ALL_FOUR)
    review(db, case, dict.fromkeys(REVIEWERS, APPROVE), at(18, 10))
    shown = view(db, case, at(18, 11))
    assert shown["status"] == "approved" and shown["stage"] is None
    assert shown["data"]["review_outcome"] == "approved"
    assert shown["data"]["review_reasons"] == [] and shown["data"]["review_corrections"] == []
    assert sorted(s["outcome"] for s in shown["timeline"][1:]) == ["approve"] * 4
    assert shown["clock"]["pauses"] == []


def test_any_rejection_rejects_with_every_reason_and_no_correction_notice(db: Any) -> None:
    case = start(db, ALL_FOUR)
    review(
        db,
        case,
        {
            "Task_PlanningReview": APPROVE,
            "Task_FireReview": {"decision": "reject", "comment": "疏散宽度不足"},
            "Task_EnvironmentReview": correct("补充噪声评估"),
            "Task_CivilDefenceReview": {"decision": "reject", "comment": "人防面积不足"},
        },
        at(17, 10),
    )
    shown = view(db, case, at(17, 11))
    assert shown["status"] == "rejected"
    assert shown["data"]["review_reasons"] == [
        {"agency": "fire", "comment": "疏散宽度不足"},
        {"agency": "civil_defence", "comment": "人防面积不足"},
    ]
    assert shown["requests"] == []
    assert [s["name_en"] for s in shown["timeline"]].count("Provide corrections (joint notice)") == 0


def test_corrections_are_merged_into_one_notice_and_only_those_agencies_re_review_twice(db: Any) -> None:
    case = start(db, ALL_FOUR)
    review(
        db,
        case,
        {
            "Task_PlanningReview": APPROVE,
            "Task_FireReview": correct("补充消防车道图", "补充疏散计算书"),
            "Task_EnvironmentReview": correct("补充噪声评估"),
            "Task_CivilDefenceReview": APPROVE,
        },
        at(17, 10),
    )
    # One notice for the applicant with every agency's items; the clock stops while it is open.
    assert open_reviews(db, case) == {"Task_MergedCorrection": "applicant"}
    shown = view(db, case, at(17, 11))
    assert shown["status"] == "waiting_for_applicant" and shown["clock"]["paused"] is True
    assert [r["items"] for r in shown["requests"]] == [
        ["消防：补充消防车道图", "消防：补充疏散计算书", "环保：补充噪声评估"]
    ]
    due_before = shown["due_at"]

    # Two working days later the applicant answers: only fire and environment review again.
    complete_at(db, case, "Task_MergedCorrection", "acme", {"response": "已补充"}, at(19, 10))
    assert open_reviews(db, case) == {"Task_FireReview": "fire", "Task_EnvironmentReview": "environment"}
    shown = view(db, case, at(19, 11))
    assert shown["clock"]["paused"] is False and shown["due_at"] > due_before
    assert shown["data"]["review_round"] == 2 and shown["data"]["pending"] == ["fire", "environment"]

    # Round 2: fire is satisfied, environment asks again — a second notice with only its items.
    review(
        db,
        case,
        {"Task_FireReview": APPROVE, "Task_EnvironmentReview": correct("噪声评估缺少夜间数据")},
        at(20, 10),
    )
    shown = view(db, case, at(20, 11))
    assert [r["items"] for r in shown["requests"]] == [["环保：噪声评估缺少夜间数据"]]
    complete_at(db, case, "Task_MergedCorrection", "acme", {"response": "已补充夜间数据"}, at(23, 10))
    assert open_reviews(db, case) == {"Task_EnvironmentReview": "environment"}

    # Round 3: environment approves; the earlier approvals of the other three stand.
    review(db, case, {"Task_EnvironmentReview": APPROVE}, at(24, 10))
    shown = view(db, case, at(24, 11))
    assert shown["status"] == "approved"
    data = shown["data"]
    assert data["review_round"] == 3 and [h["round"] for h in data["review_history"]] == [1, 2, 3]
    assert {k: v["decision"] for k, v in data["review_history"][-1]["reviews"].items()} == {
        "planning": "approve",
        "fire": "approve",
        "environment": "approve",
        "civil_defence": "approve",
    }
    steps = [(s["name_en"], s["outcome"]) for s in shown["timeline"]]
    assert steps.count(("Planning review", "approve")) == 1
    assert steps.count(("Civil air defence review", "approve")) == 1
    assert [s for s in steps if s[0] == "Fire review"] == [
        ("Fire review", "correct"),
        ("Fire review", "approve"),
    ]
    assert [s[1] for s in steps if s[0] == "Environmental review"] == ["correct", "correct", "approve"]
    assert steps.count(("Provide corrections (joint notice)", None)) == 2
    assert len(shown["clock"]["pauses"]) == 2 and all(p["to"] for p in shown["clock"]["pauses"])


def test_an_agency_reminder_escalation_and_deemed_consent_are_its_own(db: Any) -> None:
    case = start(db, {"project_name": "某厂房", "floor_area": 1500, "project_type": "industrial"})
    review(db, case, {"Task_PlanningReview": APPROVE, "Task_EnvironmentReview": APPROVE}, at(17, 10))
    # Fire's reminder comes after 4 working days (close of Friday 20 November), a working day before its due.
    reminder = db.scalar(select(Timer).where(Timer.case_id == case.id, Timer.bpmn_id == "Timer_FireReminder"))
    assert reminder.due_at == at(20, 17, 30) and reminder.fired_at is None
    db.rollback()
    assert _notes(db, "fire_officer") == 0
    assert fire_at(db, case, at(20, 17, 31)) >= 1
    db.expire_all()
    assert db.get(Timer, reminder.id).fired_at is not None
    db.rollback()
    assert _notes(db, "fire_officer") >= 1 and _notes(db, "planner") == 0
    # Overdue after the close of Monday 23 November: fire's supervisor is told, nobody else's.
    fire_at(db, case, at(23, 17, 31))
    db.expire_all()
    fire_task = open_task(db, case, "Task_FireReview")
    assert fire_task.escalation_level == 1
    assert _notes(db, "fire_chief", "escalation.1") == 1
    assert _notes(db, "planning_chief", "escalation.1") == 0 and _notes(db, "env_chief", "escalation.1") == 0
    # Still no decision at the close of the next working day: 超时默认 (deemed consent) ends the
    # review; fire's supervisor and the lead (window) group are told, no other agency's.
    fire_at(db, case, at(24, 17, 31))
    assert _notes(db, "fire_chief", "review.deemed_consent") == 1
    assert _notes(db, "planning_chief", "review.deemed_consent") == 0
    assert _notes(db, "env_chief", "review.deemed_consent") == 0
    shown = view(db, case, at(24, 17, 32))
    assert shown["status"] == "approved"
    fire_step = next(s for s in shown["timeline"] if s["name_en"] == "Fire review")
    assert fire_step["outcome"] == "deemed_consent" and fire_step["sla"] == "overdue"
    assert shown["data"]["fire_review"]["deemed_consent"] is True


def _notes(db: Any, username: str, kind: str | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .join(User, User.id == Notification.user_id)
        .where(User.username == username)
    )
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    count = db.scalar(stmt) or 0
    db.rollback()
    return int(count)


def test_selection_rule_and_time_limit_change_with_a_bpmn_edit_only(db: Any, tmp_path: Path) -> None:
    """An analyst lowers the fire threshold in the decision table and shortens the fire limit in the
    BPMN text: files only, no Python."""
    root = Path(__file__).resolve().parents[2] / "processes"
    for name in ("parallel_review.bpmn", "review_agencies.dmn", "groups.yaml"):
        shutil.copy(root / name, tmp_path)
    table = tmp_path / "review_agencies.dmn"
    rules = table.read_text(encoding="utf-8")
    assert rules.count("<text>&gt;= 1000</text>") == 1
    table.write_text(rules.replace("<text>&gt;= 1000</text>", "<text>&gt;= 500</text>"), encoding="utf-8")
    path = tmp_path / "parallel_review.bpmn"
    text = path.read_text(encoding="utf-8")
    text, changed = re.subn(
        r'(value="Fire review" />.*?name="time_limit" value=")5wd"', r'\g<1>3wd"', text, count=1, flags=re.S
    )
    assert changed == 1
    assert 'value="3wd"' in text
    path.write_text(text, encoding="utf-8")
    data = {"project_name": "小型商铺", "floor_area": 800, "project_type": "residential"}

    before = start(db, data)
    assert set(open_reviews(db, before)) == {"Task_PlanningReview"}
    original = processes.current_version(db, "parallel_review").id
    try:
        processes.deploy_processes(db, None, [path])
        db.commit()
        after = start(db, data)
        assert open_reviews(db, after) == {"Task_PlanningReview": "planning", "Task_FireReview": "fire"}
        fire = open_task(db, after, "Task_FireReview")
        assert fire.time_limit == "3wd" and fire.due_at == at(19, 17, 30)
        assert open_task(db, after, "Task_PlanningReview").due_at == at(23, 17, 30)
        db.rollback()
    finally:
        processes.deploy_processes(db, None, [root / "parallel_review.bpmn"])
        db.commit()
    assert processes.current_version(db, "parallel_review").id == original
    db.rollback()
