"""The validator's checks of a form's platform marks: ``x-recovery`` names a channel the platform
sends codes by (sms, email), on a field kept sealed (``x-personal``); the shipped forms pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.engine.validation import check_forms
from app.engine.validation.forms import FormUse
from tests.conftest import ROOT


def _check(tmp_path: Path, contact: dict[str, Any]) -> list[str]:
    schema = {"type": "object", "properties": {"contact": {"type": "object", "properties": contact}}}
    (tmp_path / "f.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    names = {"f.schema.json": FormUse("p.bpmn", 3, "StartEvent_1")}
    _forms, problems = check_forms(names, tmp_path / "p.bpmn", [])
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ({"type": "string", "x-personal": True, "x-recovery": "fax"}, ["contact.phone", "'fax'", "sms"]),
        ({"type": "string", "x-recovery": "sms"}, ["contact.phone", "x-personal"]),
        ({"type": "string", "x-personal": False, "x-recovery": "email"}, ["contact.phone", "x-personal"]),
    ],
)
def test_a_wrong_recovery_mark_is_refused_naming_the_field(
    tmp_path: Path, field: dict[str, Any], words: list[str]
) -> None:
    [problem] = _check(tmp_path, {"phone": field})
    for word in words:
        assert word in problem, problem
    assert "README" in problem  # the hint points into the product


def test_good_marks_and_unmarked_fields_pass(tmp_path: Path) -> None:
    fields = {
        "phone": {"type": "string", "x-personal": True, "x-recovery": "sms"},
        "email": {"type": "string", "x-personal": True, "x-recovery": "email"},
        "name": {"type": "string", "x-personal": True},
    }
    assert _check(tmp_path, fields) == []


def test_the_shipped_complaint_form_marks_its_contact_for_recovery() -> None:
    schema = json.loads((ROOT / "forms" / "complaint.schema.json").read_text(encoding="utf-8"))
    contact = schema["properties"]["contact"]["properties"]
    assert contact["phone"]["x-recovery"] == "sms" and contact["email"]["x-recovery"] == "email"
