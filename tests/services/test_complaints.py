"""Complaint handling (投诉举报): every path of processes/complaint_handling.bpmn, clock controlled."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict, Forbidden, InvalidData
from app.models import AuditEvent, Case, CaseStatus, CreditRecord, Timer, TimerKind
from app.services import cases, complaints, credit, stats, tasks, timers
from app.services.demo import APPLICANTS
from tests.helpers import complete_at, open_task, plain, user_named

SH = ZoneInfo("Asia/Shanghai")
CONTRACTOR_CODE = "91110108MA01ABCD1E"  # the demo contractor, buildco
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)
ANSWER = "经查，该工地夜间施工已责令停止，并处以罚款。"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def complaint(**extra: Any) -> dict[str, Any]:
    return {
        "category": "noise_dust",
        "location": "北湖区滨江路88号工地",
        "description": "工地每晚22点后仍在施工，噪声扰民，扬尘严重。",
        **extra,
    }


def order() -> dict[str, Any]:
    """What the inspector records: the start data of rectification_order."""
    return {
        "project_name": "滨江花园二期",
        "contractor": {"name": "华建第一工程有限公司", "credit_code": CONTRACTOR_CODE},
        "findings": [{"description": "夜间违规施工，未采取降噪措施", "hazard_level": "serious"}],
        "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条",
    }


def _start(db: Any, data: dict[str, Any] | None = None, user: str | None = None) -> Case:
    with clock.travel_to(MONDAY):
        started = cases.start_case(
            db, user_named(db, user) if user else None, "complaint_handling", data or complaint()
        )
        db.commit()
    return started.case


def _view(db: Any, case: Case, when: datetime, *, with_data: bool = True) -> dict[str, Any]:
    db.expire_all()
    with clock.travel_to(when):
        view = plain(cases.public_view(db, db.get(Case, case.id), with_data=with_data))
    db.rollback()
    return view


def _steps(view: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(s["name_en"], s["state"], s["outcome"]) for s in view["timeline"]]


def _route(db: Any, case: Case, department: str, when: datetime | None = None) -> None:
    complete_at(
        db,
        case,
        "Task_Triage",
        "dispatcher",
        {"decision": "route", "department": department},
        when or at(16, 10),
    )


def _rate(db: Any, case: Case, data: dict[str, Any], when: datetime, user: str | None = None) -> None:
    """The complainant rates the answer on the status page (anonymous: as the query code's holder)."""
    db.expire_all()
    with clock.travel_to(when):
        complaints.rate(db, db.get(Case, case.id), user_named(db, user) if user else None, data)
        db.commit()


def _open_timers(db: Any, case: Case) -> list[Timer]:
    return list(
        db.scalars(
            select(Timer).where(
                Timer.case_id == case.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
            )
        )
    )


def test_anonymous_complaint_routed_answered_and_rated_satisfied(db: Any) -> None:
    case = _start(db, complaint(evidence=["a1b2c3"], contact={"name": "李先生", "phone": "13912345678"}))
    assert case.number.startswith("TS") and case.applicant_id is None
    assert case.status == CaseStatus.IN_PROGRESS
    triage = open_task(db, case, "Task_Triage")
    assert triage.candidate_group == "complaint_desk"
    assert triage.due_at == at(17, 17, 30)  # 1 working day

    _route(db, case, "construction")
    handle = open_task(db, case, "Task_Handle")
    assert handle.candidate_group == "construction"  # the department chosen at triage
    assert handle.due_at == at(23, 17, 30)  # 5 working days

    complete_at(
        db, case, "Task_Handle", "permit_officer", {"decision": "answered", "answer": ANSWER}, at(18, 10)
    )
    rate = open_task(db, case, "Task_Rate")
    assert rate.candidate_group == "applicant" and rate.assignee_id is None  # the complainant
    assert rate.context["note"] == ANSWER  # the answer, shown in the public timeline
    [rating_timer] = [t for t in _open_timers(db, case) if t.kind == TimerKind.BPMN]
    assert rating_timer.bpmn_id == "Timer_Rating" and rating_timer.due_at == at(2, 17, 30).replace(month=12)

    public = _view(db, case, at(18, 11), with_data=False)
    assert "data" not in public and public["timeline"][-1]["note"] == ANSWER

    with clock.travel_to(at(19, 8)), pytest.raises(Forbidden):  # the desk no longer rates for them
        tasks.complete_task(db, user_named(db, "dispatcher"), rate.id, {"rating": "satisfied"})
    db.rollback()
    _rate(db, case, {"rating": "satisfied"}, at(19, 9))
    view = _view(db, case, at(19, 10))
    assert view["status"] == "closed" and view["stage"] is None
    assert _steps(view) == [
        ("Application submitted", "completed", "submitted"),
        ("Triage the complaint", "completed", "route"),
        ("Handle the complaint", "completed", "answered"),
        ("Rate the answer", "completed", None),
    ]
    data = view["data"]
    assert (data["rating"], data["reopened"], data["answer"]) == ("satisfied", 0, ANSWER)
    assert data["triage"]["department"] == "construction" and data["contact"]["phone"] == "13912345678"
    assert _open_timers(db, case) == []
    db.rollback()

    with clock.travel_to(at(20, 9)):
        report = stats.bureau_stats(db, process="complaint_handling")
    db.rollback()
    [row] = report.processes
    assert row.complaint_satisfaction == 1.0 and row.cases_completed == 1


def test_abuse_is_rejected_at_triage(db: Any) -> None:
    case = _start(db)
    complete_at(
        db, case, "Task_Triage", "dispatcher", {"decision": "abuse", "comment": "恶意重复骚扰"}, at(16, 11)
    )
    view = _view(db, case, at(16, 12))
    assert view["status"] == "rejected"
    assert _steps(view) == [
        ("Application submitted", "completed", "submitted"),
        ("Triage the complaint", "completed", "abuse"),
    ]
    assert view["data"]["rating"] is None and view["data"]["triage"]["decision"] == "abuse"
    assert _open_timers(db, case) == []


def test_duplicate_is_merged_with_the_other_number_recorded(db: Any) -> None:
    first = _start(db)
    second = _start(db, complaint(description="滨江路工地夜间施工噪声"))
    # A merge must name the case it duplicates.
    task = open_task(db, second, "Task_Triage")
    db.rollback()
    with clock.travel_to(at(16, 11)), pytest.raises(InvalidData, match="duplicate_of"):
        tasks.complete_task(db, user_named(db, "dispatcher"), task.id, {"decision": "duplicate"})
    db.rollback()

    complete_at(
        db,
        second,
        "Task_Triage",
        "dispatcher",
        {"decision": "duplicate", "duplicate_of": first.number},
        at(16, 11),
    )
    view = _view(db, second, at(16, 12))
    assert view["status"] == "closed"
    assert view["data"]["duplicate_of"] == first.number
    assert _steps(view)[-1] == ("Triage the complaint", "completed", "duplicate")
    assert _view(db, first, at(16, 12))["status"] == "in_progress"


def test_not_satisfied_reopens_once_then_closes(db: Any) -> None:
    case = _start(db)
    _route(db, case, "environment")
    complete_at(
        db, case, "Task_Handle", "env_officer", {"decision": "answered", "answer": ANSWER}, at(17, 10)
    )
    _rate(db, case, {"rating": "not_satisfied", "rating_comment": "仍有噪声"}, at(18, 9))
    review = open_task(db, case, "Task_Review")
    assert review.candidate_group == "bureau"
    assert review.due_at == at(25, 17, 30)
    db.expire_all()
    assert db.get(Case, case.id).data["reopened"] == 1
    db.rollback()

    revised = "复核后已联合执法，责令该工地22点后停止施工，并安装噪声监测设备。"
    complete_at(db, case, "Task_Review", "director", {"decision": "revised", "answer": revised}, at(19, 15))
    assert open_task(db, case, "Task_Rate").context["note"] == revised
    _rate(db, case, {"rating": "not_satisfied"}, at(20, 9))

    view = _view(db, case, at(20, 10))
    assert view["status"] == "closed"
    assert _steps(view) == [
        ("Application submitted", "completed", "submitted"),
        ("Triage the complaint", "completed", "route"),
        ("Handle the complaint", "completed", "answered"),
        ("Rate the answer", "completed", None),
        ("Supervisor review", "completed", "revised"),
        ("Rate the answer", "completed", None),
    ]
    data = view["data"]
    assert (data["reopened"], data["rating"], data["first_rating"]) == (1, "not_satisfied", "not_satisfied")
    assert data["answer"] == revised and data["handling"]["answer"] == ANSWER
    assert _open_timers(db, case) == []


def test_inspection_calls_a_rectification_order_then_the_department_answers(db: Any) -> None:
    case = _start(db, complaint(category="safety", description="脚手架无防护网"))
    _route(db, case, "construction")
    complete_at(db, case, "Task_Handle", "permit_officer", {"decision": "inspect"}, at(16, 14))
    inspect = open_task(db, case, "Task_Inspect")
    assert inspect.candidate_group == "inspection"
    complete_at(db, case, "Task_Inspect", "inspector", order(), at(17, 10))

    rectify = open_task(db, case, "Task_Rectify")  # inside the called rectification_order
    assert rectify.candidate_group == "applicant"
    assert rectify.context["performer_credit_code"] == CONTRACTOR_CODE
    db.expire_all()
    current = db.get(Case, case.id)
    assert current.status == CaseStatus.WAITING_FOR_APPLICANT and current.data["deadline_days"] == 5
    db.rollback()
    complete_at(
        db,
        case,
        "Task_Rectify",
        "buildco",
        {"entries": [{"finding_index": 0, "measures": "已停止夜间施工并加装隔音屏"}]},
        at(18, 10),
    )
    complete_at(db, case, "Task_Verify", "inspector", {"decision": "passed"}, at(19, 10))

    answer = open_task(db, case, "Task_Answer")
    assert answer.candidate_group == "construction"
    final = "经现场检查，已责令施工单位整改并复查合格。"
    complete_at(db, case, "Task_Answer", "permit_officer", {"answer": final}, at(19, 15))
    assert open_task(db, case, "Task_Rate").context["note"] == final
    _rate(db, case, {"rating": "satisfied"}, at(20, 9))

    view = _view(db, case, at(20, 10))
    assert view["status"] == "closed"
    assert _steps(view) == [
        ("Application submitted", "completed", "submitted"),
        ("Triage the complaint", "completed", "route"),
        ("Handle the complaint", "completed", "inspect"),
        ("On-site inspection", "completed", None),
        ("Rectify and report", "completed", None),
        ("Verify the rectification", "completed", "passed"),
        ("Answer the complaint", "completed", None),
        ("Rate the answer", "completed", None),
    ]
    data = view["data"]
    assert data["verification"]["decision"] == "passed" and data["rounds"] == 0
    assert data["contractor"]["credit_code"] == CONTRACTOR_CODE
    assert (data["answer"], data["rating"], data["category"]) == (final, "satisfied", "safety")
    assert _open_timers(db, case) == []


COMPANY = {"name": "华建第一工程有限公司", "credit_code": CONTRACTOR_CODE}


def _credit_records(db: Any) -> list[tuple[str, int, str, int | None, str | None]]:
    db.expire_all()
    rows = db.scalars(select(CreditRecord).order_by(CreditRecord.id))
    found = [(r.credit_code, r.delta, r.reason, r.case_id, r.source) for r in rows]
    db.rollback()
    return found


def test_a_substantiated_answer_deducts_the_companys_credit_once(db: Any) -> None:
    case = _start(db)
    _route(db, case, "construction")
    substantiated = {"decision": "answered", "answer": ANSWER, "substantiated": True, "company": COMPANY}
    complete_at(db, case, "Task_Handle", "permit_officer", substantiated, at(17, 10))

    reason = f"投诉查实（{case.number}）"
    assert _credit_records(db) == [(CONTRACTOR_CODE, -3, reason, case.id, "Event_CreditDeducted")]
    assert credit.score(db, CONTRACTOR_CODE) == 97
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "credit.deducted"))
    assert event.case_id == case.id and event.detail["points"] == 3 and event.detail["reason"] == reason
    db.rollback()

    # Reopened after a "not satisfied" and answered again by the bureau: no second deduction.
    _rate(db, case, {"rating": "not_satisfied"}, at(18, 9))
    complete_at(db, case, "Task_Review", "director", {"decision": "upheld", "answer": ANSWER}, at(19, 9))
    _rate(db, case, {"rating": "satisfied"}, at(20, 9))
    assert _view(db, case, at(20, 10))["status"] == "closed"
    assert len(_credit_records(db)) == 1 and credit.score(db, CONTRACTOR_CODE) == 97
    db.rollback()


@pytest.mark.parametrize(
    "extra", [{}, {"substantiated": False}, {"substantiated": False, "company": COMPANY}]
)
def test_an_answer_not_substantiated_deducts_nothing(db: Any, extra: dict[str, Any]) -> None:
    case = _start(db)
    _route(db, case, "construction")
    answer = {"decision": "answered", "answer": "经查，投诉情况不属实。", **extra}
    complete_at(db, case, "Task_Handle", "permit_officer", answer, at(17, 10))
    assert open_task(db, case, "Task_Rate") is not None
    assert _credit_records(db) == [] and credit.score(db, CONTRACTOR_CODE) == 100
    db.rollback()


@pytest.mark.parametrize(
    ("company", "named"),
    [
        (None, "company"),
        ({"name": "华建第一工程有限公司", "credit_code": "91110108MA01ABCD1X"}, "company.credit_code"),
        ({"credit_code": CONTRACTOR_CODE}, "company.name"),
    ],
)
def test_a_substantiated_answer_must_name_a_valid_company(
    db: Any, company: dict[str, Any] | None, named: str
) -> None:
    case = _start(db)
    _route(db, case, "construction")
    handle = open_task(db, case, "Task_Handle")
    data = {"decision": "answered", "answer": ANSWER, "substantiated": True}
    if company is not None:
        data["company"] = company
    with clock.travel_to(at(17, 10)), pytest.raises(InvalidData) as refused:
        tasks.complete_task(db, user_named(db, "permit_officer"), handle.id, data)
    db.rollback()
    assert list(refused.value.errors) == [named]
    assert open_task(db, case, "Task_Handle").id == handle.id  # still open, nothing deducted
    assert _credit_records(db) == []
    db.rollback()


def test_the_answer_after_an_inspection_decides_the_deduction(db: Any) -> None:
    case = _start(db, complaint(category="safety", description="脚手架无防护网"))
    _route(db, case, "construction")
    complete_at(db, case, "Task_Handle", "permit_officer", {"decision": "inspect"}, at(16, 14))
    complete_at(db, case, "Task_Inspect", "inspector", order(), at(17, 10))
    report = {"entries": [{"finding_index": 0, "measures": "已加装防护网"}]}
    complete_at(db, case, "Task_Rectify", "buildco", report, at(18, 10))
    complete_at(db, case, "Task_Verify", "inspector", {"decision": "passed"}, at(19, 10))
    assert _credit_records(db) == []  # rectified in time: nothing yet

    final = {"answer": "经现场检查，投诉属实，已责令整改。", "substantiated": True, "company": COMPANY}
    complete_at(db, case, "Task_Answer", "permit_officer", final, at(19, 15))
    assert _credit_records(db) == [
        (CONTRACTOR_CODE, -3, f"投诉查实（{case.number}）", case.id, "Event_CreditDeducted")
    ]
    assert open_task(db, case, "Task_Rate").context["note"] == final["answer"]


def test_rating_timer_closes_the_case_without_a_rating(db: Any) -> None:
    case = _start(db)
    _route(db, case, "planning")
    complete_at(db, case, "Task_Handle", "planner", {"decision": "answered", "answer": ANSWER}, at(16, 15))
    # 10 working days from Monday 16 November: the close of Monday 30 November.
    with clock.travel_to(at(30, 17, 29)):
        assert timers.fire_due(db, case.id) == 0
        db.commit()
    assert open_task(db, case, "Task_Rate") is not None
    with clock.travel_to(at(30, 17, 31)):
        assert timers.fire_due(db, case.id) == 1
        db.commit()

    view = _view(db, case, at(30, 18))
    assert view["status"] == "closed"
    assert _steps(view)[-1] == ("Rate the answer", "cancelled", None)
    assert view["data"]["rating"] is None and view["data"]["reopened"] == 0
    assert _open_timers(db, case) == []


def test_a_citizen_with_an_account_is_the_applicant_and_rates_it_from_that_account(db: Any) -> None:
    case = _start(db, user="acme")
    assert case.applicant_id == user_named(db, "acme").id
    assert open_task(db, case, "Task_Triage").candidate_group == "complaint_desk"
    _route(db, case, "construction")
    complete_at(
        db, case, "Task_Handle", "permit_officer", {"decision": "answered", "answer": ANSWER}, at(17, 10)
    )
    rate = open_task(db, case, "Task_Rate")
    assert rate.assignee_id == user_named(db, "acme").id
    db.expire_all()
    assert db.get(Case, case.id).status == CaseStatus.WAITING_FOR_APPLICANT
    db.rollback()
    for who in (None, "buildco"):  # not anonymously, not another account
        with pytest.raises(Conflict):
            _rate(db, case, {"rating": "satisfied"}, at(18, 9), who)
        db.rollback()
    with pytest.raises(InvalidData):
        _rate(db, case, {"rating": "great"}, at(18, 9), "acme")
    db.rollback()
    _rate(db, case, {"rating": "satisfied"}, at(18, 9), "acme")
    assert _view(db, case, at(18, 10))["data"]["rating"] == "satisfied"
    with pytest.raises(Conflict):  # rated already: nothing waits for a rating
        _rate(db, case, {"rating": "not_satisfied"}, at(18, 11), "acme")
    db.rollback()


def test_complaint_form_is_checked_at_start(api: Any) -> None:
    body = {"process": "complaint_handling", "data": complaint(contact={"phone": "12345"})}
    assert api.post("/api/v1/cases", json=body).status_code == 422
    body = {"process": "complaint_handling", "data": complaint(category="traffic")}
    assert api.post("/api/v1/cases", json=body).status_code == 422
    response = api.post("/api/v1/cases", json={"process": "complaint_handling", "data": complaint()})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"].startswith("TS")


def test_the_company_ordered_to_rectify_sees_the_order_not_the_complainant(db: Any) -> None:
    """acme (logged in) complains about buildco's site; buildco performs the rectification: it must
    learn neither who complained nor the complainant's credit standing."""
    data = complaint(category="safety", contact={"name": "李举报", "phone": "13900001111"})
    case = _start(db, data, user="acme")
    credit.deduct(db, APPLICANTS[0][2], 7, "逾期整改")
    db.commit()
    _route(db, case, "construction")
    complete_at(db, case, "Task_Handle", "permit_officer", {"decision": "inspect"}, at(16, 14))
    complete_at(db, case, "Task_Inspect", "inspector", order(), at(17, 10))
    rectify = open_task(db, case, "Task_Rectify")
    detail = plain(tasks.task_detail(db, user_named(db, "buildco"), rectify.id))
    shown = repr(detail["data"])
    assert "李举报" not in shown and "13900001111" not in shown and "扰民" not in shown
    assert detail["data"]["findings"] == order()["findings"]
    assert detail["data"]["legal_basis"] == order()["legal_basis"]
    assert detail["credit_score"] == 100  # buildco's own, not the complainant's 93
    assert detail["credit_deductions"] == []
    db.rollback()


def test_the_timeline_names_each_outcome_as_its_form_names_the_choice(db: Any) -> None:
    case = _start(db)
    _route(db, case, "construction")
    [triage] = [s for s in _view(db, case, at(16, 11))["timeline"] if s["outcome"] == "route"]
    assert (triage["outcome_title"], triage["outcome_title_en"]) == ("转办", "Route to a department")
    first = _view(db, case, at(16, 11))["timeline"][0]
    assert first["outcome"] == "submitted" and first.get("outcome_title") is None
