"""The items a task asks about (BPMN `request_items`, e.g. a rectification order's open findings)
as the rows of the form that answers them.

An item is a text, or an object such as ``{"finding_index": 2, "description": …, "hazard_level":
"major"}``; an answer form whose one list of rows declares some of the items' keys gets one row per
item with those keys filled in, so the contractor answers each open finding (and only those)
without typing its number."""

from __future__ import annotations

from typing import Any

from .schema_form import item_schema


def prefill(schema: dict[str, Any] | None, items: list[Any]) -> dict[str, Any]:
    """The answer form's data with one row per item, if the form has exactly one list of rows
    whose rows declare keys of the items; otherwise nothing."""
    props = (schema or {}).get("properties") or {}
    found = {name: item_schema(sub) for name, sub in props.items() if isinstance(sub, dict)}
    rows = {name: sub for name, sub in found.items() if sub is not None}
    if len(rows) != 1 or not items or not all(isinstance(i, dict) for i in items):
        return {}
    name, row = next(iter(rows.items()))
    declared = set((row.get("properties") or {}).keys())
    filled = [{k: v for k, v in item.items() if k in declared} for item in items]
    if not any(filled):
        return {}
    return {name: filled}
