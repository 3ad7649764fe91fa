"""The construction permit walked end to end through the HTTP API."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app import clock
from tests.helpers import inbox_task, submit_permit

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPROVE = {"decision": "approve", "comment": "符合要求"}


def test_permit_walk_with_correction_parallel_reviews_and_approval(api: Any, app: Any, backend: str) -> None:
    created = submit_permit(api, "北湖新城安置房二期")
    number = created["number"]
    assert created["status"] == "in_progress"
    assert len(created["query_code"]) == 8

    # The clerk asks for a correction: the case waits for the applicant, clock paused.
    task = inbox_task(api, "clerk", number, "Acceptance check")
    response = api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        "clerk",
        json={"data": {"decision": "correct", "correction_items": ["施工合同缺少签章页"]}},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "waiting_for_applicant"

    view = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    assert view["clock"]["paused"] is True
    assert view["requests"][0]["items"] == ["施工合同缺少签章页"]

    # The applicant answers its correction request.
    answer = view["requests"][0]["task_id"]
    response = api.post(
        f"/api/v1/tasks/{answer}/complete", "acme", json={"data": {"response": "已补充签章页"}}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "in_progress"

    task = inbox_task(api, "clerk", number, "Acceptance check")
    assert (
        api.post(
            f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}}
        ).status_code
        == 200
    )

    # Three agencies complete their reviews at the same moment, from three threads.
    reviewers = {
        "planner": "Planning review",
        "fire_officer": "Fire review",
        "env_officer": "Environmental review",
    }
    review_tasks = {user: inbox_task(api, user, number, name)["id"] for user, name in reviewers.items()}
    for user in reviewers:
        api.token(user)  # fetch tokens first so the threads only complete
    barrier = threading.Barrier(len(reviewers))
    statuses: dict[str, int] = {}

    def review(user: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/tasks/{review_tasks[user]}/complete", json={"data": APPROVE}, headers=api.headers(user)
        )
        statuses[user] = response.status_code

    threads = [threading.Thread(target=review, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == {user: 200 for user in reviewers}, statuses

    task = inbox_task(api, "permit_officer", number, "Permit decision")
    response = api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        "permit_officer",
        json={"data": {"decision": "approve", "permit_valid_until": "2028-12-31"}},
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"

    # The public view (with the query code, no account) shows every step.
    public = api.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": created["query_code"]}).get_json()
    assert public["status"] == "approved"
    assert "data" not in public
    steps = [(s["name_en"], s["state"], s["outcome"]) for s in public["timeline"]]
    assert steps[:4] == [
        ("Application submitted", "completed", "submitted"),
        ("Acceptance check", "completed", "correct"),
        ("Provide corrections", "completed", None),
        ("Acceptance check", "completed", "accept"),
    ]
    assert sorted(steps[4:7]) == sorted(
        [
            ("Planning review", "completed", "approve"),
            ("Fire review", "completed", "approve"),
            ("Environmental review", "completed", "approve"),
        ]
    )
    assert steps[7] == ("Permit decision", "completed", "approve")
    assert all(s["started_at"] and s["completed_at"] for s in public["timeline"])
    assert public["clock"]["paused"] is False and len(public["clock"]["pauses"]) == 1

    staff = api.get(f"/api/v1/cases/{number}", "clerk").get_json()
    assert staff["data"]["planning_review"] == APPROVE
    assert staff["data"]["fire_review"] == APPROVE and staff["data"]["environment_review"] == APPROVE


def test_any_agency_rejection_rejects_the_case_with_reasons(api: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    for user, data in [
        ("planner", APPROVE),
        ("fire_officer", {"decision": "reject", "comment": "消防通道不足"}),
        ("env_officer", APPROVE),
    ]:
        task = inbox_task(api, user, number)
        assert api.post(f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data}).status_code == 200
    view = api.get(f"/api/v1/cases/{number}", "clerk").get_json()
    assert view["status"] == "rejected"
    assert view["data"]["review_reasons"] == [{"agency": "fire", "comment": "消防通道不足"}]
    assert view["stage"] is None


@pytest.mark.parametrize("scope", ["group", "mine"])
def test_inbox_scopes_and_claiming(api: Any, scope: str) -> None:
    clock.freeze(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))  # a Tuesday morning
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    assert task["assignee"] is None and task["sla"] == "on_time" and task["due_at"]
    claimed = api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "clerk"
    items = api.get(f"/api/v1/tasks?scope={scope}", "clerk").get_json()["items"]
    assert [i["case_number"] for i in items] == [number]
    assert api.get("/api/v1/tasks?scope=mine", "planner").get_json()["total"] == 0
    # A supervisor of another group cannot use scope=all on the window's tasks.
    all_fire = api.get("/api/v1/tasks?scope=all", "fire_chief").get_json()
    assert all_fire["total"] == 0
    assert api.get("/api/v1/tasks?scope=all", "window_chief").get_json()["total"] == 1
    assert api.post(f"/api/v1/tasks/{task['id']}/unclaim", "clerk").get_json()["assignee"] is None
