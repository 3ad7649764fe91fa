"""Small helpers shared by tests: applications, finding tasks through the inbox, state snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import Attachment, AuditEvent, Case, HumanTask, Timer
from app.services.demo import permit_application

__all__ = ["permit_application", "inbox_task", "submit_permit", "snapshot"]


def submit_permit(api: Any, name: str = "测试项目", **overrides: Any) -> dict[str, Any]:
    data = {**permit_application(name), **overrides}
    response = api.post("/api/v1/cases", "acme", json={"process": "construction_permit", "data": data})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def inbox_task(api: Any, user: str, case_number: str, name_en: str | None = None) -> dict[str, Any]:
    """The task of ``case_number`` in ``user``'s inbox (found by case number search)."""
    response = api.get(f"/api/v1/tasks?q={case_number}", user)
    assert response.status_code == 200, response.get_json()
    items = [i for i in response.get_json()["items"] if name_en is None or i["name_en"] == name_en]
    assert len(items) == 1, f"{user} sees {response.get_json()['items']}"
    return items[0]


def snapshot(session: Any, number: str) -> dict[str, Any]:
    """Everything stored about a case, to prove a refused request changed nothing."""
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == number))
    tasks = session.execute(
        select(HumanTask.id, HumanTask.state, HumanTask.assignee_id, HumanTask.submitted)
        .where(HumanTask.case_id == case.id)
        .order_by(HumanTask.id)
    ).all()
    result = {
        "state": case.state,
        "status": case.status,
        "lock_version": case.lock_version,
        "data": case.data,
        "tasks": [tuple(t) for t in tasks],
        "timers": session.scalar(select(func.count()).select_from(Timer).where(Timer.case_id == case.id)),
        "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
        "attachments": session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
        ),
    }
    session.rollback()  # end the read so SQLite writers are not held up
    return result
