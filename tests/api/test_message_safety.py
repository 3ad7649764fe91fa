"""Issue 20's review: what a message may do to a case. A resuming message's payload is validated
against the schema its catching element declares and kept under its own key (never over the
case's fields); a captured message replayed within the window has no second effect, whatever its
Idempotency-Key; a key reused with another body is refused; two first site alerts of a project at
the same moment start one case."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app import edge
from app.engine import load_processes
from app.models import AuditEvent, Case, MessageReceipt
from app.services import integrations, message_waits
from app.services.steps.messages import route
from tests.api.test_certificates import approved_permit
from tests.api.test_messages import PROJECT, _alert, _client
from tests.ci_guard import not_applicable


def _post(api: Any, client: tuple[str, str], raw: bytes, stamp: str, key: str | None = None) -> Any:
    headers = {
        "X-PermitFlow-Client": client[0],
        "X-PermitFlow-Timestamp": stamp,
        "X-PermitFlow-Signature": integrations.signature(client[1], stamp, raw),
        "Content-Type": "application/json",
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post("/api/v1/messages", data=raw, headers=headers)


def _raw(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


def _permit(api: Any) -> None:
    approved_permit(api, "扬尘项目")  # the project's granted permit names its contractor


def _case(db: Any, number: str) -> Case:
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    db.rollback()  # SQLite: end the read so the app can write
    return case


def _count(db: Any, model: Any) -> int:
    found = int(db.scalar(select(func.count()).select_from(model)))
    db.rollback()
    return found


def test_a_repeat_alert_is_validated_and_kept_apart_from_the_case_data(api: Any, db: Any) -> None:
    _permit(api)
    sensor = _client(api, ["site_alert"])
    stamp = str(int(time.time()))
    first = _post(api, sensor, _raw(_alert(160)), stamp, "p-1")
    assert first.status_code == 201, first.get_json()
    number = first.get_json()["started"]
    before = _case(db, number).data
    assert before["repeats"] == 0 and before["contractor"]["credit_code"]
    receipts = _count(db, MessageReceipt)

    # The receive task declares the alert's schema: a wrong value, or a field it does not declare
    # (a payload trying to set the case's repeat count), is a 422 naming it; nothing is stored.
    wrong = _alert(170)
    wrong["payload"]["value"] = "很高"
    refused = _post(api, sensor, _raw(wrong), stamp, "p-2")
    assert refused.status_code == 422, refused.get_json()
    assert "payload.value" in refused.get_json()["errors"]
    meddling = _alert(170)
    meddling["payload"].update({"repeats": 99, "contractor": {"name": "冒名公司"}})
    refused = _post(api, sensor, _raw(meddling), stamp, "p-3")
    assert refused.status_code == 422, refused.get_json()
    assert "repeats" in json.dumps(refused.get_json(), ensure_ascii=False)
    assert _case(db, number).data == before and _count(db, MessageReceipt) == receipts

    again = _post(api, sensor, _raw(_alert(170)), stamp, "p-4")
    assert again.status_code == 200 and again.get_json() == {"resumed": [number]}, again.get_json()
    after = _case(db, number).data
    # Counted by the process; the repeat's values under messages["site_alert"], the case's own
    # values (the first alert's measurement, the contractor) as they were.
    assert after["repeats"] == 1
    assert after["messages"]["site_alert"]["value"] == 170
    assert after["value"] == 160 and after["evidence"] == before["evidence"]
    assert after["contractor"] == before["contractor"]


MISSING_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:message id="Msg_Passed" name="inspection_passed" />
  <bpmn:process id="waits_with_schema" name="等待检测" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Catch_Passed" />
    <bpmn:intermediateCatchEvent id="Catch_Passed" name="检测合格">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="correlation" value="case_number" />
        <spiffworkflow:property name="formJsonSchemaFilename" value="no_such_result.schema.json" />
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


def test_the_validator_names_the_element_whose_message_schema_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "waits_with_schema.bpmn"
    path.write_text(MISSING_SCHEMA, encoding="utf-8")
    result = load_processes([path], [tmp_path], {})
    assert not result.ok
    [problem] = [p for p in result.problems if "no_such_result.schema.json" in str(p)]
    assert problem.element_id == "Catch_Passed"
    (tmp_path / "no_such_result.schema.json").write_text(
        json.dumps(
            {
                "type": "object",
                "title": "检测结果",
                "properties": {"result": {"type": "string", "title": "结果"}},
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    assert load_processes([path], [tmp_path], {}).ok


def test_a_replayed_message_has_no_second_effect(api: Any, db: Any) -> None:
    _permit(api)
    sensor = _client(api, ["site_alert"])
    stamp = str(int(time.time()))
    raw = _raw(_alert(40, "noise"))  # below the rule: each one starts (and closes) a case
    assert _post(api, sensor, raw, stamp).status_code == 201
    cases = _count(db, Case)
    # Within the window, the same signed message again: with no key, or a key an attacker adds
    # (the key is not signed), it is refused and nothing more is stored.
    for key in (None, "fresh-key"):
        replay = _post(api, sensor, raw, stamp, key)
        assert replay.status_code == 401, replay.get_json()
        assert "replay" in replay.get_json()["message"]
    assert _count(db, Case) == cases and _count(db, MessageReceipt) == 1
    # The same message signed anew is a new message: the sender meant it.
    assert _post(api, sensor, raw, str(int(stamp) + 1)).status_code == 201


def test_a_key_reused_with_another_body_is_refused(api: Any, db: Any) -> None:
    _permit(api)
    sensor = _client(api, ["site_alert"])
    stamp = str(int(time.time()))
    first = _post(api, sensor, _raw(_alert(40, "noise")), stamp, "k-1")
    assert first.status_code == 201
    cases, receipts = _count(db, Case), _count(db, MessageReceipt)
    other = _post(api, sensor, _raw(_alert(41, "noise")), stamp, "k-1")
    assert other.status_code == 422, other.get_json()
    assert "Idempotency-Key" in other.get_json()["errors"]
    assert (_count(db, Case), _count(db, MessageReceipt)) == (cases, receipts)
    # The same body under the same key, signed anew (a sender's retry): the first answer.
    retry = _post(api, sensor, _raw(_alert(40, "noise")), str(int(stamp) + 1), "k-1")
    assert (retry.status_code, retry.get_json()) == (201, first.get_json())


def test_two_first_alerts_at_the_same_moment_start_one_case(
    app: Any, api: Any, db: Any, backend: str, monkeypatch: Any
) -> None:
    if backend != "postgresql":
        not_applicable("SQLite serialises writers; the race is PostgreSQL's")
    _permit(api)
    database = edge.of(app).database
    # Both look for a waiting case before either has started one (when nothing serialises them).
    both_looked = threading.Barrier(2, timeout=2)
    looked_up = message_waits.waiting_for

    def waiting_for(*args: Any) -> Any:
        found = looked_up(*args)
        # Broken (timed out) when the other one is held back until this one's transaction ends.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait()
        return found

    monkeypatch.setattr(message_waits, "waiting_for", waiting_for)
    answers: list[Any] = []

    def send(value: int) -> None:
        payload = _alert(value)["payload"]
        try:
            with database.unit_of_work() as session:
                answers.append(route(session, "site_alert", {"project_code": PROJECT}, payload, {}).status)
        except Exception as err:  # noqa: BLE001 - what each got is the point
            answers.append(repr(err))

    threads = [threading.Thread(target=send, args=(v,)) for v in (160, 170)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers, key=str) == [200, 201], answers
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Case).where(Case.process_key == "site_alert")) == 1
    received = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "message.received")
    assert db.scalar(received) == 1


def test_alerts_simulate_reads_the_secret_from_standard_input_never_from_its_arguments(
    app: Any, api: Any, db: Any
) -> None:
    _permit(api)
    sensor = _client(api, ["site_alert"])
    runner = app.test_cli_runner()
    base = ["alerts", "simulate", "--client", sensor[0], "--project", PROJECT, "--count", "2", "--seed", "7"]
    in_argv = runner.invoke(args=[*base, "--secret", sensor[1]], input=sensor[1] + "\n")
    assert in_argv.exit_code == 2 and "--secret" in in_argv.output  # no such option
    assert _count(db, Case) == 1  # the permit only
    sent = runner.invoke(args=base, input=sensor[1] + "\n")
    assert sent.exit_code == 0, sent.output
    statuses = [line.split()[1] for line in sent.output.splitlines() if line.strip()]
    assert len(statuses) == 2 and set(statuses) <= {"200", "201", "202"}, sent.output
    assert sensor[1] not in sent.output
    empty = runner.invoke(args=base, input="")
    assert empty.exit_code == 2 and "standard input" in empty.output
