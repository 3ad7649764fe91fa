"""JSON Schema forms for pages: the fields to render, reading a submission back, showing data.

The schema is the only source: labels come from `title` (zh-CN) or `x-title-en` (English), choices
from `oneOf` (`const` + `title`) or `enum`. Validation stays on the server, in
``services.tasks.complete_task``; this module only turns the posted form into the JSON the schema
describes and lays out its errors next to their fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from app.engine.form_rules import RuleMessage

from .i18n import is_english, pick

RADIO_MAX = 4  # up to this many choices show as radio buttons, more as a select
LONG_TEXT = 200  # strings allowed to be longer than this get a text area
ROW_MARK = "__i__"  # the index placeholder of a row template (the page's script numbers new rows)
ATTACHMENT = "x-attachment"  # a string property holding an attachment id; its value is the kind


@dataclass
class Field:
    """One input (or fieldset, for ``kind == "group"``) of a form."""

    path: str
    # text | textarea | number | integer | date | radio | select | checkbox | lines | group
    # | rows (an array of objects: one group of fields per item) | file (an attachment reference)
    kind: str
    label: str
    help: str = ""
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # option text -> the schema's own value
    rows: list[list[Field]] = field(default_factory=list)  # kind "rows": the fields of each item
    template: list[Field] = field(default_factory=list)  # kind "rows": an empty item (ROW_MARK)

    @property
    def dom_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.path)


def schema_title(schema: dict[str, Any], fallback: str) -> str:
    return pick(schema, "title") or fallback


def schema_choices(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    if isinstance(schema.get("oneOf"), list) and all(
        isinstance(o, dict) and "const" in o for o in schema["oneOf"]
    ):
        return list(schema["oneOf"])
    if isinstance(schema.get("enum"), list):
        return [{"const": v} for v in schema["enum"]]
    return None


def build_fields(
    schema: dict[str, Any] | None, prefix: str = "", required: bool = True, data: Any = None
) -> list[Field]:
    """The fields of an object schema, in the schema's order. ``data`` (the values to show) sets
    how many rows each array of objects has: one per item, at least its ``minItems``."""
    if not schema:
        return []
    needed = set(schema.get("required") or [])
    values = data if isinstance(data, dict) else {}
    fields: list[Field] = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        fields.append(_field(sub, f"{prefix}{name}", name, required and name in needed, values.get(name)))
    return fields


def item_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The item schema of an array whose items are objects with properties (shown as rows)."""
    items = schema.get("items")
    if schema.get("type") != "array" or not isinstance(items, dict):
        return None
    if isinstance(items.get("properties"), dict):
        return items
    return None


def _rows_field(result: Field, schema: dict[str, Any], items: dict[str, Any], value: Any) -> None:
    result.kind = "rows"
    lowest: int = schema["minItems"] if isinstance(schema.get("minItems"), int) else 0
    highest = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
    label = schema_title(items, "")
    # Inside a sentence ("Add finding", "Remove finding 2") an English title is lower-case.
    phrase = label[:1].lower() + label[1:] if label[:1].isascii() and label[1:2].islower() else label
    result.attrs.update(
        min_items=lowest, max_items=highest, items=items, item_label=label, item_phrase=phrase
    )
    present = value if isinstance(value, list) else []
    count = max(len(present), lowest if result.required else 0, 1 if result.required else 0)
    result.rows = [
        build_fields(items, prefix=f"{result.path}.{i}.", data=present[i] if i < len(present) else None)
        for i in range(count)
    ]
    result.template = build_fields(items, prefix=f"{result.path}.{ROW_MARK}.")


def _field(schema: dict[str, Any], path: str, name: str, required: bool, value: Any = None) -> Field:
    label = schema_title(schema, name)
    help_text = pick(schema, "description")
    kind = schema.get("type")
    choices = schema_choices(schema)
    result = Field(path=path, kind="text", label=label, help=help_text, required=required)
    items = item_schema(schema)
    if kind == "object" and "properties" in schema:
        result.kind = "group"
        result.children = build_fields(schema, prefix=f"{path}.", required=required, data=value)
    elif items is not None:
        _rows_field(result, schema, items, value)
    elif kind == "string" and isinstance(schema.get(ATTACHMENT), str):
        result.kind = "file"
        result.attrs["attachment"] = schema[ATTACHMENT]
        # The schema's description speaks of ids (for API clients); a person chooses a file.
        result.help = gettext("A JPEG, PNG or PDF file.")
    elif choices is not None:
        result.kind = "radio" if len(choices) <= RADIO_MAX else "select"
        for choice in choices:
            text = str(choice["const"])
            result.options.append((text, pick(choice, "title") or text))
            result.values[text] = choice["const"]
    elif kind == "boolean":
        result.kind = "checkbox"
    elif kind in ("number", "integer"):
        result.kind = kind
        for key in ("minimum", "maximum"):
            if isinstance(schema.get(key), int | float):
                result.attrs[key[:3]] = schema[key]
    elif kind == "array":
        result.kind = "lines"
        scalar: dict[str, Any] = schema["items"] if isinstance(schema.get("items"), dict) else {}
        if not result.help and scalar:
            result.help = pick(scalar, "description")
        if scalar.get("type") in ("integer", "number"):
            result.attrs["item_type"] = scalar["type"]
    elif schema.get("format") == "date":
        result.kind = "date"
    elif isinstance(schema.get("maxLength"), int) and schema["maxLength"] > LONG_TEXT:
        result.kind = "textarea"
        result.attrs["maxlength"] = schema["maxLength"]
    elif isinstance(schema.get("maxLength"), int):
        result.attrs["maxlength"] = schema["maxLength"]
    return result


def _clean(value: str) -> str:
    # NUL cannot be stored (PostgreSQL refuses it in JSON): drop it rather than fail later.
    return value.replace("\x00", "")


def read_submission(fields: list[Field], form: Any) -> dict[str, Any]:
    """The posted form as the JSON object the schema describes (empty inputs are left out)."""
    return _read(fields, form, None, "", {})


def posted_files(fields: list[Field], form: Any, files: Any) -> dict[str, Any]:
    """The files chosen in the form's attachment inputs, by the path of the value they fill in the
    data that read_submission returns (rows numbered as read, e.g. ``findings.2.photo``)."""
    found: dict[str, Any] = {}
    _read(fields, form, files, "", found)
    return found


def _read(fields: list[Field], form: Any, files: Any, at: str, found: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields:
        name = f.path.rsplit(".", 1)[-1]
        if f.kind == "group":
            child = _read(f.children, form, files, f"{at}{name}.", found)
            if child:
                data[name] = child
        elif f.kind == "rows":
            items = _read_rows(f, form, files, f"{at}{name}.", found)
            if items:
                data[name] = items
        elif f.kind == "checkbox":
            data[name] = form.get(f.path) is not None
        else:
            if f.kind == "file" and files is not None:
                chosen = files.get(f.path)
                if chosen is not None and bool(getattr(chosen, "filename", None)):
                    found[at + name] = chosen
            _read_value(f, name, _clean(form.get(f.path, "")), data)
    return data


def _read_value(f: Field, name: str, raw: str, data: dict[str, Any]) -> None:
    if f.kind == "lines":
        lines: list[Any] = [line.strip() for line in raw.splitlines() if line.strip()]
        item_type = f.attrs.get("item_type")
        if item_type:  # one number per line (a list of finding numbers): typed as the schema says
            lines = [_number(line, item_type == "integer") for line in lines]
        if lines:
            data[name] = lines
    elif not raw.strip():
        return
    elif f.kind in ("radio", "select"):
        data[name] = f.values.get(raw, raw)
    elif f.kind in ("number", "integer"):
        data[name] = _number(raw.strip(), f.kind == "integer")
    elif f.kind == "textarea":
        data[name] = raw.rstrip()
    else:
        data[name] = raw.strip()


def row_indexes(path: str, names: Any) -> list[int]:
    """The row numbers posted for the rows field ``path`` (any input named ``path.<n>.…``), in
    order: rows removed on the page leave gaps, which reading closes."""
    found: set[int] = set()
    prefix = path + "."
    for key in names:
        head = key[len(prefix) :].split(".", 1)[0] if key.startswith(prefix) else ""
        if head.isdigit() and len(head) < 4:
            found.add(int(head))
    return sorted(found)


def _read_rows(f: Field, form: Any, files: Any, at: str, found: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    names = list(form.keys()) + (list(files.keys()) if files is not None else [])
    for index in row_indexes(f.path, names):
        row_fields = build_fields(f.attrs["items"], prefix=f"{f.path}.{index}.")
        chosen: dict[str, Any] = {}
        row = _read(row_fields, form, files, f"{at}{len(items)}.", chosen)
        # A row with nothing typed (unticked checkboxes only) and no file is an empty row: skip it.
        if chosen or any(v is not False for v in row.values()):
            items.append(row)
            found.update(chosen)
    return items


def _number(raw: str, integer: bool) -> Any:
    """A number if the text is one; otherwise the text, so the schema names the problem."""
    text = raw.replace(",", "").replace("，", "")
    try:
        value = float(text)
    except ValueError:
        return raw
    if value != value or value in (float("inf"), float("-inf")):
        return raw
    if integer:
        return int(value) if value.is_integer() else raw
    return int(value) if re.fullmatch(r"[+-]?\d+", text) else value


def form_values(fields: list[Field], data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten stored data into the inputs' texts (to show a form filled in)."""
    values: dict[str, str] = {}
    for f in fields:
        name = f.path.rsplit(".", 1)[-1]
        if name not in data:
            continue
        value = data[name]
        if f.kind == "group" and isinstance(value, dict):
            values.update(form_values(f.children, value))
        elif f.kind == "rows" and isinstance(value, list):
            for row, item in zip(f.rows, value, strict=False):
                if isinstance(item, dict):
                    values.update(form_values(row, item))
        elif f.kind == "lines" and isinstance(value, list):
            values[f.path] = "\n".join(str(v) for v in value)
        elif f.kind == "checkbox":
            if value:
                values[f.path] = "on"
        else:
            values[f.path] = str(value)
    return values


def all_fields(fields: list[Field]) -> list[Field]:
    """Every field of the tree, groups and rows included, parents first."""
    out: list[Field] = []
    for f in fields:
        out.append(f)
        out.extend(all_fields(f.children))
        for row in f.rows:
            out.extend(all_fields(row))
    return out


def place_errors(fields: list[Field], errors: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Errors by the field they belong to (the deepest field whose path prefixes the error's),
    translated; and the errors that belong to no field."""
    by_path = sorted(all_fields(fields), key=lambda f: len(f.path), reverse=True)
    placed: dict[str, list[str]] = {}
    general: list[str] = []
    for key, messages in errors.items():
        target = next((f for f in by_path if key == f.path or key.startswith(f.path + ".")), None)
        for message in messages:
            text = friendly_error(message)
            if target is None:
                general.append(f"{key}: {text}" if key not in ("data", "") else text)
                continue
            rest = key[len(target.path) + 1 :]
            if target.kind == "lines" and rest.isdigit():
                text = gettext("line %(num)d: %(message)s", num=int(rest) + 1, message=text)
            placed.setdefault(target.path, []).append(text)
    return placed, general


def labels(fields: list[Field]) -> dict[str, str]:
    """Every field's label by its path (for the error summary)."""
    return {f.path: f.label for f in all_fields(fields)}


def first_error(fields: list[Field], placed: dict[str, list[str]]) -> str | None:
    """The path of the first field, in the form's order, that has an error (to focus it)."""
    return next(
        (f.path for f in all_fields(fields) if f.path in placed and f.kind not in ("group", "rows")), None
    )


_PATTERNS: list[tuple[str, str]] = [
    (r"does not match the applicant's account", "account"),  # before "does not match" (a pattern)
    (r"uploaded as another kind of document", "other_kind"),
    (r"^is required$", "required"),
    (r"should be non-empty|is too short|does not have enough properties", "required"),
    (r"unified social credit code", "credit_code"),
    (r"is not of type '(number|integer)'", "number"),
    (r"is not a 'date'", "date"),
    (r"is too long|is expected to be empty", "too_long"),
    (r"is not one of|is not valid under any of the given schemas|was expected", "choice"),
    (r"does not match", "pattern"),
    (r"less than (or equal to )?the minimum", "too_small"),
    (r"greater than (or equal to )?the maximum", "too_large"),
    (r"Additional properties", "unexpected"),
    (r"is larger than", "file_too_large"),
    (r"is not a PDF, JPEG or PNG|executable program", "file_type"),
    (r"^is empty$", "file_empty"),
]


def friendly_error(message: str) -> str:
    """A validation message of the service, said for a person in the page's language (a form's own
    rule message as the form words it)."""
    if isinstance(message, RuleMessage):
        return message.said("en" if is_english() else "zh_CN")
    kinds = {
        "required": gettext("This field is required."),
        "credit_code": gettext("This is not a valid unified social credit code."),
        "number": gettext("Enter a number."),
        "date": gettext("Enter a date (YYYY-MM-DD)."),
        "too_long": gettext("This is too long."),
        "choice": gettext("Choose one of the options."),
        "pattern": gettext("This does not have the expected format."),
        "too_small": gettext("This number is too small."),
        "too_large": gettext("This number is too large."),
        "unexpected": gettext("This form does not accept that field."),
        "file_too_large": gettext("The file is too large."),
        "file_type": gettext(
            "Only PDF, JPEG and PNG files are accepted (the type is read from the file itself)."
        ),
        "file_empty": gettext("The file is empty."),
        "other_kind": gettext(
            "This file was uploaded as another kind of document: choose a file of this kind."
        ),
        "account": gettext(
            "This must be as in your verified account. To change it, update the account first."
        ),
    }
    for pattern, kind in _PATTERNS:
        if re.search(pattern, message):
            return kinds[kind]
    return gettext("This value is not valid.")
