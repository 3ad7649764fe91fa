"""The contractor a rectification order is addressed to follows the order's status page (and the
API's public view) without its query code; other companies still get the same 404 as a wrong code."""

from __future__ import annotations

from typing import Any

from app import clock
from app.services import cases
from tests.helpers import user_named

CONTRACTOR_CODE = "91110108MA01ABCD1E"  # buildco's


def _order(db: Any) -> str:
    data = {
        "project_name": "滨江花园二期",
        "project_code": "2026-330100-47-01-123456",
        "contractor": {"name": "华建第一工程有限公司", "credit_code": CONTRACTOR_CODE},
        "findings": [{"description": "脚手架连墙件缺失", "hazard_level": "serious"}],
        "legal_basis": "《建设工程安全生产管理条例》第二十八条",
    }
    with clock.travel_to(clock.now()):
        case = cases.start_case(db, user_named(db, "inspector"), "rectification_order", data).case
        db.commit()
    return case.number


def test_the_contractor_opens_the_status_page_of_its_order(db: Any, pages: Any, api: Any) -> None:
    number = _order(db)
    page = pages("buildco").get(f"/track/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    assert number in html and 'id="h-timeline"' in html
    shown = api.get(f"/api/v1/cases/{number}", "buildco")
    assert shown.status_code == 200 and "data" not in shown.get_json()
    # Another company (the builder acme) is not addressed: the lookup form asks for the query code.
    other = pages("acme").get(f"/track/{number}").get_data(as_text=True)
    assert 'id="h-timeline"' not in other and 'name="code"' in other
    assert api.get(f"/api/v1/cases/{number}", "acme").status_code == 404


def test_the_contractor_page_in_chinese(db: Any, pages: Any) -> None:
    number = _order(db)
    page = pages("buildco", language="zh_CN").get(f"/track/{number}")
    assert page.status_code == 200 and "整改" in page.get_data(as_text=True)
    # Its "waiting for you" list links the order's status page beside the task.
    mine = pages("buildco", language="zh_CN").get("/my/cases").get_data(as_text=True)
    assert f"/track/{number}" in mine
