"""The audit trail is a hash chain: any edit or deletion of a stored event is found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from app.models import AuditEvent
from tests.helpers import inbox_task, submit_permit


def _walk(api: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk")
    api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})


def test_an_intact_trail_verifies(app: Any, api: Any) -> None:
    _walk(api)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output


def test_an_edited_event_is_named(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    victim = db.scalar(select(AuditEvent).where(AuditEvent.action == "task.claimed"))
    db.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(actor="someone_else"))
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit event {victim.id} (task.claimed" in result.output
    assert "content does not match" in result.output


def test_a_deleted_event_breaks_the_link(app: Any, api: Any, db: Any) -> None:
    _walk(api)
    first = db.scalar(select(func.min(AuditEvent.id)))
    second = db.scalar(select(AuditEvent.id).where(AuditEvent.id > first).order_by(AuditEvent.id).limit(1))
    db.execute(delete(AuditEvent).where(AuditEvent.id == second))
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "link to the previous event is broken" in result.output
