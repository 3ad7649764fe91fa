"""The API's JSON for the typed view models stays what clients have read so far: key names, the
clock's stored pause strings, `data` absent for query-code viewers, the inbox's closed choices."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Case
from tests.helpers import inbox_task, submit_permit

CASE_KEYS = {
    "number", "process", "process_name", "process_name_en", "status", "stage", "stage_en",
    "project_name", "submitted_at", "completed_at", "due_at", "clock", "sla", "timeline",
    "requests", "documents", "suspended", "rating", "overrun",
}  # fmt: skip


def test_case_json_keeps_its_shape_and_the_stored_pauses(api: Any, db: Any) -> None:
    submitted = submit_permit(api)
    number = submitted["number"]
    task = inbox_task(api, "clerk", number)
    done = api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        "clerk",
        json={"data": {"decision": "correct", "correction_items": ["施工合同缺少签章页"]}},
    )
    assert done.status_code == 200
    stored = db.scalar(select(Case.clock_pauses).where(Case.number == number))
    db.rollback()

    own = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    assert set(own) == CASE_KEYS | {"data"}
    assert own["clock"]["paused"] is True
    assert own["clock"]["pauses"] == stored  # {"from", "to", "reason"}: the strings as stored
    [request] = own["requests"]
    assert set(request) == {"task_id", "name", "name_en", "due_at", "items"}
    assert set(own["timeline"][1]) == {
        "name", "name_en", "group", "state", "started_at", "due_at", "completed_at", "outcome",
        "outcome_title", "outcome_title_en", "sla", "note",
    }  # fmt: skip

    by_code = api.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": submitted["query_code"]})
    assert by_code.status_code == 200 and set(by_code.get_json()) == CASE_KEYS  # no `data`, not null


def test_task_json_keeps_its_shape(api: Any) -> None:
    number = submit_permit(api)["number"]
    task = inbox_task(api, "clerk", number)
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "clerk").get_json()["assignee"] == "clerk"
    detail = api.get(f"/api/v1/tasks/{task['id']}", "clerk").get_json()
    assert set(detail) == {
        "task", "form", "case", "data", "comments", "attachments", "credit_score", "credit_deductions",
    }  # fmt: skip
    assert detail["task"] == {**task, "assignee": "clerk"}
    assert set(detail["case"]) == {"number", "status", "stage", "submitted_at", "project_name"}
    assert detail["case"]["number"] == number and detail["case"]["status"] == "in_progress"
    assert detail["comments"] == [] and detail["attachments"] == []


def test_inbox_choices_are_parsed_at_the_edge(api: Any) -> None:
    for bad in ("scope=everyone", "sort=name", "sla=late"):
        body = api.get(f"/api/v1/tasks?{bad}", "clerk")
        assert body.status_code == 422, bad
        assert bad.split("=")[0] in body.get_json()["errors"]
    assert api.get("/api/v1/tasks?scope=mine&sort=created_at&sla=on_time", "clerk").status_code == 200
