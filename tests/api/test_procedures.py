"""The procedures' HTTP contract (API.md "Procedures"): paths, who may, and the error shape."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from tests.helpers import submit_permit


def test_suspend_and_resume_over_http(api: Any) -> None:
    number = submit_permit(api)["number"]
    response = api.post(f"/api/v1/cases/{number}/suspend", "clerk", json={"reason_code": "expert_review"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["suspended"] is True
    view = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    assert view["clock"]["paused"] is True and view["suspended"] is True
    again = api.post(f"/api/v1/cases/{number}/suspend", "clerk", json={"reason_code": "hearing"})
    assert again.status_code == 409 and "already suspended" in again.get_json()["message"]
    resumed = api.post(f"/api/v1/cases/{number}/resume", "clerk", json={})
    assert resumed.status_code == 200 and resumed.get_json()["suspended"] is False


def test_refusals_name_the_problem(api: Any) -> None:
    number = submit_permit(api)["number"]
    assert api.post(f"/api/v1/cases/{number}/suspend", json={"reason_code": "hearing"}).status_code == 401
    outsider = api.post(f"/api/v1/cases/{number}/suspend", "planner", json={"reason_code": "hearing"})
    assert outsider.status_code == 403
    bad = api.post(f"/api/v1/cases/{number}/suspend", "clerk", json={"reason_code": "lunch"})
    assert bad.status_code == 422 and "reason_code" in bad.get_json()["errors"]
    unknown = api.post("/api/v1/cases/XX20260101000000/withdraw", "acme", json={"reason": "x"})
    assert unknown.status_code == 404
    days = api.post(f"/api/v1/cases/{number}/extension", "clerk", json={"working_days": "5", "reason": "x"})
    assert days.status_code == 422 and "working_days" in days.get_json()["errors"]
    rating = api.post(f"/api/v1/cases/{number}/rating", "acme", json={"level": 5})
    assert rating.status_code == 409  # not finished yet


def test_withdraw_then_rate(api: Any) -> None:
    number = submit_permit(api)["number"]
    response = api.post(f"/api/v1/cases/{number}/withdraw", "acme", json={"reason": "项目暂停"})
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert api.post(f"/api/v1/cases/{number}/withdraw", "acme", json={"reason": "再次"}).status_code == 409
    assert api.get(f"/api/v1/cases/{number}", "acme").get_json()["status"] == "withdrawn"
    rated = api.post(f"/api/v1/cases/{number}/rating", "acme", json={"level": 3, "comment": "一般"})
    assert rated.status_code == 201, rated.get_json()
    shown = api.get(f"/api/v1/cases/{number}", "acme").get_json()["rating"]
    assert shown["level"] == 3 and shown["comment"] == "一般" and shown["reply"] is None
    assert api.post(f"/api/v1/cases/{number}/rating", "acme", json={"level": 3}).status_code == 409


def test_supervision_and_urge_over_http(api: Any) -> None:
    number = submit_permit(api)["number"]
    ordered = api.post(f"/api/v1/cases/{number}/supervision", "window_chief", json={"text": "今日办结"})
    assert ordered.status_code == 201 and ordered.get_json()["task_id"]
    assert api.post(f"/api/v1/cases/{number}/supervision", "clerk", json={"text": "x"}).status_code == 403
    early = api.post(f"/api/v1/cases/{number}/urge", "acme")
    assert early.status_code == 409 and "warning" in early.get_json()["message"]


def test_recall_over_http(api: Any) -> None:
    from tests.helpers import inbox_task

    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    assert done.status_code == 200, done.get_json()
    assert api.post(f"/api/v1/tasks/{task['id']}/recall", "planner").status_code == 403
    recalled = api.post(f"/api/v1/tasks/{task['id']}/recall", "clerk")
    assert recalled.status_code == 200 and recalled.get_json()["task_id"] == task["id"]
    bad = api.post(f"/api/v1/tasks/{task['id']}/return", "clerk", json={"to": "Task_X", "reason": "r"})
    assert bad.status_code == 409 and "Task_X" in bad.get_json()["message"]


def test_consult_and_withdraw_over_http(api: Any) -> None:
    from tests.helpers import inbox_task

    number = submit_permit(api)["number"]
    accept = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{accept['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    review = inbox_task(api, "fire_officer", number)
    url = f"/api/v1/tasks/{review['id']}/consult"
    assert api.post(url, "planner", json={"users": ["env_officer"], "question": "?"}).status_code == 403
    nobody = api.post(url, "fire_officer", json={"users": ["ghost"], "question": "?"})
    assert nobody.status_code == 422 and "users" in nobody.get_json()["errors"]
    asked = api.post(
        url, "fire_officer", json={"users": ["env_officer"], "question": "噪声评估？", "time_limit": "2wd"}
    )
    assert asked.status_code == 201, asked.get_json()
    [opinion_id] = asked.get_json()["opinion_tasks"]
    opinion = inbox_task(api, "env_officer", number, "Opinion asked for: Fire review")
    assert opinion["id"] == opinion_id and opinion["assignee"] == "env_officer"
    held = api.post(
        f"/api/v1/tasks/{review['id']}/complete", "fire_officer", json={"data": {"decision": "approve"}}
    )
    assert held.status_code == 409 and "加签" in held.get_json()["message"]
    withdrawn = api.post(f"{url}/withdraw", "fire_officer")
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert api.post(f"{url}/withdraw", "fire_officer").status_code == 409
    done = api.post(
        f"/api/v1/tasks/{review['id']}/complete", "fire_officer", json={"data": {"decision": "approve"}}
    )
    assert done.status_code == 200, done.get_json()


def test_substitute_over_http(api: Any) -> None:
    from app import clock

    url = "/api/v1/users/me/substitute"
    # The bureau's date (Asia/Shanghai), not UTC's: from 16:00 UTC on they differ.
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    period = {"user": "env_officer", "from": today.isoformat(), "to": today.isoformat()}
    set_ = api.put(url, "planner", json=period)
    assert set_.status_code == 200, set_.get_json()
    assert set_.get_json()["substitute"] == "env_officer" and set_.get_json()["user"] == "planner"
    again = api.put(url, "planner", json={**period, "user": "fire_officer"})
    assert again.status_code == 409 and "already has a substitute" in again.get_json()["message"]
    assert api.put("/api/v1/users/planner/substitute", "fire_chief", json=period).status_code == 403
    assert api.put(url, "acme", json=period).status_code == 403
    listed = api.get("/api/v1/users/planner/substitute", "planning_chief").get_json()["items"]
    assert [i["substitute"] for i in listed] == ["env_officer"]
    ended = api.delete("/api/v1/users/planner/substitute", "planning_chief")
    assert ended.status_code == 200 and len(ended.get_json()["items"]) == 1
    assert api.delete(url, "planner").status_code == 409
    bad = api.put(url, "planner", json={**period, "to": "2020-01-01"})
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]
