"""The named after-step effects (steps/effects.py), each driven with a step made by hand on a real
case: the wake-up, the audit event, the credit deductions and the certificate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from app.engine import EngineError
from app.models import AuditEvent, Case, Certificate, CreditRecord, Timer, TimerKind
from app.services import deferred
from app.services.gateway import Mirrored
from app.services.steps import effects
from tests.helpers import user_named
from tests.services.test_gateway_mirror import NOW, _mirror, _result
from tests.services.test_steps import _start

DEDUCTION = {
    "credit_code": "91350100MA2XYZ1234",
    "points": 3,
    "reason": "逾期 {case}",
    "bpmn_id": "Event_Late",
}


def _step(case: Case, **extra: Any) -> effects.AfterStep:
    fields: dict[str, Any] = {
        "case": case,
        "result": _result(case),
        "mirrored": Mirrored(was_approved=False),
        "actor": None,
        "action": "test.step",
        "detail": {"k": "v"},
    }
    return effects.AfterStep(**{**fields, **extra})


def _events(db: Any, case: Case) -> list[AuditEvent]:
    db.commit()  # audit events are written with the transaction
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id, AuditEvent.action == "test.step")
            .order_by(AuditEvent.id)
        )
    )


def test_the_wake_up_is_the_earliest_live_timer_of_the_step(db: Any) -> None:
    case = _start(db)
    rows = [
        Timer(case_id=case.id, kind=TimerKind.BPMN, due_at=NOW, created_at=NOW),
        Timer(case_id=case.id, kind=TimerKind.BPMN, due_at=NOW.replace(hour=1), created_at=NOW),
    ]
    effects.schedule_wakeup(db, _step(case, mirrored=Mirrored(False, unfired=rows)))
    assert db.info.pop(deferred._KEY) == [deferred.WakeCase(case.id, NOW.replace(hour=1))]
    effects.schedule_wakeup(db, _step(case))
    assert db.info.get(deferred._KEY) is None
    db.rollback()


def test_the_audit_event_names_the_action_the_actor_the_status_and_an_error(db: Any) -> None:
    case = _start(db)
    clerk = user_named(db, "clerk")
    effects.record_audit(db, _step(case, actor=clerk))
    error = EngineError("the gateway has no way out", task_name="网关", bpmn_id="Gateway_1")
    effects.record_audit(db, _step(case, result=replace(_result(case), error=error)))
    plain, failed = _events(db, case)
    assert plain.actor_id == clerk.id and plain.detail == {"k": "v", "status": "in_progress"}
    assert failed.actor_id is None
    assert failed.detail == {"k": "v", "status": "in_progress", "error": error.as_dict()}
    db.rollback()


def test_each_credit_deduction_of_the_step_is_recorded_against_the_case(db: Any) -> None:
    case = _start(db)
    other = {**DEDUCTION, "credit_code": "91350100MA2ABC5678", "points": 1, "bpmn_id": "Event_Other"}
    effects.deduct_credit(
        db, _step(case, result=replace(_result(case), credit_deductions=[DEDUCTION, other]))
    )
    records = list(db.scalars(select(CreditRecord).order_by(CreditRecord.id)))
    assert [(r.credit_code, r.delta, r.reason, r.case_id, r.source) for r in records] == [
        ("91350100MA2XYZ1234", -3, f"逾期 {case.number}", case.id, "Event_Late"),
        ("91350100MA2ABC5678", -1, f"逾期 {case.number}", case.id, "Event_Other"),
    ]
    db.rollback()


def _approved(db: Any) -> tuple[Case, Any]:
    case = _start(db)
    _mirror(db, case, _result(case, finished=True, end_status="approved"))
    properties = {"case_status": "approved", "certificate": "permit", "certificate_issuer": "测试住建局"}
    return case, replace(_result(case), end_properties=properties)


def test_an_approving_end_event_issues_its_certificate_once(db: Any) -> None:
    case, result = _approved(db)
    effects.issue_certificate(db, _step(case, result=result, actor=user_named(db, "clerk")))
    (cert,) = db.scalars(select(Certificate).where(Certificate.case_id == case.id))
    assert cert.kind == "permit" and cert.issuer == "测试住建局"
    db.commit()
    issued = db.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
    assert issued.actor_id == user_named(db, "clerk").id
    db.rollback()


def test_no_certificate_without_the_property_or_once_approved_before(db: Any) -> None:
    case, result = _approved(db)
    effects.issue_certificate(db, _step(case, result=result, mirrored=Mirrored(was_approved=True)))
    without = replace(result, end_properties={"case_status": "approved"})
    effects.issue_certificate(db, _step(case, result=without))
    assert db.scalar(select(Certificate.id)) is None
    db.rollback()


def test_no_certificate_for_a_case_that_is_not_approved(db: Any) -> None:
    case = _start(db)
    result = replace(_result(case), end_properties={"certificate": "permit"})
    effects.issue_certificate(db, _step(case, result=result))
    assert db.scalar(select(Certificate.id)) is None
    db.rollback()


def test_every_effect_runs_after_a_step(db: Any) -> None:
    case, result = _approved(db)
    row = Timer(case_id=case.id, kind=TimerKind.BPMN, due_at=NOW, created_at=NOW)
    result = replace(result, credit_deductions=[DEDUCTION])
    effects.run_effects(db, _step(case, result=result, mirrored=Mirrored(False, unfired=[row])))
    assert db.info.pop(deferred._KEY) == [deferred.WakeCase(case.id, NOW)]
    assert len(_events(db, case)) == 1
    assert db.scalar(select(CreditRecord.delta)) == -3
    assert db.scalar(select(Certificate.kind)) == "permit"
    db.rollback()
