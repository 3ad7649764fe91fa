"""Checks a process file must pass before it can be deployed.

Each problem names the file, the line, the element id, what is wrong and, where there is one,
what to write instead. The loader runs these; `flask processes validate` prints them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .sandbox import check_source

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
TIME_LIMIT = re.compile(r"^\s*(\d+)\s*(wd|d|h)\s*$")
ISO_DURATION = re.compile(r"^R?\d*/?P(?=\d|T\d)[\dYMWD]*(T[\dHMS.]*)?$", re.IGNORECASE)
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
SPECIAL_GROUPS = {"applicant"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    element_id: str
    message: str
    hint: str | None

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {self.element_id}: {self.message}{hint}"


def parse_time_limit(value: str) -> tuple[int, str] | None:
    """`5wd` → (5, "wd"); None when the value does not parse."""
    match = TIME_LIMIT.match(value or "")
    return (int(match.group(1)), match.group(2)) if match else None


def check_document(path: Path, validator: Any) -> tuple[list[Problem], Any]:
    """XML, BPMN schema and expression checks on one file. Returns problems and the tree."""
    file = str(path)
    try:
        tree = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as err:
        line = getattr(err, "lineno", 0) or 0
        return [Problem(file, line, "-", f"not well-formed XML: {err}", None)], None
    try:
        validator.validate(tree, file)
    except ValidationException as err:
        line = err.line_number if isinstance(err.line_number, int) else 0
        first = str(err).split("\n")[0]
        return [Problem(file, line or 0, err.id or "-", f"BPMN schema: {first}", None)], tree
    return _check_expressions(file, tree), tree


def _element_id(el: Any) -> str:
    while el is not None:
        if el.get("id"):
            return str(el.get("id"))
        el = el.getparent()
    return "-"


def _check_expressions(file: str, tree: Any) -> list[Problem]:
    problems: list[Problem] = []
    root = tree.getroot()
    for el in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        problems += _check_code(file, el, (el.text or "").strip(), expression=True, what="condition")
    for el in root.xpath("//bpmn:script", namespaces=NS):
        task = el.getparent()
        lang = (task.get("scriptFormat") or "python").lower()
        if lang not in {"python", "python3", "text/x-python"}:
            problems.append(
                Problem(
                    file,
                    task.sourceline,
                    _element_id(task),
                    f"script language '{lang}' is not supported",
                    "write the script in Python",
                )
            )
            continue
        problems += _check_code(file, el, el.text or "", expression=False, what="script")
    for tag in ("preScript", "postScript"):
        for el in root.xpath(f"//spiffworkflow:{tag}", namespaces=NS):
            problems += _check_code(file, el, el.text or "", expression=False, what=tag)
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for el in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            problems += _check_timer(file, el, (el.text or "").strip(), tag)
    return problems


def _check_code(file: str, el: Any, code: str, *, expression: bool, what: str) -> list[Problem]:
    if not code:
        return []
    if "${" in code or "#{" in code:
        python = re.sub(r"[$#]\{\s*(.*?)\s*\}", r"\1", code)
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"{what} uses another engine's expression language: {code}",
                f"write it as Python: {python}",
            )
        ]
    refusal = check_source(code, expression=expression)
    if refusal:
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"{what} {refusal}",
                "process code may not use names starting with '_', imports or file access",
            )
        ]
    return []


def _check_timer(file: str, el: Any, code: str, tag: str) -> list[Problem]:
    if not code:
        return [Problem(file, el.sourceline, _element_id(el), f"empty {tag}", 'e.g. "P5D" (quoted)')]
    if ISO_DURATION.match(code) or ISO_DATETIME.match(code):
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"timer value {code} is not a Python expression",
                f'quote it: "{code}"',
            )
        ]
    return _check_code(file, el, code, expression=True, what="timer expression")


def check_specs(
    all_specs: dict[str, Any],
    path: Path,
    tree: Any,
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
) -> tuple[set[str], list[Problem]]:
    """Checks on parsed specs: lanes and groups, forms named, time limits."""
    file = str(path)
    problems: list[Problem] = []
    forms: set[str] = set()

    def line(bpmn_id: str) -> int:
        found = tree.getroot().xpath(f"//*[@id='{bpmn_id}']")
        return found[0].sourceline if found else 0

    for spec in all_specs.values():
        for task_spec in spec.task_specs.values():
            ext = getattr(task_spec, "extensions", {}) or {}
            props = ext.get("properties", {}) or {}
            bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
            for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                if props.get(key):
                    forms.add(props[key])
            if "time_limit" in props and parse_time_limit(props["time_limit"]) is None:
                problems.append(
                    Problem(
                        file,
                        line(bpmn_id),
                        bpmn_id,
                        f"time_limit '{props['time_limit']}' does not parse",
                        "write e.g. 5wd (working days), 3d (days) or 4h (hours)",
                    )
                )
            if not getattr(task_spec, "manual", False):
                continue
            expr = props.get("candidate_groups")
            if expr:
                refusal = check_source(expr, expression=True)
                if refusal:
                    problems.append(
                        Problem(
                            file,
                            line(bpmn_id),
                            bpmn_id,
                            f"candidate_groups {refusal}",
                            'e.g. "fire" or agency',
                        )
                    )
                continue
            lane = getattr(task_spec, "lane", None)
            if not lane:
                problems.append(
                    Problem(
                        file,
                        line(bpmn_id),
                        bpmn_id,
                        "human task has no candidate group",
                        "put it in a lane named after a group, or set the candidate_groups property",
                    )
                )
                continue
            group = lane_groups.get(lane, lane)
            if known_groups is not None and group not in known_groups | SPECIAL_GROUPS:
                problems.append(
                    Problem(
                        file,
                        line(bpmn_id),
                        bpmn_id,
                        f"lane '{lane}' names no group",
                        "map the lane name to a group slug in processes/groups.yaml",
                    )
                )
    return forms, problems


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
    names: set[str], bpmn_path: Path, form_dirs: list[Path]
) -> tuple[dict[str, Any], list[Problem]]:
    """Load each referenced form; report missing files, bad JSON and invalid JSON Schema."""
    file = str(bpmn_path)
    forms: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in sorted(names):
        found = find_form(name, bpmn_path, form_dirs)
        if found is None:
            problems.append(
                Problem(
                    file,
                    0,
                    name,
                    f"form file '{name}' not found",
                    "put it in forms/ (or beside the BPMN file)",
                )
            )
            continue
        try:
            schema = json.loads(found.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            problems.append(
                Problem(str(found), getattr(err, "lineno", 0), name, f"form is not valid JSON: {err}", None)
            )
            continue
        if not name.endswith((".ui.json", "uischema.json")):
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as err:
                problems.append(
                    Problem(str(found), 0, name, f"form is not a valid JSON Schema: {err.message}", None)
                )
                continue
        forms[name] = schema
    return forms, problems
