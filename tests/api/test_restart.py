"""Stopping the app between any two steps and starting a new one on the same database loses
nothing: all state lives in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app import edge
from tests.conftest import ApiClient, make_app
from tests.helpers import inbox_task, permit_application

STEPS = [
    ("clerk", "Acceptance check", {"decision": "correct", "correction_items": ["补充资金证明"]}),
    ("acme", "Provide corrections", {"response": "已补充"}),
    ("clerk", "Acceptance check", {"decision": "accept"}),
    ("planner", "Planning review", {"decision": "approve"}),
    ("fire_officer", "Fire review", {"decision": "approve"}),
    ("env_officer", "Environmental review", {"decision": "approve"}),
    ("permit_officer", "Permit decision", {"decision": "approve"}),
]


def test_a_new_app_instance_continues_every_step(app: Any, tmp_path: Path, redis_url: str) -> None:
    url = str(edge.of(app).database.url)
    previous: list[Any] = []

    def fresh() -> ApiClient:
        # Stop the previous app, start a new one: new engine, empty spec cache, new connection
        # pool, same database.
        while previous:
            edge.of(previous.pop()).database.dispose()
        new_app = make_app(url, tmp_path / "instance", redis_url)
        previous.append(new_app)
        return ApiClient(new_app)

    api = fresh()
    response = api.post(
        "/api/v1/cases",
        "acme",
        json={"process": "construction_permit", "data": permit_application("重启测试")},
    )
    number = response.get_json()["number"]
    for user, name, data in STEPS:
        api = fresh()
        if user == "acme":
            task_id = api.get(f"/api/v1/cases/{number}", "acme").get_json()["requests"][0]["task_id"]
        else:
            task_id = inbox_task(api, user, number, name)["id"]
        api = fresh()
        response = api.post(f"/api/v1/tasks/{task_id}/complete", user, json={"data": data})
        assert response.status_code == 200, (name, response.get_json())
    view = fresh().get(f"/api/v1/cases/{number}", "clerk").get_json()
    assert view["status"] == "approved"
    assert len(view["timeline"]) == 1 + len(STEPS)
    fresh()
    edge.of(previous.pop()).database.dispose()
