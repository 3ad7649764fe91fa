"""BPMN messages through the step path (steps/messages.py), with tiny processes and no HTTP: a
message delivered to the element still waiting for it (refused, naming the case, when that wait is
gone or for another message), routed to the waiting cases, else to a new case of the process whose
start event catches it, else recorded on the case or project it names; and a message a case throws
routed on, hop by hop, no further than MAX_HOPS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app import clock
from app.engine import load_processes
from app.errors import Conflict, NotFound, PermitFlowError
from app.models import AuditEvent, Case, CaseStatus, MessageWait, ProcessVersion
from app.services import platform, processes, steps
from app.services.steps.commands import DeliverMessage
from app.services.steps.messages import MAX_HOPS, route
from tests.helpers import case_events

WHEN = datetime(2026, 11, 18, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D_{key}" targetNamespace="t">
{messages}  <bpmn:process id="{key}" name="{key}" isExecutable="true">
"""
TAIL = """    <bpmn:endEvent id="EndEvent_1"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="case_status" value="closed" />
    </spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
START = '    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>\n'


def _catch(message: str, keys: str, incoming: str, outgoing: str) -> str:
    """An intermediate catch event `Catch_<message>` keyed by `keys`; the payload, valid against
    MESSAGE_SCHEMA, is kept at `messages[<message>]`."""
    return f"""    <bpmn:intermediateCatchEvent id="Catch_{message}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="correlation" value="{keys}" />
        <spiffworkflow:property name="formJsonSchemaFilename" value="message.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Def_Catch_{message}" messageRef="Msg_{message}">
        <bpmn:extensionElements><spiffworkflow:messageVariable>received</spiffworkflow:messageVariable>
        </bpmn:extensionElements></bpmn:messageEventDefinition>
    </bpmn:intermediateCatchEvent>
"""


def _flow(name: str, source: str, target: str) -> str:
    return f'    <bpmn:sequenceFlow id="{name}" sourceRef="{source}" targetRef="{target}" />\n'


def _messages(*names: str) -> str:
    return "".join(f'  <bpmn:message id="Msg_{n}" name="{n}" />\n' for n in names)


def waiter(key: str, message: str, keys: str = "case_number") -> str:
    """Waits for ``message`` keyed by ``keys``, then ends (closed)."""
    body = (
        START
        + _flow("f_start", "StartEvent_1", f"Catch_{message}")
        + _catch(message, keys, "f_start", "f_end")
    )
    body += _flow("f_end", f"Catch_{message}", "EndEvent_1")
    return HEAD.format(key=key, messages=_messages(message)) + body + TAIL


def _throw(incoming: str) -> str:
    """Throws `pong` keyed by case number with the payload its start data named `out` (a target's
    case number, or nothing: then the thrower's own), and when it was thrown plus a working day
    (a helper of the step: scripts run with them)."""
    return f"""    <bpmn:intermediateThrowEvent id="Throw_pong">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="correlation" value="case_number" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Def_Throw_pong" messageRef="Msg_pong">
        <bpmn:extensionElements>
          <spiffworkflow:messagePayload>dict(out, by=working_days(1))</spiffworkflow:messagePayload>
        </bpmn:extensionElements></bpmn:messageEventDefinition>
    </bpmn:intermediateThrowEvent>
"""


# Waits for `ping` (by its case number), then throws `pong`.
RELAY = (
    HEAD.format(key="relay", messages=_messages("ping", "pong"))
    + START
    + _flow("f_start", "StartEvent_1", "Catch_ping")
    + _catch("ping", "case_number", "f_start", "f_caught")
    + _flow("f_caught", "Catch_ping", "Throw_pong")
    + _throw("f_caught")
    + _flow("f_end", "Throw_pong", "EndEvent_1")
    + TAIL
)

# Throws `pong` as it starts.
THROWER = (
    HEAD.format(key="thrower", messages=_messages("pong"))
    + START
    + _flow("f_start", "StartEvent_1", "Throw_pong")
    + _throw("f_start")
    + _flow("f_end", "Throw_pong", "EndEvent_1")
    + TAIL
)

# Started by the message `pf_test_begin` (its payload is the start data, caught into `received`).
STARTER = (
    HEAD.format(key="begins_on_message", messages=_messages("pf_test_begin"))
    + """    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f_end</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Def_Begin" messageRef="Msg_pf_test_begin">
        <bpmn:extensionElements><spiffworkflow:messageVariable>received</spiffworkflow:messageVariable>
        </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:startEvent>
"""
    + _flow("f_end", "StartEvent_1", "EndEvent_1")
    + TAIL
)

PROCESSES = {
    "waits_for_passed": waiter("waits_for_passed", "passed"),
    "waits_for_pong": waiter("waits_for_pong", "pong"),
    "relay": RELAY,
    "thrower": THROWER,
    "begins_on_message": STARTER,
}


# What the catch events' payloads may hold (a payload is kept only as its element's schema declares).
MESSAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "result": {"type": "string"},
        "n": {"type": "integer"},
        "case_number": {"type": "string"},
        "note": {"type": "string"},
        "by": {"type": "string"},
    },
}


@pytest.fixture
def start(app: Any, db: Any, tmp_path: Path) -> Iterator[Any]:
    """``start(key, data)``: a committed case of one of PROCESSES (deployed once per database)."""
    paths = []
    for key, xml in PROCESSES.items():
        paths.append(tmp_path / f"{key}.bpmn")
        paths[-1].write_text(xml, encoding="utf-8")
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "message.schema.json").write_text(json.dumps(MESSAGE_SCHEMA), encoding="utf-8")
    result = load_processes(paths, [forms], {})
    assert result.ok, result.problems
    for bundle in result.bundles.values():
        processes.deploy_bundle(db, None, bundle)
    db.commit()

    def started(key: str, data: dict[str, Any] | None = None) -> Case:
        case = steps.advance(
            db, steps.StartCase(processes.current_version(db, key), data or {}, None, None)
        ).case
        db.commit()
        return case

    yield started
    # Off the current list again: other tests (the export's round trip through the shipped forms
    # folder) see the deployed processes, and these name a schema only this fixture provides.
    db.rollback()
    db.execute(update(ProcessVersion).where(ProcessVersion.key.in_(PROCESSES)).values(is_current=False))
    db.commit()


def _fresh(db: Any, case: Case) -> Case:
    db.expire_all()
    found = db.get(Case, case.id)
    assert found is not None
    return found


def _wait(db: Any, case: Case) -> MessageWait:
    found = db.scalar(select(MessageWait).where(MessageWait.case_id == case.id))
    assert found is not None
    return found


def _refused(db: Any, error: type[PermitFlowError], call: Any) -> str:
    with pytest.raises(error) as caught:
        call()
    db.rollback()
    return caught.value.message


def _actions(db: Any) -> list[tuple[int | None, str]]:
    rows = db.execute(
        select(AuditEvent.case_id, AuditEvent.action)
        .where(AuditEvent.action.like("message.%"))
        .order_by(AuditEvent.id)
    )
    return [(case_id, action) for case_id, action in rows]


def test_a_delivered_message_runs_its_case_on_and_is_audited(db: Any, start: Any) -> None:
    case = start("waits_for_passed")
    wait = _wait(db, case)
    command = DeliverMessage(case.id, "passed", wait.spiff_task_id, {"result": "ok"}, {"via": "test"})
    outcome = steps.advance(db, command)
    db.commit()
    assert outcome.case.id == case.id and outcome.task is None
    found = _fresh(db, case)
    assert found.status is CaseStatus.CLOSED and found.data["messages"]["passed"] == {"result": "ok"}
    (event,) = case_events(db, case, "message.received")
    assert event.actor_id is None
    assert event.detail == {"message": "passed", "element": "Catch_passed", "via": "test", "status": "closed"}
    assert db.scalar(select(MessageWait.id).where(MessageWait.case_id == case.id)) is None


def test_a_message_is_refused_unless_the_case_still_waits_for_it_there(db: Any, start: Any) -> None:
    case, other = start("waits_for_passed"), start("waits_for_passed")
    mine, theirs = _wait(db, case).spiff_task_id, _wait(db, other).spiff_task_id
    expected = f"case {case.number} no longer waits for the message 'passed'"
    for name, element in (("passed", "not-a-task"), ("passed", theirs), ("other", mine)):
        command = DeliverMessage(case.id, name, element, {})
        message = _refused(db, Conflict, lambda c=command: steps.advance(db, c))
        assert message == expected.replace("'passed'", f"'{name}'")
    assert _fresh(db, case).status is CaseStatus.IN_PROGRESS and _actions(db) == []


def test_a_message_resumes_the_cases_waiting_for_it_with_its_hops(db: Any, start: Any) -> None:
    case, other = start("waits_for_passed"), start("waits_for_passed")
    routed = route(db, "passed", {"case_number": case.number}, {"n": 1}, {"client": "c"})
    db.commit()
    assert (routed.status, routed.answer) == (200, {"resumed": [case.number]})
    assert [c.id for c in routed.cases] == [case.id]
    (event,) = case_events(db, case, "message.received")
    assert event.detail == {
        "message": "passed",
        "element": "Catch_passed",
        "client": "c",
        "hops": 0,
        "status": "closed",
    }
    assert _fresh(db, other).status is CaseStatus.IN_PROGRESS
    assert _fresh(db, case).data["messages"]["passed"] == {"n": 1}


def test_a_message_no_case_waits_for_starts_the_process_catching_it(db: Any, start: Any) -> None:
    routed = route(db, "pf_test_begin", {}, {"project_name": "消息立项"}, {"client": "c"})
    db.commit()
    (case,) = routed.cases
    assert (routed.status, routed.answer) == (201, {"started": case.number})
    found = _fresh(db, case)
    assert found.process_key == "begins_on_message" and found.project_name == "消息立项"
    assert found.data["received"] == {"project_name": "消息立项"}  # its start event caught it
    (event,) = case_events(db, case, "case.submitted")
    assert event.detail["message"] == "pf_test_begin" and event.detail["client"] == "c"


def test_an_unawaited_message_is_recorded_on_the_case_or_latest_project_case_it_names(
    db: Any, start: Any
) -> None:
    code = "P" * 64
    older, newer = (start("waits_for_pong", {"project_code": code + "-tail"}) for _ in range(2))
    assert _fresh(db, newer).project_code == code  # cut to the column at filing
    routed = route(db, "site_ok", {"case_number": older.number}, {}, {"client": "c"})
    assert (routed.status, routed.answer, routed.cases) == (202, {"recorded": True}, [older])
    # The uncut code given at filing names the project too (cut the same way).
    by_project = route(db, "site_ok", {"project_code": code + "-tail"}, {}, {})
    assert by_project.status == 202 and [c.id for c in by_project.cases] == [newer.id]
    db.commit()
    (event,) = case_events(db, older, "message.recorded")
    assert event.actor_id is None and event.detail == {"client": "c", "message": "site_ok"}
    assert [e.detail for e in case_events(db, newer, "message.recorded")] == [{"message": "site_ok"}]
    unknown = _refused(db, NotFound, lambda: route(db, "site_ok", {"case_number": "TS-nope"}, {}, {}))
    assert unknown == (
        "no case waits for the message 'site_ok' with this correlation, no process starts on it, "
        "and the correlation names no known case or project"
    )
    assert _refused(db, NotFound, lambda: route(db, "site_ok", {"case_number": 7}, {}, {}))


def test_a_message_through_more_than_max_hops_cases_is_refused(db: Any, start: Any) -> None:
    case = start("waits_for_passed")
    refused = _refused(
        db, Conflict, lambda: route(db, "passed", {"case_number": case.number}, {}, {}, MAX_HOPS + 1)
    )
    assert refused == f"message 'passed': more than {MAX_HOPS} cases in a row threw messages on"
    assert route(db, "passed", {"case_number": case.number}, {}, {}, MAX_HOPS).status == 200


def test_a_thrown_message_reaches_the_case_its_payload_names_one_hop_further(db: Any, start: Any) -> None:
    target = start("waits_for_pong")
    relay = start("relay", {"out": {"case_number": target.number, "note": "转"}})
    with clock.travel_to(WHEN):
        route(db, "ping", {"case_number": relay.number}, {}, {}, 3)
        db.commit()
    assert _fresh(db, relay).status is CaseStatus.CLOSED
    by = platform.calendar(db).add_working_days(WHEN, 1).isoformat()
    assert _fresh(db, target).data["messages"]["pong"] == {
        "case_number": target.number,
        "note": "转",
        "by": by,
    }
    (event,) = case_events(db, target, "message.received")
    assert event.detail == {
        "message": "pong",
        "element": "Catch_pong",
        "from_case": relay.number,
        "hops": 4,
        "status": "closed",
    }


def test_a_thrown_message_naming_no_case_falls_back_to_the_throwing_case(db: Any, start: Any) -> None:
    thrower = start("thrower", {"out": {}})  # thrown as it starts: its first hop
    (event,) = case_events(db, thrower, "message.recorded")
    assert event.detail == {"from_case": thrower.number, "hops": 1, "message": "pong"}


def test_a_thrown_message_past_the_hop_limit_is_left_unrouted(db: Any, start: Any) -> None:
    target = start("waits_for_pong")
    relay = start("relay", {"out": {"case_number": target.number}})
    route(db, "ping", {"case_number": relay.number}, {}, {}, MAX_HOPS)
    db.commit()
    assert _fresh(db, relay).status is CaseStatus.CLOSED
    assert _fresh(db, target).status is CaseStatus.IN_PROGRESS
    assert [e.detail for e in case_events(db, relay, "message.unrouted")] == [{"message": "pong"}]
    assert case_events(db, target, "message.received") == []
