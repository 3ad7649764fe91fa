"""The forms' own vocabulary beyond JSON Schema: cross-field rules and account bindings, as the
server applies them and as the validator checks an analyst's annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.engine.form_rules import RuleMessage, broken_rules, prefilled_fields
from app.engine.validation.form_annotations import check_annotations
from app.engine.validation.forms import FormUse, check_forms

FORMS = Path(__file__).resolve().parents[2] / "forms"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "start": {"type": "string", "format": "date"},
        "finish": {"type": "string", "format": "date"},
        "area": {"type": "number"},
        "basement": {"type": "number"},
        "kind": {"type": "string"},
        "investment": {"type": "number"},
        "owner": {
            "type": "object",
            "properties": {"code": {"type": "string", "x-prefill": "account.credit_code"}},
        },
    },
    "x-rules": [
        {
            "field": "finish",
            "op": ">=",
            "other": "start",
            "message": "竣工不得早于开工",
            "x-message-en": "finish ≥ start",
        },
        {"field": "basement", "op": "<=", "other": "area", "message": "地下不得大于总面积"},
        {
            "field": "investment",
            "op": ">=",
            "value": 1000,
            "when": {"field": "kind", "op": "==", "value": "public"},
            "message": "公共建筑投资至少1000万元",
            "x-message-en": "a public building invests at least 10 million",
        },
    ],
}


def _fields(data: dict[str, Any]) -> list[str]:
    return [b.field for b in broken_rules(SCHEMA, data)]


def test_dates_compare_as_dates_and_equal_days_pass() -> None:
    assert _fields({"start": "2027-05-01", "finish": "2027-04-30"}) == ["finish"]
    assert _fields({"start": "2027-05-01", "finish": "2027-05-01"}) == []
    assert _fields({"start": "2027-05-01", "finish": "2028-01-01"}) == []


def test_numbers_compare_and_a_missing_operand_leaves_the_rule_to_the_schema() -> None:
    assert _fields({"area": 100, "basement": 100.5}) == ["basement"]
    assert _fields({"area": 100, "basement": 100}) == []
    assert _fields({"basement": 100}) == []  # area is missing: "required" is the schema's to say
    assert _fields({"area": "lots", "basement": 100}) == []  # not a number: the schema says so


def test_when_limits_a_rule_to_the_cases_it_names() -> None:
    assert _fields({"kind": "public", "investment": 999}) == ["investment"]
    assert _fields({"kind": "public", "investment": 1000}) == []
    assert _fields({"kind": "residential", "investment": 1}) == []
    assert _fields({"investment": 1}) == []


def test_a_rule_message_knows_both_languages() -> None:
    [broken] = broken_rules(SCHEMA, {"start": "2027-05-01", "finish": "2027-04-30"})
    assert isinstance(broken.message, RuleMessage)
    assert broken.message.said("zh_CN") == "竣工不得早于开工"
    assert broken.message.said("en") == str(broken.message) == "finish ≥ start"
    [only_chinese] = broken_rules(SCHEMA, {"area": 1, "basement": 2})
    assert only_chinese.message.said("en") == "地下不得大于总面积"  # no English given: the Chinese


def test_nested_prefilled_fields_are_found_by_path() -> None:
    assert list(prefilled_fields(SCHEMA)) == ["owner.code"]


def test_the_shipped_annotations_pass() -> None:
    permit = json.loads((FORMS / "permit_application.schema.json").read_text(encoding="utf-8"))
    assert check_annotations(permit) == []
    assert len(permit["x-rules"]) >= 2
    assert {"builder.name", "builder.credit_code"} <= set(prefilled_fields(permit))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"x-rules": [{"field": "finsh", "op": ">=", "other": "start", "message": "m"}]},
            "unknown field 'finsh'",
        ),
        (
            {"x-rules": [{"field": "finish", "op": "=>", "other": "start", "message": "m"}]},
            "unknown operator '=>'",
        ),
        (
            {"x-rules": [{"field": "finish", "op": ">=", "other": "strat", "message": "m"}]},
            "unknown field 'strat'",
        ),
        ({"x-rules": [{"field": "finish", "op": ">=", "message": "m"}]}, "exactly one of other or value"),
        ({"x-rules": [{"field": "finish", "op": ">=", "other": "start"}]}, "needs a message"),
        (
            {"x-rules": [{"field": "finish", "op": ">=", "other": "start", "message": "m", "eval": "1"}]},
            "unknown keys eval",
        ),
        (
            {
                "x-rules": [
                    {
                        "field": "finish",
                        "op": ">=",
                        "other": "start",
                        "message": "m",
                        "when": {"field": "kynd", "op": "==", "value": 1},
                    }
                ]
            },
            "unknown field 'kynd'",
        ),
        ({"x-rules": {"field": "finish"}}, "must be a list"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_rule(change: dict[str, Any], words: str) -> None:
    problems = check_annotations({**SCHEMA, **change})
    assert any(words in p for p in problems), problems
    if isinstance(change["x-rules"], list):
        assert all("rule #1 (" in p for p in problems), problems


def test_an_unknown_prefill_source_is_refused_naming_the_field(tmp_path: Path) -> None:
    schema = json.loads(json.dumps(SCHEMA))
    schema["properties"]["owner"]["properties"]["code"]["x-prefill"] = "account.creditcode"
    (tmp_path / "f.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    bpmn = tmp_path / "p.bpmn"
    _forms, problems = check_forms({"f.schema.json": FormUse(str(bpmn), 3, "Start")}, bpmn, [])
    [problem] = problems
    assert problem.element_id == "f.schema.json"
    assert "field 'owner.code'" in problem.message and "account.creditcode" in problem.message
    assert "account.credit_code" in problem.message  # what to write instead
