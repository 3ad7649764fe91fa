"""Rectification order (整改通知): every path of processes/rectification_order.bpmn, clock controlled."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import clock, edge
from app.engine import SpecSource
from app.engine.loader import load_processes
from app.errors import Forbidden
from app.models import (
    Case,
    CaseStatus,
    CreditRecord,
    Notification,
    Timer,
    TimerKind,
    User,
)
from app.services import cases, credit, platform
from tests.helpers import complete_at, fire_at, open_task, plain, user_named

SH = ZoneInfo("Asia/Shanghai")
CONTRACTOR_CODE = "91110108MA01ABCD1E"
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)


def order(*levels: str) -> dict[str, Any]:
    """The start data (also what complaint_handling passes when it calls the process)."""
    return {
        "project_name": "滨江花园二期",
        "project_code": "2026-330100-47-01-123456",
        "contractor": {"name": "华建第一工程有限公司", "credit_code": CONTRACTOR_CODE},
        "findings": [
            {"description": f"问题{i}：脚手架连墙件缺失", "hazard_level": level}
            for i, level in enumerate(levels)
        ],
        "legal_basis": "《建设工程安全生产管理条例》第二十八条",
    }


def _start(db: Any, data: dict[str, Any], at: datetime = MONDAY, user: str = "inspector") -> Case:
    with clock.travel_to(at):
        started = cases.start_case(db, user_named(db, user), "rectification_order", data)
        db.commit()
    return started.case


def _report(*indexes: int) -> dict[str, Any]:
    return {"entries": [{"finding_index": i, "measures": f"已补设连墙件（{i}）"} for i in indexes]}


def _view(db: Any, case: Case, at: datetime) -> dict[str, Any]:
    db.expire_all()
    with clock.travel_to(at):
        view = plain(cases.public_view(db, db.get(Case, case.id), with_data=True))
    db.rollback()
    return view


def _notes(db: Any, kind: str, username: str) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == kind, User.username == username)
        )
        or 0
    )


def test_inspector_issues_order_contractor_rectifies_and_it_passes_first_round(db: Any) -> None:
    case = _start(db, order("general", "serious"))
    assert case.status == CaseStatus.WAITING_FOR_APPLICANT
    rectify = open_task(db, case, "Task_Rectify")
    assert rectify.candidate_group == "applicant"
    assert rectify.assignee_id is None  # the contractor company, not the inspector who started it
    assert rectify.context["performer_credit_code"] == CONTRACTOR_CODE
    assert [i["finding_index"] for i in rectify.context["items"]] == [0, 1]
    assert case.data["deadline_days"] == 5 and case.data["work_stopped"] is False
    # 5 working days from Monday 16 November: the close of Monday 23 November.
    overdue = db.scalar(select(Timer).where(Timer.case_id == case.id, Timer.bpmn_id == "Timer_Overdue"))
    assert overdue.due_at == datetime(2026, 11, 23, 17, 30, tzinfo=SH)
    assert overdue.human_task_id == rectify.id and overdue.level == 1

    complete_at(db, case, "Task_Rectify", "buildco", _report(0, 1), datetime(2026, 11, 18, 10, 0, tzinfo=SH))
    assert db.get(Case, case.id).status == CaseStatus.IN_PROGRESS
    # Completing the report cancels its deadline and reminder timers.
    bpmn = db.scalars(select(Timer).where(Timer.case_id == case.id, Timer.kind == TimerKind.BPMN)).all()
    assert {t.bpmn_id for t in bpmn} == {"Timer_Overdue", "Timer_DailyReminder"}
    assert all(t.cancelled_at is not None and t.fired_at is None for t in bpmn)
    db.rollback()
    complete_at(
        db, case, "Task_Verify", "inspector", {"decision": "passed"}, datetime(2026, 11, 30, 10, 0, tzinfo=SH)
    )

    view = _view(db, case, datetime(2026, 11, 30, 11, 0, tzinfo=SH))
    assert view["status"] == "closed" and view["stage"] is None
    assert [(s["name_en"], s["state"], s["outcome"]) for s in view["timeline"]] == [
        ("Application submitted", "completed", "submitted"),
        ("Rectify and report", "completed", None),
        ("Verify the rectification", "completed", "passed"),
    ]
    assert view["data"]["rounds"] == 0
    assert view["data"]["rectification_report"]["entries"][1]["finding_index"] == 1
    assert credit.score(db, CONTRACTOR_CODE) == 100
    assert _notes(db, "escalation.1", "inspection_chief") == 0


def test_failed_twice_goes_back_with_the_open_findings_then_passes(db: Any) -> None:
    case = _start(db, order("general", "serious", "general"))
    complete_at(
        db, case, "Task_Rectify", "buildco", _report(0, 1, 2), datetime(2026, 11, 17, 10, 0, tzinfo=SH)
    )
    complete_at(
        db,
        case,
        "Task_Verify",
        "inspector",
        {"decision": "failed", "open_findings": [1, 2], "comment": "仍有缺失"},
        datetime(2026, 11, 17, 15, 0, tzinfo=SH),
    )
    db.expire_all()
    assert db.get(Case, case.id).data["rounds"] == 1
    second = open_task(db, case, "Task_Rectify")
    assert [i["finding_index"] for i in second.context["items"]] == [1, 2]
    # The serious finding is still open: 5 working days again, from Tuesday 17 November.
    timer = db.scalar(
        select(Timer).where(
            Timer.case_id == case.id, Timer.bpmn_id == "Timer_Overdue", Timer.human_task_id == second.id
        )
    )
    assert timer.due_at == datetime(2026, 11, 24, 17, 30, tzinfo=SH)

    complete_at(db, case, "Task_Rectify", "buildco", _report(1, 2), datetime(2026, 11, 18, 10, 0, tzinfo=SH))
    complete_at(
        db,
        case,
        "Task_Verify",
        "inspector",
        {"decision": "failed", "open_findings": [2]},
        datetime(2026, 11, 18, 15, 0, tzinfo=SH),
    )
    db.expire_all()
    third = open_task(db, case, "Task_Rectify")
    assert [i["finding_index"] for i in third.context["items"]] == [2]
    assert db.get(Case, case.id).data["deadline_days"] == 3  # only a general finding left

    complete_at(db, case, "Task_Rectify", "buildco", _report(2), datetime(2026, 11, 19, 10, 0, tzinfo=SH))
    complete_at(
        db, case, "Task_Verify", "inspector", {"decision": "passed"}, datetime(2026, 11, 19, 15, 0, tzinfo=SH)
    )
    view = _view(db, case, datetime(2026, 11, 19, 16, 0, tzinfo=SH))
    assert view["status"] == "closed"
    assert view["data"]["rounds"] == 2
    assert view["data"]["open_findings"] == [2]
    assert [s["outcome"] for s in view["timeline"] if s["name_en"] == "Verify the rectification"] == [
        "failed",
        "failed",
        "passed",
    ]
    assert len([s for s in view["timeline"] if s["name_en"] == "Rectify and report"]) == 3
    assert credit.score(db, CONTRACTOR_CODE) == 100


def test_overdue_escalates_deducts_credit_and_reminds_each_working_day(db: Any) -> None:
    case = _start(db, order("general"))  # 3 working days: due the close of Thursday 19 November
    assert case.data["deadline_days"] == 3
    assert fire_at(db, case, datetime(2026, 11, 19, 17, 29, tzinfo=SH)) == 0

    assert fire_at(db, case, datetime(2026, 11, 19, 17, 31, tzinfo=SH)) == 1
    rectify = open_task(db, case, "Task_Rectify")
    assert rectify.escalation_level == 1
    assert _notes(db, "escalation.1", "inspection_chief") == 1  # the supervising group's supervisor
    assert _notes(db, "escalation.1", "inspector") == 0
    assert _notes(db, "reminder", "buildco") == 1
    assert credit.score(db, CONTRACTOR_CODE) == 95
    [record] = credit.records(db, CONTRACTOR_CODE)
    assert (record.delta, record.reason, record.case_id, record.source) == (
        -5,
        "逾期未完成整改",
        case.id,
        "EndEvent_CreditDeducted",
    )

    # A reminder on each following working day; quiet at the weekend.
    assert fire_at(db, case, datetime(2026, 11, 20, 17, 31, tzinfo=SH)) == 1  # Friday
    assert _notes(db, "reminder", "buildco") == 2
    assert fire_at(db, case, datetime(2026, 11, 21, 17, 31, tzinfo=SH)) == 1  # Saturday
    assert fire_at(db, case, datetime(2026, 11, 22, 17, 31, tzinfo=SH)) == 1  # Sunday
    assert _notes(db, "reminder", "buildco") == 2
    assert fire_at(db, case, datetime(2026, 11, 23, 17, 31, tzinfo=SH)) == 1  # Monday
    assert _notes(db, "reminder", "buildco") == 3
    # Deducted once however long it stays overdue; the task is still open and escalated.
    assert credit.score(db, CONTRACTOR_CODE) == 95
    assert open_task(db, case, "Task_Rectify").id == rectify.id

    complete_at(db, case, "Task_Rectify", "buildco", _report(0), datetime(2026, 11, 24, 9, 0, tzinfo=SH))
    assert fire_at(db, case, datetime(2026, 11, 25, 17, 31, tzinfo=SH)) == 0
    assert _notes(db, "reminder", "buildco") == 3
    complete_at(
        db, case, "Task_Verify", "inspector", {"decision": "passed"}, datetime(2026, 11, 24, 15, 0, tzinfo=SH)
    )
    view = _view(db, case, datetime(2026, 11, 24, 16, 0, tzinfo=SH))
    assert view["status"] == "closed"
    assert [s["name_en"] for s in view["timeline"]] == [
        "Application submitted",
        "Rectify and report",
        "Verify the rectification",
    ]
    assert credit.score(db, CONTRACTOR_CODE) == 95
    rows = db.scalars(select(Timer).where(Timer.case_id == case.id, Timer.kind == TimerKind.BPMN)).all()
    assert all(t.fired_at is not None or t.cancelled_at is not None for t in rows)


def test_major_hazard_gives_ten_working_days_and_stops_work(db: Any) -> None:
    case = _start(db, order("general", "major"))
    assert case.data["deadline_days"] == 10 and case.data["work_stopped"] is True
    rectify = open_task(db, case, "Task_Rectify")
    overdue = db.scalar(select(Timer).where(Timer.case_id == case.id, Timer.bpmn_id == "Timer_Overdue"))
    # 10 working days from Monday 16 November: the close of Monday 30 November.
    assert overdue.due_at == datetime(2026, 11, 30, 17, 30, tzinfo=SH)
    assert rectify.context["note"] == "责令停工整改"
    view = _view(db, case, datetime(2026, 11, 17, 9, 0, tzinfo=SH))
    assert view["timeline"][-1]["note"] == "责令停工整改"
    assert [i["hazard_level"] for i in view["requests"][0]["items"]] == ["general", "major"]
    assert fire_at(db, case, datetime(2026, 11, 27, 17, 31, tzinfo=SH)) == 0  # not yet overdue

    complete_at(db, case, "Task_Rectify", "buildco", _report(0, 1), datetime(2026, 11, 27, 10, 0, tzinfo=SH))
    complete_at(
        db, case, "Task_Verify", "inspector", {"decision": "passed"}, datetime(2026, 11, 27, 15, 0, tzinfo=SH)
    )
    view = _view(db, case, datetime(2026, 11, 27, 16, 0, tzinfo=SH))
    assert view["status"] == "closed" and view["data"]["work_stopped"] is True
    assert db.scalar(select(func.count()).select_from(CreditRecord)) == 0


def test_only_the_contractor_company_may_report(api: Any, db: Any) -> None:
    case = _start(db, order("serious"))
    task_id = open_task(db, case, "Task_Rectify").id
    db.rollback()  # end the read so the app can write (SQLite)
    body = {"data": _report(0)}
    # An applicant that is not the contractor, and the inspector who issued the order: refused.
    assert api.post(f"/api/v1/tasks/{task_id}/complete", "acme", json=body).status_code == 403
    assert api.post(f"/api/v1/tasks/{task_id}/complete", "inspector", json=body).status_code == 403
    assert api.get(f"/api/v1/tasks/{task_id}", "acme").status_code == 403
    assert api.get(f"/api/v1/tasks/{task_id}", "buildco").status_code == 200
    response = api.post(f"/api/v1/tasks/{task_id}/complete", "buildco", json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["stage_en"] == "Verify the rectification"


@pytest.mark.parametrize("username", ["acme", "buildco", "clerk"])
def test_only_inspectors_issue_orders(db: Any, username: str) -> None:
    with pytest.raises(Forbidden):
        cases.start_case(db, user_named(db, username), "rectification_order", order("general"))
    db.rollback()


def test_order_form_is_checked_at_start(api: Any) -> None:
    data = order("general")
    data["findings"][0]["hazard_level"] = "minor"
    response = api.post("/api/v1/cases", "inspector", json={"process": "rectification_order", "data": data})
    assert response.status_code == 422
    response = api.post(
        "/api/v1/cases", "inspector", json={"process": "rectification_order", "data": order()}
    )
    assert response.status_code == 422  # at least one finding
    response = api.post(
        "/api/v1/cases", "inspector", json={"process": "rectification_order", "data": order("major")}
    )
    assert response.status_code == 201, response.get_json()


CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="Call_Rectification" calledElement="rectification_order">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Call_Rectification" />
    <bpmn:sequenceFlow id="f2" sourceRef="Call_Rectification" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_called_with_the_start_data_contract(app: Any, db: Any, tmp_path: Any) -> None:
    """complaint_handling calls the process with these keys in its data: the contractor's task, its
    deadline and the overdue credit deduction work from inside a call activity too."""
    root = Path(__file__).resolve().parents[2]
    shutil.copy(root / "processes" / "rectification_order.bpmn", tmp_path)
    (tmp_path / "caller.bpmn").write_text(CALLER, encoding="utf-8")
    plat = edge.of(app).platform
    lanes = plat.lane_groups(root / "processes")
    result = load_processes(
        [tmp_path / "caller.bpmn", tmp_path / "rectification_order.bpmn"], [root / "forms"], lanes
    )
    assert result.ok, result.problems
    bundle = result.bundles["caller"]
    source = SpecSource(bundle.hash, bundle.spec_json, lanes)
    runtime = plat.runtime
    helpers = platform.process_helpers(db)
    with clock.travel_to(MONDAY):
        step = runtime.start(source, {**order("general", "serious"), "complaint_number": "TS1"}, helpers)
    [ready] = step.ready
    assert ready.bpmn_id == "Task_Rectify" and ready.candidate_group == "applicant"
    assert ready.context["performer_credit_code"] == CONTRACTOR_CODE
    assert step.data["deadline_days"] == 5
    with clock.travel_to(datetime(2026, 11, 23, 17, 31, tzinfo=SH)):
        step = runtime.fire_due_timers(source, step.state, helpers)
    assert step.error is None
    assert step.credit_deductions == [
        {
            "bpmn_id": "EndEvent_CreditDeducted",
            "credit_code": CONTRACTOR_CODE,
            "points": 5,
            "reason": "逾期未完成整改",
        }
    ]
    with clock.travel_to(datetime(2026, 11, 24, 9, 0, tzinfo=SH)):
        step = runtime.complete(source, step.state, ready.id, _report(0, 1))
        [verify] = step.ready
        step = runtime.complete(source, step.state, verify.id, {"decision": "passed"})
    assert step.finished and step.error is None and step.credit_deductions == []
