"""The forms a process names: found beside the BPMN file or in the forms folders, JSON, JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..messages import Text
from .form_marks import mark_problems
from .problems import Problem


@dataclass(frozen=True)
class FormUse:
    """Where a form is named: the file, line and id of the (first) task or event naming it."""

    file: str
    line: int
    element_id: str


def find_form(name: str, bpmn_path: Path, form_dirs: list[Path]) -> Path | None:
    """Forms are looked up beside the BPMN file first, then in the forms folders."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    for folder in [bpmn_path.parent, *form_dirs]:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def check_forms(
    names: Mapping[str, FormUse], bpmn_path: Path, form_dirs: list[Path]
) -> tuple[dict[str, Any], list[Problem]]:
    """Load each referenced form; report missing files (at the task naming the form), bad JSON and
    invalid JSON Schema."""
    forms: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in sorted(names):
        found = find_form(name, bpmn_path, form_dirs)
        if found is None:
            use = names[name]
            problems.append(
                Problem(
                    use.file,
                    use.line,
                    use.element_id,
                    Text("form file '{name}' not found", name=name),
                    Text("put it in forms/ (or beside the BPMN file), or correct formJsonSchemaFilename"),
                )
            )
            continue
        try:
            schema = json.loads(found.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            problems.append(
                Problem(
                    str(found),
                    getattr(err, "lineno", 0),
                    name,
                    Text("form is not valid JSON: {detail}", detail=str(err)),
                    None,
                )
            )
            continue
        if not name.endswith((".ui.json", "uischema.json")):
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as err:
                problems.append(
                    Problem(
                        str(found),
                        0,
                        name,
                        Text("form is not a valid JSON Schema: {detail}", detail=err.message),
                        None,
                    )
                )
                continue
            problems += mark_problems(str(found), name, schema)
        forms[name] = schema
    return forms, problems
