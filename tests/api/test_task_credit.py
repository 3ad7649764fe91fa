"""GET /api/v1/tasks/{id} shows the applicant company's credit score and its latest deductions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import clock
from app.services import credit
from app.services.demo import APPLICANTS
from tests.helpers import inbox_task, submit_permit

SH = ZoneInfo("Asia/Shanghai")
ACME = APPLICANTS[0][2]


def test_task_detail_lists_the_applicants_deductions_newest_first(api: Any, db: Any) -> None:
    number = submit_permit(api, "信用展示项目")["number"]
    task = inbox_task(api, "clerk", number, "Acceptance check")
    fresh = api.get(f"/api/v1/tasks/{task['id']}", "clerk").get_json()
    assert (fresh["credit_score"], fresh["credit_deductions"]) == (100, [])

    with clock.travel_to(datetime(2026, 10, 12, 10, 0, tzinfo=SH)):
        credit.deduct(db, ACME, 5, "逾期未完成整改（ZG202600000001）")
    with clock.travel_to(datetime(2026, 11, 3, 15, 30, tzinfo=SH)):
        credit.deduct(db, ACME, 3, "投诉查实（TS202600000002）")
    credit.deduct(db, "91110108MA01ABCD1E", 9, "another company's record")
    db.commit()

    detail = api.get(f"/api/v1/tasks/{task['id']}", "clerk").get_json()
    assert detail["credit_score"] == 92
    assert [(d["points"], d["reason"]) for d in detail["credit_deductions"]] == [
        (3, "投诉查实（TS202600000002）"),
        (5, "逾期未完成整改（ZG202600000001）"),
    ]
    assert datetime.fromisoformat(detail["credit_deductions"][0]["at"]) == datetime(
        2026, 11, 3, 15, 30, tzinfo=SH
    )


def test_openapi_documents_the_deductions(api: Any) -> None:
    doc = api.client.get("/api/v1/openapi.json").get_json()
    detail = doc["components"]["schemas"]["TaskDetail"]["properties"]
    assert detail["credit_deductions"]["type"] == "array"
    deduction = doc["components"]["schemas"]["CreditDeduction"]
    assert set(deduction["properties"]) == {"points", "reason", "at"}
    assert deduction["properties"]["at"]["format"] == "date-time"
