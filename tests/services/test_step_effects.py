"""The named after-step effects (steps/effects.py), each driven with a step made by hand on a real
case: the wake-up, the audit event, the credit deductions, the certificate, the applicant told of
the decision, the webhook outbox, the groups told by events and the messages thrown on."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.engine import EngineError, ThrownMessage
from app.models import (
    AuditEvent,
    Case,
    CaseStatus,
    Certificate,
    CreditRecord,
    Notification,
    Timer,
    TimerKind,
    WebhookDelivery,
)
from app.services import deferred, processes, steps, webhooks
from app.services.gateway import Mirrored
from app.services.steps import effects
from app.services.webhook_events import EVENTS
from tests.engine.bpmn_factory import condition_process, write
from tests.helpers import case_events, user_named
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


def _decided(db: Any, end_status: str) -> Case:
    """A case its last step just ended with ``end_status`` (approved, rejected or closed)."""
    case = _start(db)
    _mirror(db, case, _result(case, finished=True, end_status=end_status))
    return case


def _notes(db: Any, kind: str) -> list[tuple[Any, ...]]:
    rows = db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
    return [(n.user_id, n.case_id, n.title, n.title_en, n.body, n.body_en, n.link) for n in rows]


def test_the_applicant_is_told_of_an_approval_and_a_refusal_with_the_status_page(db: Any) -> None:
    acme = user_named(db, "acme").id
    approved = _decided(db, "approved")
    effects.notify_decision(db, _step(approved))
    refused = _decided(db, "rejected")
    effects.notify_decision(db, _step(refused))
    assert _notes(db, "case.decided") == [
        (
            acme,
            approved.id,
            f"办件已办结：{approved.number} 已批准",
            f"Case decided: {approved.number} approved",
            "步骤测试",
            "步骤测试",
            f"/track/{approved.number}",
        ),
        (
            acme,
            refused.id,
            f"办件已办结：{refused.number} 未获批准",
            f"Case decided: {refused.number} not approved",
            "步骤测试",
            "步骤测试",
            f"/track/{refused.number}",
        ),
    ]
    db.rollback()


def test_a_decision_without_a_project_name_is_told_with_an_empty_body(db: Any) -> None:
    case = _decided(db, "approved")
    case.project_name = None
    effects.notify_decision(db, _step(case))
    ((_user, _case, _title, _title_en, body, body_en, _link),) = _notes(db, "case.decided")
    assert (body, body_en) == ("", "")
    db.rollback()


def test_no_decision_notice_before_the_end_after_it_or_without_an_applicant(db: Any) -> None:
    running = _start(db)
    effects.notify_decision(db, _step(running))  # in progress: nothing decided
    closed = _decided(db, "closed")
    effects.notify_decision(db, _step(closed))  # closed is no decision
    again = _decided(db, "approved")
    effects.notify_decision(db, _step(again, mirrored=Mirrored(True, was_final=True)))  # told before
    anonymous = _decided(db, "rejected")
    anonymous.applicant_id = None
    effects.notify_decision(db, _step(anonymous))
    assert _notes(db, "case.decided") == []
    db.rollback()


def _subscribe(db: Any, *events: list[str]) -> list[int]:
    """Subscriptions made as an administrator makes them, one per list of event types (their ids):
    a step whose case lock saw none live in this transaction asks for none again (webhooks.py)."""
    admin = user_named(db, "admin")
    return [
        webhooks.subscribe(db, admin, f"http://127.0.0.1:9/hooks/{i}", e).webhook.id
        for i, e in enumerate(events)
    ]


def _outbox(db: Any) -> list[tuple[int, str, str, dict[str, Any]]]:
    """The outbox in order: subscription, event, case number and the body's event part (the body
    without its id, time and case), after checking the body names its event and case."""
    rows = list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
    out = []
    for row in rows:
        body = json.loads(row.body)
        assert body["event"] == row.event and body["case"]["number"] == row.case_number
        extra = {k: v for k, v in body.items() if k not in {"id", "event", "occurred_at", "case"}}
        out.append((row.webhook_id, row.event, row.case_number, extra))
    return out


def test_a_submission_is_queued_for_the_subscriptions_to_case_started_only(db: Any) -> None:
    case = _start(db)
    every, _tasks_only = _subscribe(db, list(EVENTS), ["task.completed"])
    effects.queue_webhooks(db, _step(case, action="case.submitted"))
    assert _outbox(db) == [(every, "case.started", case.number, {})]
    db.rollback()


def test_a_completed_task_is_queued_with_the_task_of_the_step(db: Any) -> None:
    case = _start(db)
    (hook,) = _subscribe(db, list(EVENTS))
    detail = {"task_id": 7, "task": "Task_Acceptance", "name": "受理", "outcome": "accepted"}
    effects.queue_webhooks(db, _step(case, action="task.completed", detail=detail))
    task = {"id": 7, "bpmn_id": "Task_Acceptance", "name": "受理", "outcome": "accepted"}
    assert _outbox(db) == [(hook, "task.completed", case.number, {"task": task})]
    db.rollback()


def test_a_step_of_a_running_case_that_is_no_submission_or_completion_queues_nothing(db: Any) -> None:
    case = _start(db)
    _subscribe(db, list(EVENTS))
    effects.queue_webhooks(db, _step(case, action="task.claimed", detail={"task_id": 7}))
    assert _outbox(db) == []
    db.rollback()


def test_an_approval_is_queued_as_decided_certificate_issued_and_closed_in_that_order(db: Any) -> None:
    case, result = _approved(db)
    (hook,) = _subscribe(db, list(EVENTS))
    step = _step(case, result=result, action="task.completed", detail={"task_id": 9})
    effects.issue_certificate(db, step)
    (cert,) = db.scalars(select(Certificate).where(Certificate.case_id == case.id))
    effects.queue_webhooks(db, step)
    queued = _outbox(db)
    assert [(h, event) for h, event, _n, _e in queued] == [
        (hook, "task.completed"),
        (hook, "case.decided"),
        (hook, "certificate.issued"),
        (hook, "case.closed"),
    ]
    assert queued[1][3] == {"decision": "approved"} and queued[3][3] == {}
    part = queued[2][3]["certificate"]
    assert (part["number"], part["kind"], part["issuer"]) == (cert.number, "permit", "测试住建局")
    db.rollback()


def test_a_refusal_is_queued_as_decided_and_closed_and_a_closing_as_closed_only(db: Any) -> None:
    refused = _decided(db, "rejected")
    closed = _decided(db, "closed")
    (hook,) = _subscribe(db, list(EVENTS))
    # An end event asking for a certificate does not issue one on a refusal: none announced.
    asks = replace(_result(refused), end_properties={"certificate": "permit"})
    effects.queue_webhooks(db, _step(refused, result=asks))
    effects.queue_webhooks(db, _step(closed))
    assert _outbox(db) == [
        (hook, "case.decided", refused.number, {"decision": "rejected"}),
        (hook, "case.closed", refused.number, {}),
        (hook, "case.closed", closed.number, {}),
    ]
    db.rollback()


def test_only_the_certificate_this_step_issued_is_announced(db: Any) -> None:
    case, result = _approved(db)
    (hook,) = _subscribe(db, list(EVENTS))
    effects.issue_certificate(db, _step(case, result=result))
    # The case holds a certificate, but this step's end event asks for none.
    effects.queue_webhooks(db, _step(case, result=replace(result, end_properties={})))
    assert [event for _h, event, _n, _e in _outbox(db)] == ["case.decided", "case.closed"]
    db.rollback()


def test_a_step_of_a_case_that_had_ended_announces_no_end_again(db: Any) -> None:
    case, result = _approved(db)
    (hook,) = _subscribe(db, list(EVENTS))
    effects.issue_certificate(db, _step(case, result=result))
    ended = Mirrored(was_approved=True, was_final=True)
    effects.queue_webhooks(db, _step(case, result=result, mirrored=ended, action="test.step"))
    assert _outbox(db) == []
    db.rollback()


NOTICES = [
    {"group": "window", "title": "超期提醒", "title_en": "Overdue"},
    {"group": "planning", "title": "请会审", "title_en": "Joint review"},
]


def test_each_notice_of_the_step_tells_its_groups_members_with_the_projects_page(db: Any) -> None:
    case = _start(db)
    effects.notify_groups(db, _step(case, result=replace(_result(case), notices=NOTICES)))
    ids = {name: user_named(db, name).id for name in ("clerk", "window_chief", "planner", "planning_chief")}
    tail = ("步骤测试", "步骤测试", "/projects/2026-350100-47-01-123456")
    window = (f"超期提醒：{case.number}", f"Overdue: {case.number}", *tail)
    planning = (f"请会审：{case.number}", f"Joint review: {case.number}", *tail)
    assert sorted(_notes(db, "case.notice")) == sorted(
        [
            (ids["clerk"], case.id, *window),
            (ids["window_chief"], case.id, *window),
            (ids["planner"], case.id, *planning),
            (ids["planning_chief"], case.id, *planning),
        ]
    )
    db.rollback()


def test_a_notice_of_a_case_without_a_project_has_no_link_and_an_empty_body(db: Any) -> None:
    case = _start(db)
    case.project_name = None
    case.project_code = None
    effects.notify_groups(db, _step(case, result=replace(_result(case), notices=NOTICES[:1])))
    notes = _notes(db, "case.notice")
    assert len(notes) == 2  # the window's clerk and chief
    assert {(body, body_en, link) for *_head, body, body_en, link in notes} == {("", "", None)}
    effects.notify_groups(db, _step(case))  # a step without notices tells nobody
    assert len(_notes(db, "case.notice")) == 2
    db.rollback()


def test_a_thrown_message_is_routed_on_and_one_nobody_takes_is_noted_on_the_thrower(db: Any) -> None:
    case = _start(db)
    # Keyed by the case's number (from the case, the payload names none): nothing waits for it and
    # no process starts on it, so it is recorded on the case it names.
    named = ThrownMessage("effects_test_named", {}, ("case_number",))
    unknown = ThrownMessage("effects_test_lost", {"project_code": "NO-SUCH-PROJECT"}, ("project_code",))
    thrown = replace(_result(case), messages_thrown=[named, unknown])
    effects.route_messages(db, _step(case, result=thrown))
    db.commit()
    (recorded,) = case_events(db, case, "message.recorded")
    assert recorded.detail == {"from_case": case.number, "hops": 1, "message": "effects_test_named"}
    (unrouted,) = case_events(db, case, "message.unrouted")
    assert unrouted.detail == {"message": "effects_test_lost"}


def test_a_case_ending_at_its_start_is_queued_started_and_closed(app: Any, db: Any, tmp_path: Path) -> None:
    """A new case's row holds its end before the step's mirror runs (it is inserted once): the step
    still counts it as a case that ended in this step, so its end's effects come too."""
    key = "ends_at_its_start"
    with app.app_context():
        processes.deploy_processes(db, None, [write(tmp_path, key, condition_process(key, "False"))])
        db.commit()
    _subscribe(db, list(EVENTS))  # in the start's own transaction
    case = steps.advance(db, steps.StartCase(processes.current_version(db, key), {}, None, None)).case
    assert case.status == CaseStatus.CLOSED
    events = sorted(event for _hook, event, _number, _extra in _outbox(db))
    assert events == ["case.closed", "case.started"]
    db.rollback()
