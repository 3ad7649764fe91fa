"""A start form's cross-field rules (x-rules) and its fields bound to the account (x-prefill),
refused from the API with a 422 naming the field, in the request's language."""

from __future__ import annotations

from typing import Any

from tests.helpers import permit_application, snapshot


def _start(api: Any, data: dict[str, Any], user: str = "acme", **headers: str) -> Any:
    return api.post(
        "/api/v1/cases", user, json={"process": "construction_permit", "data": data}, headers=headers
    )


def _count_cases(db: Any) -> int:
    from sqlalchemy import func, select

    from app.models import Case

    db.expire_all()
    count = int(db.scalar(select(func.count()).select_from(Case)))
    db.rollback()  # end the read so SQLite writers are not held up
    return count


def test_a_finish_before_the_start_is_refused_at_the_field_in_either_language(api: Any, db: Any) -> None:
    data = {**permit_application("规则项目"), "planned_start": "2027-05-01", "planned_finish": "2027-04-30"}
    before = _count_cases(db)
    english = _start(api, data)
    assert english.status_code == 422
    body = english.get_json()
    assert set(body["errors"]) == {"planned_finish"}
    assert body["errors"]["planned_finish"] == [
        "The planned completion date must not be before the planned start date"
    ]
    assert "planned_finish" in body["message"]
    chinese = _start(api, data, **{"Accept-Language": "zh-CN"})
    assert chinese.get_json()["errors"]["planned_finish"] == ["计划竣工日期不得早于计划开工日期"]
    assert _count_cases(db) == before
    same_day = {**data, "planned_finish": "2027-05-01"}
    assert _start(api, same_day).status_code == 201


def test_an_underground_area_larger_than_the_floor_area_is_refused(api: Any) -> None:
    data = {**permit_application("地下项目", floor_area=1000), "underground_area": 1500}
    response = _start(api, data)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["underground_area"]
    assert _start(api, {**data, "underground_area": 1000}).status_code == 201


def test_a_builder_that_is_not_the_account_is_refused(api: Any, db: Any) -> None:
    data = permit_application("冒名项目")
    data["builder"] = {**data["builder"], "credit_code": "91110108MA01ABCD1E", "name": "华建第一工程有限公司"}
    before = _count_cases(db)
    response = _start(api, data)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"builder.credit_code", "builder.name"}
    assert "account.credit_code" in errors["builder.credit_code"][0]
    assert _count_cases(db) == before


def test_bound_fields_left_out_are_filled_from_the_account(api: Any, db: Any) -> None:
    data = permit_application("省略建设单位")
    data["builder"] = {"contact_name": "李四", "contact_phone": "13900001111"}  # the contact may differ
    response = _start(api, data)
    assert response.status_code == 201, response.get_json()
    stored = snapshot(db, response.get_json()["number"])
    assert stored["status"] == "in_progress"
    view = api.get(f"/api/v1/cases/{response.get_json()['number']}", "clerk").get_json()
    builder = view["data"]["builder"]
    assert builder["credit_code"] == "91350100M000100Y43"
    assert builder["name"] == "北湖城市建设投资有限公司"
