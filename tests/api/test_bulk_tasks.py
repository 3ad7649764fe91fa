"""POST /api/v1/tasks/bulk: each item applied or refused on its own, through the single-task
services; a refused item changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import AuditEvent, HumanTask, User
from tests.helpers import inbox_task, submit_permit


def _window_tasks(api: Any, count: int) -> list[int]:
    return [inbox_task(api, "clerk", submit_permit(api, f"项目{i}")["number"])["id"] for i in range(count)]


def _assignees(db: Any, ids: list[int]) -> list[str | None]:
    db.expire_all()
    names = dict(
        db.execute(
            select(HumanTask.id, User.username)
            .outerjoin(User, User.id == HumanTask.assignee_id)
            .where(HumanTask.id.in_(ids))
        )
        .tuples()
        .all()
    )
    db.rollback()
    return [names[i] for i in ids]


def test_bulk_claim_reports_each_item_and_changes_nothing_refused(api: Any, db: Any) -> None:
    first, second = _window_tasks(api, 2)
    assert api.post(f"/api/v1/tasks/{second}/claim", "window_chief").status_code == 200
    response = api.post(
        "/api/v1/tasks/bulk", "clerk", json={"action": "claim", "ids": [first, second, 987654]}
    )
    assert response.status_code == 200
    results = {r["id"]: r["status"] for r in response.get_json()["results"]}
    assert results == {first: 200, second: 409, 987654: 404}
    assert _assignees(db, [first, second]) == ["clerk", "window_chief"]
    released = api.post("/api/v1/tasks/bulk", "clerk", json={"action": "unclaim", "ids": [first, second]})
    assert [r["status"] for r in released.get_json()["results"]] == [200, 409]
    assert _assignees(db, [first, second]) == [None, "window_chief"]


def test_supervisor_bulk_reassigns_with_a_reason_one_audit_event_each(api: Any, db: Any) -> None:
    ids = _window_tasks(api, 3)
    body = {"action": "reassign", "ids": ids, "user": "clerk", "reason": "窗口人员调整"}
    refused = api.post("/api/v1/tasks/bulk", "clerk", json=body).get_json()["results"]
    assert [r["status"] for r in refused] == [403, 403, 403]
    done = api.post("/api/v1/tasks/bulk", "window_chief", json=body).get_json()["results"]
    assert [r["status"] for r in done] == [200, 200, 200]
    assert _assignees(db, ids) == ["clerk", "clerk", "clerk"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "task.reassigned")).all()
    mine = [e for e in events if e.detail.get("task_id") in ids]
    db.rollback()
    assert len(mine) == 3 and all(e.detail["reason"] == "窗口人员调整" for e in mine)


def test_bulk_needs_ids_and_a_target_for_reassign(api: Any) -> None:
    assert api.post("/api/v1/tasks/bulk", "clerk", json={"action": "claim", "ids": []}).status_code == 422
    assert api.post("/api/v1/tasks/bulk", "clerk", json={"action": "zap", "ids": [1]}).status_code == 422
    body = {"action": "reassign", "ids": [1]}
    assert api.post("/api/v1/tasks/bulk", "window_chief", json=body).status_code == 422
