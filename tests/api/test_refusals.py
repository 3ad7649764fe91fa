"""Every refused request gets a clear 4xx in the documented shape and changes nothing stored."""

from __future__ import annotations

import threading
from typing import Any

from tests.helpers import inbox_task, permit_application, snapshot, submit_permit

ACCEPT = {"data": {"decision": "accept"}}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == status and body["message"]
    return body


def test_completing_the_same_task_twice_gives_one_success_and_one_409(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    assert api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json=ACCEPT).status_code == 200
    before = snapshot(db, number)
    _error(api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json=ACCEPT), 409)
    assert snapshot(db, number) == before


def test_two_clerks_completing_one_task_at_the_same_moment(api: Any, app: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    headers = {"clerk": api.headers("clerk"), "window_chief": api.headers("window_chief")}
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def complete(user: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ACCEPT, headers=headers[user])
        codes.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(u,)) for u in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [200, 409]
    reviews = api.get(f"/api/v1/tasks?q={number}", "planner").get_json()["items"]
    assert len(reviews) == 1  # the workflow advanced exactly once


def test_user_outside_the_candidate_group_gets_403(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    before = snapshot(db, number)
    body = _error(api.post(f"/api/v1/tasks/{task['id']}/complete", "planner", json=ACCEPT), 403)
    assert "group" in body["message"]
    _error(api.post(f"/api/v1/tasks/{task['id']}/claim", "fire_officer"), 403)
    _error(api.get(f"/api/v1/tasks/{task['id']}", "env_officer"), 403)
    _error(api.post(f"/api/v1/tasks/{task['id']}/complete", "acme", json=ACCEPT), 403)
    assert snapshot(db, number) == before


def test_task_claimed_by_someone_else_gives_409(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "window_chief").status_code == 200
    before = snapshot(db, number)
    _error(api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk"), 409)
    _error(api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json=ACCEPT), 409)
    assert snapshot(db, number) == before


def test_data_breaking_the_form_gives_422_naming_every_field(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    before = snapshot(db, number)
    body = _error(
        api.post(
            f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "correct", "x": 1}}
        ),
        422,
    )
    assert "correction_items" in body["errors"]  # required when the decision is "correct"
    assert "data" in body["errors"] or any("x" in m for msgs in body["errors"].values() for m in msgs)
    body = _error(
        api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "maybe"}}), 422
    )
    assert list(body["errors"]) == ["decision"]
    body = _error(api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": "accept"}), 422)
    assert "data" in body["errors"]
    assert snapshot(db, number) == before


def test_application_lists_every_missing_and_invalid_item_at_once(api: Any) -> None:
    data = permit_application("缺材料项目")
    del data["project_code"]
    data["builder"]["credit_code"] = "91350100M000100Y44"  # wrong check character
    data["floor_area"] = -5
    body = _error(
        api.post("/api/v1/cases", "acme", json={"process": "construction_permit", "data": data}), 422
    )
    assert {"project_code", "builder.credit_code", "floor_area"} <= set(body["errors"])
    assert "check character" in body["errors"]["builder.credit_code"][0]


def test_unknown_case_and_wrong_query_code_are_the_same_404(api: Any) -> None:
    created = submit_permit(api)
    unknown = _error(
        api.get("/api/v1/cases/CP2026NOSUCH", headers={"X-Query-Code": created["query_code"]}), 404
    )
    wrong = _error(api.get(f"/api/v1/cases/{created['number']}", headers={"X-Query-Code": "WRONGCOD"}), 404)
    nothing = _error(api.get(f"/api/v1/cases/{created['number']}"), 404)
    assert unknown["message"] == wrong["message"] == nothing["message"]
    ok = api.get(f"/api/v1/cases/{created['number']}?code={created['query_code'].lower()}")
    assert ok.status_code == 200
    # Another applicant sees nothing either.
    _error(api.get(f"/api/v1/cases/{created['number']}", "buildco"), 404)


def test_malformed_json_gives_400_and_changes_nothing(api: Any, db: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    before = snapshot(db, number)
    for path in (f"/api/v1/tasks/{task['id']}/complete", "/api/v1/cases", "/api/v1/auth/token"):
        response = api.post(
            path, "clerk", data='{"data": {"decision": "accept"', content_type="application/json"
        )
        _error(response, 400)
    assert snapshot(db, number) == before


def test_unknown_ids_and_processes(api: Any) -> None:
    _error(api.get("/api/v1/tasks/999999", "clerk"), 404)
    _error(api.post("/api/v1/tasks/999999/complete", "clerk", json=ACCEPT), 404)
    _error(api.post("/api/v1/cases", "acme", json={"process": "no_such_process", "data": {}}), 404)
    _error(api.get("/api/v1/processes/no_such_process", "analyst"), 404)


def test_authentication_is_required_and_checked(api: Any) -> None:
    _error(api.get("/api/v1/tasks"), 401)
    _error(api.get("/api/v1/tasks", headers={"Authorization": "Bearer forged.token"}), 401)
    _error(api.get("/api/v1/tasks", headers={"Authorization": "Basic abc"}), 401)
    body = _error(api.post("/api/v1/auth/token", json={"username": "clerk", "password": "nope"}), 401)
    assert body["message"] == "wrong username or password"
    _error(api.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope"}), 401)
    _error(
        api.post("/api/v1/cases", json={"process": "construction_permit", "data": permit_application("x")}),
        401,
    )
    _error(api.get("/api/v1/tasks", "acme"), 403)  # applicants have no inbox
    _error(api.get("/api/v1/processes/construction_permit", "acme"), 403)


def test_query_parameters_are_validated(api: Any) -> None:
    body = _error(api.get("/api/v1/tasks?sla=late&per_page=1000", "clerk"), 422)
    assert {"sla", "per_page"} <= set(body["errors"])
    _error(api.get("/api/v1/tasks?scope=all", "clerk"), 403)


def test_token_endpoint_issues_a_working_token(api: Any) -> None:
    response = api.post("/api/v1/auth/token", json={"username": "clerk", "password": "demo-pass"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_at"] and body["token"]
    inbox = api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {body['token']}"})
    assert inbox.status_code == 200
