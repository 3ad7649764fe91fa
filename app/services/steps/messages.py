"""BPMN messages through the one step path: delivering a message to the case waiting for it (under
the case's lock), and routing a message (from an integration client, or thrown by another case) to
the cases waiting for it or to a new case of the process whose message start event catches it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.engine.validation.name_sources import form_fields
from app.errors import Conflict, InvalidData, NotFound
from app.models import Case, MessageWait

from .. import audit, gateway, message_waits, personal_data, processes
from ..forms import validate_form
from .commands import DeliverMessage, StartCase, StepOutcome
from .core import Locked, run_engine
from .effects import AfterStep, run_effects

# A message thrown by a case that a case it reaches throws on, and so on: no further than this.
MAX_HOPS = 8
# The first key of the PostgreSQL advisory locks routing messages (the second: the correlation's).
ROUTE_LOCK = 7253904


def deliver(session: Session, command: DeliverMessage, locked: Locked) -> StepOutcome:
    """The locked case catches the message at the element still waiting for it, and runs on."""
    case = locked.case
    wait = session.scalar(
        select(MessageWait)
        .where(MessageWait.case_id == case.id, MessageWait.spiff_task_id == command.spiff_task_id)
        .execution_options(populate_existing=True)
    )
    if wait is None or wait.name != command.name:
        raise Conflict(f"case {case.number} no longer waits for the message '{command.name}'")
    version = processes.version_by_id(session, case.process_version_id)
    schema = processes.form_schema(version, (version.meta.get("message_forms") or {}).get(wait.bpmn_id))
    sealed = personal_data.seal(schema, kept_payload(schema, wait.bpmn_id, command.payload))
    source = processes.spec_source(version)
    message = (command.name, command.spiff_task_id, sealed.data)
    result = run_engine(
        session, lambda runtime, helpers: runtime.deliver(source, case.state, message, helpers)
    )
    sealed.keep(session, case.id)
    mirrored = gateway.mirror(session, case, result, locked.open_tasks)
    detail = {"message": command.name, "element": wait.bpmn_id, **command.detail}
    run_effects(session, AfterStep(case, result, mirrored, None, action="message.received", detail=detail))
    return StepOutcome(case)


def kept_payload(schema: dict[str, Any] | None, element: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What of a message's payload the case keeps (at ``messages[<name>]``): the fields the
    catching element's schema (property ``formJsonSchemaFilename``) declares, once the payload is
    valid against it (else 422 naming each field as ``payload.<field>``); nothing without one."""
    if schema is None:
        return {}
    try:
        validate_form(schema, dict(payload), what="message")
    except InvalidData as err:
        # The payload's own fields by name; what is wrong with it as a whole ("data") at `payload`.
        errors = {("payload" if f == "data" else f"payload.{f}"): msgs for f, msgs in err.errors.items()}
        raise InvalidData(
            f"the message's payload is not valid for {element}: {', '.join(sorted(errors))}", errors
        ) from None
    declared = form_fields(schema)
    return {k: v for k, v in payload.items() if k in declared}


@dataclass(frozen=True)
class Routed:
    """Where a message went: the HTTP status and answer of POST /messages."""

    status: int
    answer: dict[str, Any]
    cases: list[Case] = field(default_factory=list)


def route(
    session: Session,
    name: str,
    correlation: dict[str, Any],
    payload: dict[str, Any],
    detail: dict[str, Any],
    hops: int = 0,
) -> Routed:
    """Deliver the message to every case waiting for it whose keys match; else start a case of the
    process catching it at its start event; else record it on the case or project it names."""
    from .path import advance  # the step path runs this module's command

    if hops > MAX_HOPS:
        raise Conflict(f"message '{name}': more than {MAX_HOPS} cases in a row threw messages on")
    if hops == 0:
        serialise(session, name, correlation)
    waits = message_waits.waiting_for(session, name, correlation, payload)
    if waits:
        resumed = []
        for wait in waits:
            command = DeliverMessage(
                wait.case_id, name, wait.spiff_task_id, payload, {**detail, "hops": hops}
            )
            resumed.append(advance(session, command).case)
        return Routed(200, {"resumed": [c.number for c in resumed]}, resumed)
    starting = [v for v in processes.current_versions(session) if v.meta["start"].get("message") == name]
    if starting:
        version = starting[0]
        start = StartCase(version, payload, None, None, message=name, detail={**detail, "message": name})
        case = advance(session, start).case
        return Routed(201, {"started": case.number}, [case])
    return _record(session, name, correlation, detail)


def serialise(session: Session, name: str, correlation: dict[str, Any]) -> None:
    """Messages of one name and correlation from outside are routed one at a time, until the
    routing transaction ends: two first site alerts of a project at the same moment must not both
    find no case waiting and both start one; the second waits, then finds the first's case waiting.

    PostgreSQL: a transaction-scoped advisory lock on (:data:`ROUTE_LOCK`, a hash of the name and
    correlation); SQLite already serialises writers (``BEGIN IMMEDIATE``). Messages thrown by a
    case are routed while that case is locked and take no such lock: an outside message holding
    it waits for case locks, so the opposite order could deadlock."""
    if session.get_bind().dialect.name == "sqlite":
        return
    named = json.dumps([name, sorted(correlation.items())], ensure_ascii=False, default=str)
    key = int.from_bytes(hashlib.sha256(named.encode()).digest()[:4], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": ROUTE_LOCK, "key": key})


def _record(session: Session, name: str, correlation: dict[str, Any], detail: dict[str, Any]) -> Routed:
    """No case waits and no process starts on it: kept on the case or project it names (audited)."""
    number = correlation.get("case_number")
    code = correlation.get("project_code")
    case = None
    if isinstance(number, str):
        case = session.scalar(select(Case).where(Case.number == number[:40]))
    elif isinstance(code, str):
        case = session.scalar(select(Case).where(Case.project_code == code[:64]).order_by(Case.id.desc()))
    if case is None:
        raise NotFound(
            f"no case waits for the message '{name}' with this correlation, no process starts on it, "
            "and the correlation names no known case or project"
        )
    audit.record(session, "message.recorded", actor=None, case=case, detail={**detail, "message": name})
    return Routed(202, {"recorded": True}, [case])


def route_thrown(session: Session, step: AfterStep) -> None:
    """Messages a step threw out of its case go to the cases (or process) that catch them; the
    correlation values come from the payload, else from the throwing case."""
    hops = int(step.detail.get("hops", 0)) + 1
    for message in step.result.messages_thrown:
        correlation = {
            key: message.payload.get(key, message_waits.case_value(step.case, key)) for key in message.keys
        }
        detail = {"from_case": step.case.number, "hops": hops}
        try:
            route(session, message.name, correlation, dict(message.payload), detail, hops)
        except (NotFound, Conflict, InvalidData):  # the receiver's refusal never fails the thrower
            audit.record(
                session, "message.unrouted", actor=None, case=step.case, detail={"message": message.name}
            )
