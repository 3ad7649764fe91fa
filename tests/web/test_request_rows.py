"""What a task asks about becomes the rows of its form (a rectification report: one row per open
finding, its number filled in), and a list of numbers typed one per line is read as numbers (the
inspector's findings still open), so the schema accepts it."""

from __future__ import annotations

import json
from pathlib import Path

from app.web import request_items, schema_form

FORMS = Path(__file__).resolve().parents[2] / "forms"
REPORT = json.loads((FORMS / "rectification_report.schema.json").read_text(encoding="utf-8"))
VERIFY = json.loads((FORMS / "rectification_verification.schema.json").read_text(encoding="utf-8"))
ITEMS = [
    {"finding_index": 0, "description": "脚手架连墙件缺失", "hazard_level": "general"},
    {"finding_index": 2, "description": "临边防护缺失", "hazard_level": "serious"},
]


def test_one_row_per_item_with_the_keys_the_rows_declare() -> None:
    filled = request_items.prefill(REPORT, ITEMS)
    assert filled == {"entries": [{"finding_index": 0}, {"finding_index": 2}]}
    fields = schema_form.build_fields(REPORT, data=filled)
    rows = next(f for f in fields if f.kind == "rows")
    assert len(rows.rows) == 2
    values = schema_form.form_values(fields, filled)
    assert values["entries.0.finding_index"] == "0" and values["entries.1.finding_index"] == "2"
    # The photo of each row is a file input (the report's x-attachment), not an id to type.
    assert [f.kind for f in rows.rows[0]] == ["integer", "textarea", "file"]


def test_no_rows_when_the_items_are_texts_or_the_rows_declare_none_of_their_keys() -> None:
    assert request_items.prefill(REPORT, ["补充施工合同"]) == {}
    assert request_items.prefill(REPORT, [{"other": 1}]) == {}
    assert request_items.prefill(REPORT, []) == {}
    assert request_items.prefill(VERIFY, ITEMS) == {}  # no list of rows at all
    assert request_items.prefill(None, ITEMS) == {}


def test_numbers_one_per_line_are_read_as_numbers() -> None:
    fields = schema_form.build_fields(VERIFY)
    data = schema_form.read_submission(fields, {"decision": "failed", "open_findings": "0\n 2 \n\nx"})
    assert data == {"decision": "failed", "open_findings": [0, 2, "x"]}  # "x" left for the schema to name
