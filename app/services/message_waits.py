"""The messages each case waits for, mirrored in rows after every step (``message_wait``), so that
routing a message reads one indexed table and never loads a workflow; and how a case's
correlation keys resolve (``case_number``, ``project_code``, else the case data's value)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import StepResult
from app.models import Case, MessageWait


def case_value(case: Case, key: str) -> Any:
    """What correlation key ``key`` is for ``case``."""
    if key == "case_number":
        return case.number
    if key == "project_code" and case.project_code:
        return case.project_code
    return (case.data or {}).get(key)


def sync(session: Session, case: Case, result: StepResult) -> None:
    """Make the case's rows the messages its workflow waits for now (none once it is final).
    Called while the case row is being changed: nothing is flushed here (the row is written once)."""
    with session.no_autoflush:
        _sync(session, case, result)


def _sync(session: Session, case: Case, result: StepResult) -> None:
    waiting = {} if case.status.is_final else {w.task_id: w for w in result.messages_waiting}
    if not waiting and not result.catches_messages:
        return  # a process without message events never has a wait to add or remove
    rows = {
        r.spiff_task_id: r for r in session.scalars(select(MessageWait).where(MessageWait.case_id == case.id))
    }
    gone = [r.id for task_id, r in rows.items() if task_id not in waiting]
    for row in rows.values():
        if row.id in gone:
            session.delete(row)
    for task_id, wait in waiting.items():
        if task_id not in rows:
            correlation = {key: _text(case_value(case, key)) for key in wait.keys}
            session.add(
                MessageWait(
                    case_id=case.id,
                    name=wait.name[:200],
                    spiff_task_id=task_id,
                    bpmn_id=wait.bpmn_id[:200],
                    correlation=correlation,
                    created_at=clock.now(),
                )
            )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def matches(wait: MessageWait, correlation: dict[str, Any], payload: dict[str, Any]) -> bool:
    """A message matches a wait when every key the wait declares has the wait's value in the
    message's correlation (else its payload); a wait declaring no key takes only a message that
    names none."""
    if not wait.correlation:
        return not correlation
    for key, expected in wait.correlation.items():
        value = correlation.get(key, payload.get(key))
        if expected is None or value is None or str(value) != expected:
            return False
    return True


def waiting_for(
    session: Session, name: str, correlation: dict[str, Any], payload: dict[str, Any]
) -> list[MessageWait]:
    """The waits a message matches, one per case (the earliest waiting element of each)."""
    found: dict[int, MessageWait] = {}
    for wait in session.scalars(select(MessageWait).where(MessageWait.name == name).order_by(MessageWait.id)):
        if wait.case_id not in found and matches(wait, correlation, payload):
            found[wait.case_id] = wait
    return list(found.values())
