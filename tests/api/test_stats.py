"""GET /api/v1/stats: staff only, JSON and CSV (Excel-ready), period validation."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock
from app.models import HumanTask, User
from app.services import cases, tasks
from app.services.demo import permit_application

SH = ZoneInfo("Asia/Shanghai")
PERIOD = "from=2026-10-01&to=2026-10-31"


def _user(db: Any, name: str) -> User:
    user = db.scalar(select(User).where(User.username == name))
    assert user is not None
    return user


@pytest.fixture
def accepted_case(db: Any) -> str:
    """Submitted Fri 9 Oct 2026 09:00, accepted on the make-up Saturday 10 Oct: 1 working day."""
    with clock.travel_to(datetime(2026, 10, 9, 9, 0, tzinfo=SH)):
        case = cases.start_case(db, _user(db, "acme"), "construction_permit", permit_application("统计接口"))
        db.commit()
    task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.case.id))
    with clock.travel_to(datetime(2026, 10, 10, 10, 0, tzinfo=SH)):
        tasks.complete_task(db, _user(db, "clerk"), task.id, {"decision": "accept"})
        db.commit()
    return case.case.number


def test_only_overseers_see_statistics(api: Any) -> None:
    anonymous = api.get("/api/v1/stats")
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == 401
    assert api.get("/api/v1/stats", "acme").status_code == 403
    assert api.get("/api/v1/stats?format=csv", "acme").status_code == 403
    # One rule with the dashboard (services.stats_access): a plain reviewer is refused.
    assert api.get("/api/v1/stats", "planner").status_code == 403
    assert api.get("/api/v1/stats", "fire_chief").status_code == 200


def test_json_report(api: Any, accepted_case: str) -> None:
    with clock.travel_to(datetime(2026, 10, 12, 9, 0, tzinfo=SH)):
        response = api.get(f"/api/v1/stats?{PERIOD}", "director")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from"], body["to"], body["process"], body["group"]) == (
        "2026-10-01",
        "2026-10-31",
        None,
        None,
    )
    [permit] = body["processes"]
    assert permit["process"] == "construction_permit" and permit["name"] == "施工许可"
    assert (permit["cases_received"], permit["cases_completed"], permit["tasks_completed"]) == (1, 0, 1)
    assert permit["case_average_working_days"] is None and permit["complaint_satisfaction"] is None
    steps = {s["bpmn_id"]: s for s in body["steps"]}
    acceptance = steps["Task_Acceptance"]
    assert acceptance["tasks_completed"] == 1
    assert (acceptance["average_working_days"], acceptance["p90_working_days"]) == (1.0, 1)
    assert (acceptance["on_time_rate"], acceptance["overdue"], acceptance["escalated"]) == (1.0, 0, 0)
    # The reviews are open and not yet due: they appear nowhere.
    assert set(steps) == {"Task_Acceptance"}
    assert [g["group"] for g in body["groups"]] == ["window"]

    with clock.travel_to(datetime(2026, 10, 12, 9, 0, tzinfo=SH)):
        # The fire review is open and not yet due: only the case it belongs to counts.
        fire = api.get(f"/api/v1/stats?{PERIOD}&group=fire", "director").get_json()
        assert [p["cases_received"] for p in fire["processes"]] == [1]
        assert (fire["steps"], fire["groups"]) == ([], [])
        # No decision task exists yet: nothing at all for the construction bureau's group.
        none = api.get(f"/api/v1/stats?{PERIOD}&group=construction", "director").get_json()
        assert (none["processes"], none["steps"], none["groups"]) == ([], [], [])
    other = api.get("/api/v1/stats?process=rectification_order", "director").get_json()
    assert other["processes"] == [] and other["process"] == "rectification_order"


def test_csv_export_opens_in_excel(api: Any, accepted_case: str) -> None:
    with clock.travel_to(datetime(2026, 10, 12, 9, 0, tzinfo=SH)):
        response = api.get(f"/api/v1/stats?{PERIOD}&format=csv", "director")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="permitflow-stats_2026-10-01_2026-10-31.csv"'
    )
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:2] == ["层级 / Level", "流程 / Process"]
    assert "办件数 / Cases received" in header and "按时率 / On-time rate" in header
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    process_row = records[0]
    assert process_row["层级 / Level"] == "流程 / process"
    assert process_row["流程 / Process"] == "construction_permit 施工许可"
    assert process_row["办件数 / Cases received"] == "1"
    assert process_row["办结数 / Cases completed"] == "0"
    assert process_row["平均用时（工作日） / Average working days"] == ""  # no case completed
    step_row = next(r for r in records if r["环节 / Step"].startswith("Task_Acceptance"))
    assert step_row["环节 / Step"] == "Task_Acceptance 受理审查 / Acceptance check"
    assert step_row["平均用时（工作日） / Average working days"] == "1.0"
    assert step_row["按时率 / On-time rate"] == "1.0"
    group_row = next(r for r in records if r["层级 / Level"] == "部门 / group")
    assert group_row["部门 / Group"] == "window" and group_row["办结任务数 / Tasks completed"] == "1"

    plain = api.get("/api/v1/stats?format=csv&process=construction_permit", "director")
    assert (
        plain.headers["Content-Disposition"]
        == 'attachment; filename="permitflow-stats_construction_permit.csv"'
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-10-31&to=2026-10-01", "from"),
        ("format=xlsx", "format"),
        ("from=0001-01-01", "from"),
    ],
)
def test_invalid_queries_name_the_field(api: Any, query: str, field: str) -> None:
    response = api.get(f"/api/v1/stats?{query}", "director")
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_the_operation_is_documented_with_both_formats(api: Any) -> None:
    doc = api.client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"process", "group", "from", "to", "format"}
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"401", "403", "422"} <= set(operation["responses"])
