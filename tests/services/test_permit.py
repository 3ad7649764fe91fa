"""Construction permit (施工许可): every path of processes/construction_permit.bpmn, clock controlled —
acceptance with its one consolidated correction notice, 容缺受理 by credit score, the parallel review
it calls, the decision and the certificate."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import clock
from app.models import Case, Certificate, Notification, User
from app.services import cases, credit, tasks
from app.services.demo import APPLICANTS, permit_application
from tests.helpers import complete_at, open_task, plain, user_named

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)
ACME = APPLICANTS[0][2]
APPROVE = {"decision": "approve", "comment": "符合要求"}
THREE = {
    "Task_PlanningReview": "planner",
    "Task_FireReview": "fire_officer",
    "Task_EnvironmentReview": "env_officer",
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def submit(db: Any, **extra: Any) -> Case:
    with clock.travel_to(MONDAY):
        started = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", {**permit_application("北湖安置房"), **extra}
        )
        db.commit()
    return started.case


def view(db: Any, case: Case, when: datetime) -> dict[str, Any]:
    db.expire_all()
    with clock.travel_to(when):
        shown = plain(cases.public_view(db, db.get(Case, case.id), with_data=True))
    db.rollback()
    return shown


def reviews(db: Any, case: Case, when: datetime, **decisions: dict[str, Any]) -> None:
    for bpmn_id, user in THREE.items():
        complete_at(db, case, bpmn_id, user, decisions.get(bpmn_id, APPROVE), when)


def certificates_of(db: Any, case: Case) -> list[Certificate]:
    found = list(db.scalars(select(Certificate).where(Certificate.case_id == case.id)))
    db.rollback()
    return found


def decided_notes(db: Any, case: Case) -> list[tuple[str, str, str | None]]:
    """The `case.decided` notifications of the case: (recipient, English title, link)."""
    rows = db.execute(
        select(User.username, Notification.title_en, Notification.link)
        .join(User, User.id == Notification.user_id)
        .where(Notification.case_id == case.id, Notification.kind == "case.decided")
    ).all()
    db.rollback()
    return [tuple(r) for r in rows]


def steps(shown: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(s["name_en"], s["outcome"]) for s in shown["timeline"]]


def test_accepted_reviewed_granted_with_certificate(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 11))
    reviews(db, case, at(18, 10))
    complete_at(
        db,
        case,
        "Task_Decision",
        "permit_officer",
        {"decision": "approve", "permit_valid_until": "2029-12-31"},
        at(19, 10),
    )
    shown = view(db, case, at(19, 11))
    assert shown["status"] == "approved" and shown["stage"] is None
    assert shown["data"]["deficient"] is False and shown["data"]["review_outcome"] == "approved"
    assert steps(shown)[:2] == [("Application submitted", "submitted"), ("Acceptance check", "accept")]
    assert steps(shown)[-1] == ("Permit decision", "approve")
    assert shown["clock"]["pauses"] == []
    [certificate] = certificates_of(db, case)
    assert certificate.valid_until.isoformat() == "2029-12-31"
    # The applicant is told once, with a link to the status page.
    assert decided_notes(db, case) == [
        ("acme", f"Case decided: {case.number} approved", f"/track/{case.number}")
    ]


def test_two_correction_notices_pause_the_clock_then_an_agency_rejects(db: Any) -> None:
    case = submit(db)
    due_at_start = view(db, case, at(16, 10))["due_at"]
    for round_no, (asked, answered) in enumerate([(at(16, 11), at(18, 11)), (at(18, 15), at(20, 11))], 1):
        items = [f"第{round_no}次：施工合同缺少签章页", "安全措施方案未盖章"]
        complete_at(
            db, case, "Task_Acceptance", "clerk", {"decision": "correct", "correction_items": items}, asked
        )
        shown = view(db, case, asked)
        assert shown["status"] == "waiting_for_applicant" and shown["clock"]["paused"] is True
        assert [r["items"] for r in shown["requests"]] == [items]  # one notice with every item
        complete_at(db, case, "Task_Correction", "acme", {"response": "已补充"}, answered)
    shown = view(db, case, at(20, 12))
    assert shown["data"]["correction_rounds"] == 2 and len(shown["clock"]["pauses"]) == 2
    assert shown["due_at"] > due_at_start  # the paused working days are added to the statutory limit
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(20, 14))
    reviews(db, case, at(23, 10), Task_FireReview={"decision": "reject", "comment": "消防通道不足"})
    shown = view(db, case, at(23, 11))
    assert shown["status"] == "rejected"
    assert shown["data"]["review_reasons"] == [{"agency": "fire", "comment": "消防通道不足"}]
    assert "Permit decision" not in [s[0] for s in steps(shown)]
    assert [s for s in steps(shown) if s[0] == "Acceptance check"] == [
        ("Acceptance check", "correct"),
        ("Acceptance check", "correct"),
        ("Acceptance check", "accept"),
    ]
    assert certificates_of(db, case) == []


def test_agency_corrections_inside_the_permit_then_refused_by_decision(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 11))
    reviews(
        db,
        case,
        at(17, 10),
        Task_FireReview={"decision": "correct", "correction_items": ["补充消防车道图"]},
        Task_EnvironmentReview={"decision": "correct", "correction_items": ["补充噪声评估"]},
    )
    notice = open_task(db, case, "Task_MergedCorrection")
    assert notice.context["items"] == ["消防：补充消防车道图", "环保：补充噪声评估"]
    assert notice.assignee_id == user_named(db, "acme").id
    db.rollback()
    complete_at(db, case, "Task_MergedCorrection", "acme", {"response": "已补充"}, at(18, 10))
    complete_at(db, case, "Task_FireReview", "fire_officer", APPROVE, at(19, 10))
    complete_at(db, case, "Task_EnvironmentReview", "env_officer", APPROVE, at(19, 11))
    complete_at(
        db,
        case,
        "Task_Decision",
        "permit_officer",
        {
            "decision": "reject",
            "reasons": "资金证明不足",
            "legal_basis": "《建筑工程施工许可管理办法》第四条",
        },
        at(20, 10),
    )
    shown = view(db, case, at(20, 11))
    assert shown["status"] == "rejected" and shown["data"]["review_round"] == 2
    assert steps(shown)[-1] == ("Permit decision", "reject")
    assert decided_notes(db, case) == [
        ("acme", f"Case decided: {case.number} not approved", f"/track/{case.number}")
    ]
    assert len(shown["clock"]["pauses"]) == 1
    assert certificates_of(db, case) == []


def test_deficient_acceptance_holds_the_permit_until_the_documents_arrive(db: Any) -> None:
    case = submit(db)
    missing = ["资金证明原件", "监理合同"]
    complete_at(
        db,
        case,
        "Task_Acceptance",
        "clerk",
        {"decision": "accept_deficient", "missing_documents": missing},
        at(16, 11),
    )
    shown = view(db, case, at(16, 12))
    assert shown["status"] == "in_progress" and shown["clock"]["paused"] is False  # the review goes on
    assert shown["data"]["deficient"] is True and shown["data"]["credit_at_acceptance"] == 100
    reviews(db, case, at(17, 10))
    complete_at(db, case, "Task_Decision", "permit_officer", {"decision": "approve"}, at(18, 10))

    # Granted but held: the applicant is asked for the missing documents, the clock stops, no certificate.
    shown = view(db, case, at(18, 11))
    assert shown["status"] == "waiting_for_applicant" and shown["stage"] == "补齐容缺材料"
    assert shown["clock"]["paused"] is True
    assert [r["items"] for r in shown["requests"]] == [missing]
    assert certificates_of(db, case) == []

    # Supplied twice incompletely, then complete.
    for n, when in enumerate([at(19, 10), at(23, 10)]):
        complete_at(db, case, "Task_Supplement", "acme", {"response": f"第{n + 1}次补充"}, when)
        still = ["监理合同"] if n == 0 else ["监理合同（盖章页）"]
        complete_at(
            db,
            case,
            "Task_CheckSupplement",
            "clerk",
            {"decision": "incomplete", "missing_documents": still},
            when,
        )
        assert open_task(db, case, "Task_Supplement").context["items"] == still
        db.rollback()
        assert certificates_of(db, case) == []
    complete_at(db, case, "Task_Supplement", "acme", {"response": "已全部补齐"}, at(24, 10))
    complete_at(db, case, "Task_CheckSupplement", "clerk", {"decision": "complete"}, at(24, 15))
    shown = view(db, case, at(24, 16))
    assert shown["status"] == "approved"
    assert [s[1] for s in steps(shown) if s[0] == "Check the supplied documents"] == [
        "incomplete",
        "incomplete",
        "complete",
    ]
    assert len(shown["clock"]["pauses"]) == 3 and all(p["to"] for p in shown["clock"]["pauses"])
    assert len(certificates_of(db, case)) == 1


def test_deficient_acceptance_needs_credit_80_else_the_documents_become_a_correction(db: Any) -> None:
    credit.deduct(db, ACME, 25, "逾期整改")
    db.commit()
    case = submit(db)
    missing = ["资金证明原件"]
    complete_at(
        db,
        case,
        "Task_Acceptance",
        "clerk",
        {"decision": "accept_deficient", "missing_documents": missing},
        at(16, 11),
    )
    correction = open_task(db, case, "Task_Correction")
    assert correction.context["items"] == missing
    assert "信用分低于 80" in correction.context["note"]
    detail = plain(tasks.task_detail(db, user_named(db, "acme"), correction.id))
    assert detail["credit_score"] == 75
    assert [(d["points"], d["reason"]) for d in detail["credit_deductions"]] == [(25, "逾期整改")]
    db.rollback()
    complete_at(db, case, "Task_Correction", "acme", {"response": "已提交原件"}, at(17, 10))
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(17, 11))
    shown = view(db, case, at(17, 12))
    assert shown["data"]["deficient"] is False and shown["data"]["correction_rounds"] == 1
    assert {s[0] for s in steps(shown)} >= {"Planning review", "Fire review", "Environmental review"}


def test_reviewers_see_the_builders_credit_score(db: Any) -> None:
    case = submit(db)
    acceptance = open_task(db, case, "Task_Acceptance")
    assert plain(tasks.task_detail(db, user_named(db, "clerk"), acceptance.id))["credit_score"] == 100
    db.rollback()
    credit.deduct(db, ACME, 5, "投诉查实")
    db.commit()
    detail = plain(tasks.task_detail(db, user_named(db, "clerk"), acceptance.id))
    assert detail["credit_score"] == 95 and detail["credit_deductions"][0]["reason"] == "投诉查实"
    db.rollback()


def test_deficient_acceptance_weighs_the_account_not_a_credit_code_typed_into_the_form(db: Any) -> None:
    """acme (75) names buildco (100) as builder: the platform still weighs acme's verified account."""
    credit.deduct(db, ACME, 25, "逾期整改")
    db.commit()
    # The builder's name and code are bound to the account now (x-prefill: naming buildco is refused,
    # tests/api/test_form_rules.py); left out, they come from the account; buildco (100) stays the
    # contractor named in the form, which must not lend acme its score either.
    case = submit(db, builder={"contact_name": "张伟"})
    complete_at(
        db,
        case,
        "Task_Acceptance",
        "clerk",
        {"decision": "accept_deficient", "missing_documents": ["资金证明原件"]},
        at(16, 11),
    )
    assert open_task(db, case, "Task_Correction").context["items"] == ["资金证明原件"]
    shown = view(db, case, at(16, 12))
    assert shown["data"]["applicant"] == {"kind": "company", "credit_code": ACME}
    assert shown["data"].get("deficient") is not True
