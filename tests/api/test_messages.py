"""Issue 20: signed messages from integration clients (POST /api/v1/messages), site alerts, and a
case waiting at a message catch event."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app import edge
from app.engine import load_processes
from app.models import AuditEvent, Case, CaseStatus, HumanTask, MessageReceipt, Notification, Timer
from app.services import drafts, integrations, processes
from app.services.demo import permit_application
from app.services.steps.messages import route
from tests.api.test_certificates import approved_permit
from tests.ci_guard import not_applicable
from tests.helpers import submit_permit, user_named
from tests.web.test_applicant import credit_code

PROJECT = "2026-350100-47-01-123456"  # the demo permit application's project code
NAMED = credit_code("T2")  # a company an application names without the bureau having checked it


def _client(api: Any, messages: list[str]) -> tuple[str, str]:
    response = api.post("/api/v1/integrations", "admin", json={"name": "扬尘监测平台", "messages": messages})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["client_id"], body["secret"]


def _send(
    api: Any,
    client: tuple[str, str],
    message: dict[str, Any],
    key: str,
    *,
    at: float | None = None,
    sign: str = "",
) -> Any:
    raw = json.dumps(message, ensure_ascii=False).encode()
    stamp = str(int(at if at is not None else time.time()))
    headers = {
        "X-PermitFlow-Client": client[0],
        "X-PermitFlow-Timestamp": stamp,
        "X-PermitFlow-Signature": sign or integrations.signature(client[1], stamp, raw),
        "Idempotency-Key": key,
        "Content-Type": "application/json",
    }
    return api.client.post("/api/v1/messages", data=raw, headers=headers)


def _alert(value: float, kind: str = "pm25") -> dict[str, Any]:
    payload = {
        "kind": kind,
        "project_code": PROJECT,
        "value": value,
        "threshold": 75,
        "observed_at": "2026-12-02T09:00:00+08:00",
    }
    return {"name": "site_alert", "correlation": {"project_code": PROJECT}, "payload": payload}


def _orders(db: Any) -> list[HumanTask]:
    db.expire_all()
    found = list(db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Task_Rectify")))
    db.rollback()  # SQLite: end the read so the app can write
    return found


def test_an_alert_over_the_rule_orders_the_contractor_once(api: Any, db: Any) -> None:
    approved_permit(api, "扬尘项目")  # the project's granted permit names its contractor
    sensor = _client(api, ["site_alert"])
    first = _send(api, sensor, _alert(160), "a-1")
    assert first.status_code == 201, first.get_json()
    number = first.get_json()["started"]
    [order] = _orders(db)
    contractor = permit_application("扬尘项目")["contractor"]
    assert order.context["performer_credit_code"] == contractor["credit_code"]
    case = db.scalar(select(Case).where(Case.number == number))
    assert case.data["evidence"]["value"] == 160 and case.data["findings"][0]["hazard_level"] == "major"
    inspector = user_named(db, "inspector")
    assert (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == inspector.id, Notification.case_id == case.id)
        )
        == 1
    )
    db.rollback()
    again = _send(api, sensor, _alert(170), "a-2")  # the same kind on the same project, in the window
    assert again.status_code == 200 and again.get_json() == {"resumed": [number]}, again.get_json()
    assert len(_orders(db)) == 1
    window = select(Timer.due_at).join(Case).where(Case.number == number, Timer.bpmn_id == "Timer_WindowOver")
    assert db.scalar(window) is not None  # the repeat window closes by a timer row (wake-up, sweep)
    db.rollback()
    replay = _send(api, sensor, _alert(160), "a-1")  # the same idempotency key: the first answer
    assert (replay.status_code, replay.get_json()) == (201, {"started": number})
    below = _send(api, sensor, _alert(40, "noise"), "a-3")
    assert below.status_code == 201, below.get_json()
    db.expire_all()
    recorded = db.scalar(select(Case).where(Case.number == below.get_json()["started"]))
    assert recorded.status == CaseStatus.CLOSED and recorded.project_code == PROJECT
    assert len(_orders(db)) == 1


def _inspection_notices(db: Any, case: Case) -> list[str]:
    inspector = user_named(db, "inspector")
    stmt = select(Notification.title).where(
        Notification.user_id == inspector.id, Notification.case_id == case.id
    )
    return list(db.scalars(stmt))


def test_an_application_not_granted_orders_nobody_and_the_inspectors_are_told(api: Any, db: Any) -> None:
    """Security review (session 8), finding 2: a pending application names whatever company its
    applicant typed. Without a granted permit the alert orders no one; it is recorded, and the
    inspectors are told to act on site."""
    submit_permit(api, "扬尘项目", contractor={"name": "被冒名公司", "credit_code": NAMED})
    sensor = _client(api, ["site_alert"])
    sent = _send(api, sensor, _alert(160), "n-1")
    assert sent.status_code == 201, sent.get_json()
    assert _orders(db) == []
    case = db.scalar(select(Case).where(Case.number == sent.get_json()["started"]))
    assert (
        case.status == CaseStatus.CLOSED and case.project_code == PROJECT and case.data["contractor"] is None
    )
    [title] = _inspection_notices(db, case)
    assert title.startswith("现场预警：项目无已许可的施工单位，未下达整改")
    db.rollback()


def test_the_granted_permit_names_the_contractor_not_a_newer_application(api: Any, db: Any) -> None:
    approved_permit(api, "扬尘项目")
    submit_permit(api, "扬尘项目", contractor={"name": "被冒名公司", "credit_code": NAMED})
    sent = _send(api, _client(api, ["site_alert"]), _alert(160), "g-1")
    assert sent.status_code == 201, sent.get_json()
    [order] = _orders(db)
    assert (
        order.context["performer_credit_code"] == permit_application("扬尘项目")["contractor"]["credit_code"]
    )


def test_an_account_cannot_start_a_site_alert_itself(api: Any, db: Any) -> None:
    """Only the signed message starts a site alert: an applicant (any locally registered account)
    posting the alert's data as a case would have the project's contractor ordered to rectify."""
    approved_permit(api, "扬尘项目")
    payload = _alert(300)["payload"]
    for user in ("acme", "admin"):
        refused = api.post("/api/v1/cases", user, json={"process": "site_alert", "data": payload})
        assert refused.status_code == 403, refused.get_json()
    assert _orders(db) == []
    assert "site_alert" not in {v.key for v in drafts.startable(db)}
    db.rollback()


def test_refused_messages_store_nothing(api: Any, db: Any) -> None:
    sensor = _client(api, ["site_alert"])
    other = _client(api, ["inspection_passed"])
    old = time.time() - 3600
    refused = [
        (_send(api, sensor, _alert(160), "r-1", sign="0" * 64), 401),
        (_send(api, sensor, _alert(160), "r-2", at=old), 401),
        (_send(api, ("pfc_unknown", "x"), _alert(160), "r-3"), 401),
        (_send(api, other, _alert(160), "r-4"), 403),
    ]
    # Hostile headers: a 400-digit timestamp, a signature outside ASCII, an empty idempotency key.
    raw = json.dumps(_alert(160)).encode()
    stamp = str(int(time.time()))
    good = {"X-PermitFlow-Client": sensor[0], "Content-Type": "application/json"}
    signed = integrations.signature(sensor[1], stamp, raw)
    for headers, status in [
        ({"X-PermitFlow-Timestamp": "9" * 400, "X-PermitFlow-Signature": "0" * 64}, 401),
        ({"X-PermitFlow-Timestamp": stamp, "X-PermitFlow-Signature": "签名" * 32}, 401),
        ({"X-PermitFlow-Timestamp": stamp, "X-PermitFlow-Signature": signed, "Idempotency-Key": ""}, 422),
    ]:
        answer = api.client.post("/api/v1/messages", data=raw, headers={**good, **headers})
        refused.append((answer, status))
    # Anyone may send a body before its signature is checked: no bigger than a message needs.
    huge = json.dumps({**_alert(160), "padding": "x" * 300_000}).encode()
    headers = {**good, "X-PermitFlow-Timestamp": stamp, "X-PermitFlow-Signature": "0" * 64}
    refused.append((api.client.post("/api/v1/messages", data=huge, headers=headers), 413))
    for response, status in refused:
        assert response.status_code == status, response.get_json()
        assert response.get_json()["message"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Case)) == 0
    assert db.scalar(select(func.count()).select_from(MessageReceipt)) == 0
    assert (
        db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("message.%")))
        == 0
    )


WAITER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:message id="Msg_Passed" name="inspection_passed" />
  <bpmn:process id="waits_for_inspection" name="等待检测" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Catch_Passed" />
    <bpmn:intermediateCatchEvent id="Catch_Passed" name="检测合格">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="correlation" value="case_number" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Def_Passed" messageRef="Msg_Passed" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="Catch_Passed" targetRef="End_1" />
    <bpmn:endEvent id="End_1"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="case_status" value="closed" />
    </spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _waiting_cases(app: Any, db: Any, tmp_path: Path, count: int) -> list[Case]:
    path = tmp_path / "waits_for_inspection.bpmn"
    path.write_text(WAITER, encoding="utf-8")
    result = load_processes([path], [], {})
    assert result.ok, result.problems
    processes.deploy_bundle(db, None, result.bundles["waits_for_inspection"])
    from app.services import steps

    version = processes.current_version(db, "waits_for_inspection")
    cases = [steps.advance(db, steps.StartCase(version, {}, None, None)).case for _ in range(count)]
    db.commit()
    return cases


def test_a_waiting_case_resumes_on_its_own_case_number_only(app: Any, db: Any, tmp_path: Path) -> None:
    mine, other = _waiting_cases(app, db, tmp_path, 2)
    routed = route(db, "inspection_passed", {"case_number": mine.number}, {"result": "ok"}, {})
    assert routed.status == 200 and routed.answer == {"resumed": [mine.number]}
    db.commit()
    db.expire_all()
    assert db.get(Case, mine.id).status == CaseStatus.CLOSED
    assert db.get(Case, other.id).status == CaseStatus.IN_PROGRESS


def test_two_racing_messages_have_one_effect(app: Any, db: Any, tmp_path: Path, backend: str) -> None:
    if backend != "postgresql":
        not_applicable("SQLite serialises writers; the race is PostgreSQL's")
    [case] = _waiting_cases(app, db, tmp_path, 1)
    database = edge.of(app).database
    start, answers = threading.Barrier(2), []

    def send(n: int) -> None:
        start.wait()
        try:
            with database.unit_of_work() as session:
                answers.append(
                    route(session, "inspection_passed", {"case_number": case.number}, {"n": n}, {}).status
                )
        except Exception as err:  # noqa: BLE001 - the loser's refusal is the point
            answers.append(getattr(err, "status", repr(err)))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # One at a time (services/steps/messages.py serialise): the second finds the case no longer
    # waiting, and the message is recorded on the case it names.
    assert sorted(answers, key=str) == [200, 202], answers
    db.expire_all()
    received = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "message.received")
    assert db.scalar(received) == 1
