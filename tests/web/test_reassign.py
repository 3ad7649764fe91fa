"""Reassigning a task (督办): the service behind the page and `POST /api/v1/tasks/{id}/reassign`.

(Kept beside the page tests because the page is where supervisors use it.)
"""

from __future__ import annotations

from typing import Any

from tests.helpers import inbox_task, snapshot, submit_permit


def _reassign(api: Any, user: str, task_id: int, body: dict[str, Any]) -> Any:
    return api.post(f"/api/v1/tasks/{task_id}/reassign", user, json=body)


def test_supervisor_gives_a_task_to_a_member_of_the_group(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    audit_before = snapshot(db, number)["audit"]
    response = _reassign(api, "window_chief", task["id"], {"user": "clerk"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["assignee"] == "clerk"
    assert inbox_task(api, "clerk", number)["assignee"] == "clerk"
    assert snapshot(db, number)["audit"] == audit_before + 1


def test_supervisor_moves_a_task_to_another_group(api: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    response = _reassign(api, "window_chief", task["id"], {"group": "construction"})
    assert response.status_code == 200
    assert response.get_json()["group"] == "construction"
    assert api.get(f"/api/v1/tasks?q={number}", "clerk").get_json()["total"] == 0
    assert inbox_task(api, "permit_officer", number)["assignee"] is None
    # The window chief no longer supervises it.
    assert _reassign(api, "window_chief", task["id"], {"group": "window"}).status_code == 403


def test_refused_reassignments_change_nothing(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    before = snapshot(db, number)
    cases = [
        ("clerk", {"user": "clerk"}, 403),  # not a supervisor
        ("fire_chief", {"user": "clerk"}, 403),  # supervises another group
        ("window_chief", {"user": "planner"}, 422),  # not in the task's group
        ("window_chief", {"user": "nobody"}, 422),
        ("window_chief", {"group": "no-such-group"}, 422),
        ("window_chief", {"group": "applicant"}, 422),
        ("window_chief", {"user": "clerk", "group": "window"}, 422),  # one or the other
        ("window_chief", {}, 422),
    ]
    for user, body, status in cases:
        response = _reassign(api, user, task["id"], body)
        assert response.status_code == status, (user, body, response.get_json())
        assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert _reassign(api, "window_chief", 999999, {"user": "clerk"}).status_code == 404
    assert api.post(f"/api/v1/tasks/{task['id']}/reassign", json={"user": "clerk"}).status_code == 401
    assert snapshot(db, number) == before


def test_completed_task_cannot_be_reassigned(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    before = snapshot(db, number)
    assert _reassign(api, "window_chief", task["id"], {"user": "clerk"}).status_code == 409
    assert snapshot(db, number) == before


def test_reassign_is_documented(api: Any) -> None:
    spec = api.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/tasks/{task_id}/reassign"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(operation["responses"])


def test_supervisor_reassigns_from_the_task_page(api: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    assert "Reassign (supervisor)" not in pages("clerk").get(f"/tasks/{task['id']}").get_data(as_text=True)
    chief = pages("window_chief")
    html = chief.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Reassign (supervisor)" in html and 'value="clerk"' in html
    response = chief.post(f"/tasks/{task['id']}/reassign", {"user": "clerk"}, page=f"/tasks/{task['id']}")
    assert response.status_code == 302
    assert "The task was reassigned." in chief.get(response.headers["Location"]).get_data(as_text=True)
    assert inbox_task(api, "clerk", number)["assignee"] == "clerk"
    response = chief.post(f"/tasks/{task['id']}/reassign", {"user": "planner"}, page=f"/tasks/{task['id']}")
    assert "Choose a member of the group" in chief.get(response.headers["Location"]).get_data(as_text=True)
