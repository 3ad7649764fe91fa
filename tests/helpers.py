"""Small helpers shared by tests: applications, finding and completing tasks, firing timers at a
given time, state snapshots."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app import clock, edge
from app.models import Attachment, AuditEvent, Case, HumanTask, TaskState, Timer, User
from app.services import tasks, timers
from app.services.case_view import CaseView, ClockPause
from app.services.demo import permit_application

__all__ = [
    "change_settings",
    "complete_at",
    "fire_at",
    "inbox_task",
    "open_task",
    "permit_application",
    "plain",
    "snapshot",
    "submit_permit",
    "user_named",
]


def plain(view: Any) -> Any:
    """A view model (services/case_view.py, task_view.py) as nested dicts under the API's key
    names, values kept as Python objects (datetimes stay datetimes): what the API's JSON is made
    of, so tests read it the way clients do. Rows (tasks, cases) stay model objects."""
    if isinstance(view, ClockPause):
        return {"from": view.started_at, "to": view.ended_at, "reason": view.reason}
    if dataclasses.is_dataclass(view) and not isinstance(view, type):
        out = {f.name: plain(getattr(view, f.name)) for f in dataclasses.fields(view)}
        if isinstance(view, CaseView) and view.data is None:
            del out["data"]  # absent, as in the API, for viewers who may not see it
        return out
    if isinstance(view, list):
        return [plain(item) for item in view]
    return view


def _case_id(case: Case | int) -> int:
    return case if isinstance(case, int) else case.id


def user_named(db: Any, name: str) -> User:
    user = db.scalar(select(User).where(User.username == name))
    assert user is not None, name
    return user


def case_events(db: Any, case: Case | int, action: str) -> list[AuditEvent]:
    """The case's audit events of ``action``, oldest first (written ones: after a commit)."""
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == _case_id(case), AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
    )


def open_task(db: Any, case: Case | int, bpmn_id: str) -> HumanTask:
    """The case's open task with that BPMN id (fresh from the database)."""
    db.expire_all()
    task = db.scalar(
        select(HumanTask).where(
            HumanTask.case_id == _case_id(case),
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.state == TaskState.OPEN,
        )
    )
    assert task is not None, f"no open {bpmn_id}"
    return task


def complete_at(
    db: Any, case: Case | int, bpmn_id: str, username: str, data: dict[str, Any], when: datetime
) -> None:
    """Complete the case's open ``bpmn_id`` task as ``username`` with the clock at ``when``."""
    task = open_task(db, case, bpmn_id)
    with clock.travel_to(when):
        tasks.complete_task(db, user_named(db, username), task.id, data)
        db.commit()


def fire_at(db: Any, case: Case | int, when: datetime) -> int:
    """Fire the case's due timers with the clock at ``when``; how many fired."""
    with clock.travel_to(when):
        fired = timers.fire_due(db, _case_id(case))
        db.commit()
    return fired


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


def change_settings(monkeypatch: Any, app: Any, **values: Any) -> Any:
    """Run the rest of the test with these settings (and attempt limits built from them); undone by
    ``monkeypatch`` at the end of the test."""
    from app.limits import Limits

    state = edge.of(app)
    settings = dataclasses.replace(state.settings, **values)
    changed = dataclasses.replace(state, settings=settings, limits=Limits.build(settings, state.redis))
    monkeypatch.setitem(app.extensions, edge.STATE_KEY, changed)
    return settings
