"""Personal data given in forms at rest (issue 15): the fields a form marks ``x-personal`` (a
complainant's name, phone and ID number, a builder's contact) are in no raw row of the case, its
workflow state, its tasks, the audit trail or the notifications; staff who may see the case data
see them; a keyed hash finds the case by them; a key rotation re-encrypts them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from app import clock, edge
from app.models import Case, PersonalValue
from app.services import cases, drafts, personal_data, tasks
from tests.conftest import make_app
from tests.helpers import complete_at, open_task, plain, user_named

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)
NAME, PHONE, ID_NUMBER = "王举报", "13912345678", "35010219900101123X"
CONTACT_PHONE = "13655556666"
TABLES = ["case", "human_task", "timer", "audit_event", "notification", "personal_value", "draft"]


def complaint() -> dict[str, Any]:
    return {
        "category": "noise_dust",
        "location": "北湖区滨江路88号工地",
        "description": "工地每晚22点后仍在施工。",
        "contact": {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER},
    }


def file_complaint(db: Any) -> Case:
    """An anonymous complaint with a full contact, routed to the construction department."""
    with clock.travel_to(MONDAY):
        case = cases.start_case(db, None, "complaint_handling", complaint()).case
        db.commit()
    complete_at(
        db, case, "Task_Triage", "dispatcher", {"decision": "route", "department": "construction"}, MONDAY
    )
    return case


def _raw_rows(db: Any) -> str:
    """Every column of every row of the tables a case writes, as the database holds them."""
    dumped = []
    for table in TABLES:
        for row in db.execute(text(f'SELECT * FROM "{table}"')):
            dumped.extend(_readable(value) for value in row)
    db.rollback()
    return "\n".join(dumped)


def _readable(value: Any) -> str:
    """A column as text, JSON decoded too (SQLite and the serializer write `\\u738b` for 王)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        try:
            return value + "\n" + json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return repr(value)


def test_no_raw_row_holds_the_complainants_name_phone_or_id_number(db: Any) -> None:
    case = file_complaint(db)
    raw = _raw_rows(db)
    assert "noise_dust" in raw and "北湖区滨江路88号工地" in raw  # the rows were read, decoded
    for secret in (NAME, PHONE, ID_NUMBER, PHONE[3:], ID_NUMBER[6:14]):
        assert secret not in raw, secret
    state = db.scalar(select(Case.state).where(Case.id == case.id))
    assert personal_data.REF_PREFIX in state  # the workflow holds the reference
    fields = sorted(db.scalars(select(PersonalValue.field).where(PersonalValue.case_id == case.id)))
    assert fields == ["contact.id_number", "contact.name", "contact.phone"]
    db.rollback()


def test_staff_who_may_see_the_data_see_the_values_the_public_does_not(db: Any, api: Any) -> None:
    case = file_complaint(db)
    view = plain(cases.public_view(db, db.get(Case, case.id), with_data=True))
    assert view["data"]["contact"] == {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER}
    handle = open_task(db, case, "Task_Handle")
    detail = tasks.task_detail(db, user_named(db, "permit_officer"), handle.id)
    assert detail.data["contact"]["phone"] == PHONE
    db.rollback()
    shown = api.get(f"/api/v1/tasks/{handle.id}", "permit_officer").get_json()
    assert shown["data"]["contact"]["id_number"] == ID_NUMBER
    assert api.get(f"/api/v1/cases/{case.number}", "dispatcher").get_json()["data"]["contact"]["name"] == NAME
    assert "data" not in api.get(f"/api/v1/cases/{case.number}", "acme").get_json()  # 404 body, no data


def test_a_reference_reveals_only_in_its_own_case(db: Any) -> None:
    first = file_complaint(db)
    ref = db.scalar(select(PersonalValue.ref).where(PersonalValue.field == "contact.phone"))
    # Someone copies the reference into a free-text field of another case: it stays a reference.
    with clock.travel_to(MONDAY):
        other = cases.start_case(db, None, "complaint_handling", {**complaint(), "description": ref}).case
        db.commit()
    assert personal_data.reveal(db, other.id, {"description": ref}) == {"description": ref}
    assert personal_data.reveal(db, first.id, {"description": ref}) == {"description": PHONE}
    assert personal_data.reveal(db, first.id, {"n": 1}) == {"n": 1}
    db.rollback()


def test_a_case_is_found_by_a_personal_value_through_its_keyed_hash(db: Any) -> None:
    case = file_complaint(db)
    assert personal_data.cases_with(db, PHONE) == [case.id]
    assert personal_data.cases_with(db, "139 1234 5678", "contact.phone") == [case.id]
    assert personal_data.cases_with(db, PHONE, "contact.id_number") == []
    assert personal_data.cases_with(db, "13900000000") == []
    hashes = list(db.scalars(select(PersonalValue.lookup_hash)))
    assert all(len(h) == 64 and PHONE not in h for h in hashes)
    db.rollback()


def test_sealing_follows_the_schema_marks_only() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "x-personal": True},
            "b": {"type": "string"},
            "people": {
                "type": "array",
                "items": {"type": "object", "properties": {"id": {"x-personal": True}}},
            },
            "n": {"type": "integer", "x-personal": True},
        },
    }
    sealed = personal_data.seal(schema, {"a": "x", "b": "y", "people": [{"id": "p1"}, {"id": ""}], "n": 7})
    data = sealed.data
    assert data["b"] == "y" and data["people"][1] == {"id": ""}
    assert all(data[k].startswith(personal_data.REF_PREFIX) for k in ("a", "n"))
    assert data["people"][0]["id"].startswith(personal_data.REF_PREFIX)
    assert [(path, value) for _ref, path, value in sealed.values] == [
        ("a", "x"),
        ("people[].id", "p1"),
        ("n", 7),
    ]
    assert personal_data.seal(None, {"a": "x"}).data == {"a": "x"}
    assert personal_data.marks_personal(schema) and not personal_data.marks_personal({"properties": {}})


def test_a_permit_application_keeps_the_builders_contact_out_of_the_rows(db: Any, api: Any) -> None:
    from tests.helpers import permit_application

    data = permit_application("联系人测试项目")
    data["builder"] = {**data["builder"], "contact_name": "赵联系", "contact_phone": CONTACT_PHONE}
    response = api.post("/api/v1/cases", "acme", json={"process": "construction_permit", "data": data})
    assert response.status_code == 201, response.get_json()
    raw = _raw_rows(db)
    assert CONTACT_PHONE not in raw and "赵联系" not in raw and "联系人测试项目" in raw
    number = response.get_json()["number"]
    assert (
        api.get(f"/api/v1/cases/{number}", "acme").get_json()["data"]["builder"]["contact_phone"]
        == CONTACT_PHONE
    )


def _draft(db: Any) -> Any:
    """acme's permit draft with the builder's contact typed in."""
    from tests.helpers import permit_application

    data = permit_application("草稿项目")
    data["builder"] = {**data["builder"], "contact_name": "钱草稿", "contact_phone": CONTACT_PHONE}
    draft = drafts.open_draft(db, user_named(db, "acme"), "construction_permit")
    drafts.save(db, draft, data)
    db.commit()
    return draft


def test_a_draft_keeps_the_personal_fields_encrypted(db: Any) -> None:
    draft = _draft(db)
    raw = _raw_rows(db)
    assert "草稿项目" in raw and CONTACT_PHONE not in raw and "钱草稿" not in raw
    typed = drafts.typed_data(db, db.get(type(draft), draft.id))
    assert typed["builder"]["contact_phone"] == CONTACT_PHONE and typed["project_name"] == "草稿项目"
    # A value typed to look like ciphertext is shown as typed, not an error.
    assert personal_data.decrypt_marked(db, {"x": "pii1:nokey:AAAA"}) == {"x": "pii1:nokey:AAAA"}
    db.rollback()


def test_flask_pii_rotate_re_encrypts_the_values_under_a_new_key(app: Any, db: Any, tmp_path: Any) -> None:
    case = file_complaint(db)
    draft = _draft(db)
    before = {row.ref: (row.value, row.lookup_hash) for row in db.scalars(select(PersonalValue))}
    state = db.scalar(select(Case.state).where(Case.id == case.id))
    db.rollback()
    settings = edge.of(app).settings
    first_key, new_key = settings.pii_key or settings.secret_key, "a-new-personal-data-key"
    rotated = make_app(
        settings.database_url, tmp_path / "new", settings.redis_url, pii_key=new_key, pii_old_keys=first_key
    )
    try:
        result = rotated.test_cli_runner().invoke(args=["pii", "rotate"])
        assert result.exit_code == 0, result.output
        assert "re-encrypted 5 personal value(s)" in result.output  # 3 of the case, 2 of the draft
        with edge.of(rotated).database.unit_of_work(write=False) as session:
            after = {row.ref: (row.value, row.lookup_hash) for row in session.scalars(select(PersonalValue))}
            assert set(after) == set(before)  # the references (and so the workflow state) stay
            assert all(after[r][0] != before[r][0] and after[r][1] != before[r][1] for r in after)
            assert session.scalar(select(Case.state).where(Case.id == case.id)) == state
            shown = personal_data.reveal(session, case.id, {"p": next(iter(after))})
            assert shown["p"] in (NAME, PHONE, ID_NUMBER)
            assert personal_data.cases_with(session, PHONE) == [case.id]
            typed = drafts.typed_data(session, session.get(type(draft), draft.id))
            assert typed["builder"]["contact_name"] == "钱草稿"
        again = rotated.test_cli_runner().invoke(args=["pii", "rotate"])
        assert "re-encrypted 0 personal value(s)" in again.output
        # The first key alone no longer reads them.
        with pytest.raises(ValueError, match="unknown key"):
            personal_data.reveal(db, case.id, {"p": next(iter(before))})
        db.rollback()
    finally:
        edge.of(rotated).database.dispose()
        # Back under the first key: the accounts' phones were rotated too, and other tests read them.
        back = make_app(
            settings.database_url,
            tmp_path / "back",
            settings.redis_url,
            pii_key=first_key,
            pii_old_keys=new_key,
        )
        assert back.test_cli_runner().invoke(args=["pii", "rotate"]).exit_code == 0
        edge.of(back).database.dispose()
