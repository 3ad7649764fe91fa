"""A case's data laid out for reading on pages: titles from the JSON Schema, choice titles, yes/no,
grouped numbers, attachments shown by file name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, gettext

from .i18n import pick
from .schema_form import schema_choices, schema_title


@dataclass(frozen=True)
class FileRef:
    """An attachment a value of the data names: shown by its file name, with a preview link."""

    name: str
    url: str
    is_image: bool


@dataclass
class DataRow:
    """One line of a case's data laid out for reading: a value, a list, files, or nested rows."""

    label: str
    text: str | None = None
    items: list[str] | None = None
    children: list[DataRow] | None = None
    groups: list[list[DataRow]] | None = None
    files: list[FileRef] | None = None


def data_rows(
    data: Any, schema: dict[str, Any] | None, files: dict[str, FileRef] | None = None
) -> list[DataRow]:
    """Rows for an object: the schema's properties first (with their titles), then the rest.
    Values that are the id of one of ``files`` (the case's attachments) show as that file."""
    if not isinstance(data, dict):
        return []
    props = (schema or {}).get("properties") or {}
    keys = [k for k in props if k in data] + [k for k in data if k not in props]
    return [_row(key, data[key], props.get(key) or {}, files or {}) for key in keys]


def _row(key: str, value: Any, schema: dict[str, Any], files: dict[str, FileRef]) -> DataRow:
    label = schema_title(schema, key.replace("_", " "))
    if isinstance(value, dict):
        return DataRow(label, children=data_rows(value, schema, files))
    if isinstance(value, str) and value in files:
        return DataRow(label, files=[files[value]])
    if isinstance(value, list):
        items_schema = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if value and all(isinstance(v, str) and v in files for v in value):
            return DataRow(label, files=[files[v] for v in value])
        if value and all(isinstance(v, dict) for v in value):
            return DataRow(label, groups=[data_rows(v, items_schema, files) for v in value])
        return DataRow(label, items=[display_value(v, items_schema) for v in value])
    return DataRow(label, text=display_value(value, schema))


def display_value(value: Any, schema: dict[str, Any] | None = None) -> str:
    """A scalar as a reader wants it: choice titles, yes/no, grouped numbers."""
    for choice in schema_choices(schema or {}) or []:
        if choice.get("const") == value and ("title" in choice or "x-title-en" in choice):
            return pick(choice, "title")
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, int | float):
        return str(format_decimal(value))
    if value is None:
        return "—"
    return str(value)
