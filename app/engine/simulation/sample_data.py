"""Form data made up from a JSON Schema, the way a person filling the form minimally would.

Only required fields are filled (plus those an ``if``/``then`` makes required), so a script that
reads an optional field without ``.get`` shows up in simulation, as it would for a real case.
Values respect ``const``/``enum``/``oneOf``, lengths, bounds, ``format`` and simple ``pattern``s.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

# Whether ``data`` is acceptable to ``schema``: the problems keyed by field path (dotted).
Check = Callable[[dict[str, Any], dict[str, Any]], dict[str, list[str]]]

# A well-formed unified social credit code (GB 32100-2015, check character right).
SAMPLE_CREDIT_CODE = "91350100M000100Y43"
SAMPLE_DATE = "2026-03-02"
LARGE_NUMBER = 100000
_FIX_ROUNDS = 8


def choices(schema: dict[str, Any]) -> list[Any]:
    """The values a field may take when the schema lists them (``const``, ``enum``, ``oneOf``)."""
    if "const" in schema:
        return [schema["const"]]
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    found = [o["const"] for o in schema.get("oneOf") or schema.get("anyOf") or [] if "const" in o]
    if not found and schema.get("type") == "boolean":
        return [False, True]
    return found


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [str(k) for k in kind if k != "null"] or ["null"]
    return [str(kind)] if kind else []


def from_pattern(pattern: str) -> str:
    """A string matching a simple regular expression: literals, classes, ``\\d`` and counts."""
    out: list[str] = []
    i, text = 0, pattern.strip("^$")
    while i < len(text):
        char = text[i]
        if char == "[":
            end = text.index("]", i)
            piece, i = text[i + 1 : end].lstrip("^")[:1] or "a", end + 1
        elif char == "\\" and i + 1 < len(text):
            piece = {"d": "0", "w": "a", "s": " "}.get(text[i + 1], text[i + 1])
            i += 2
        elif char == "(" or char == ")" or char == "|":
            i += 1
            continue
        else:
            piece, i = char, i + 1
        count = 1
        quantifier = re.match(r"\{(\d+)(?:,(\d*))?\}|[+*?]", text[i:])
        if quantifier:
            token = quantifier.group(0)
            count = int(quantifier.group(1)) if quantifier.group(1) else (0 if token in "*?" else 1)
            i += len(token)
        out.append(piece * count)
    return "".join(out)


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "unified-social-credit-code":
        return SAMPLE_CREDIT_CODE
    if fmt == "date":
        return SAMPLE_DATE
    if fmt == "date-time":
        return f"{SAMPLE_DATE}T09:00:00+08:00"
    if fmt == "email":
        return "sample@example.com"
    if schema.get("pattern"):
        return from_pattern(str(schema["pattern"]))
    low = int(schema.get("minLength", 1) or 1)
    high = int(schema.get("maxLength", max(low, 6)))
    return ("sample" * (low // 6 + 1))[: max(low, min(6, high))]


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    value = low + 1 if "exclusiveMinimum" in schema and "minimum" not in schema else low
    return int(value) if integer else value


def sample(schema: dict[str, Any] | None) -> Any:
    """The smallest value ``schema`` accepts, as far as a generator without a solver can tell."""
    if not isinstance(schema, dict):
        return {}
    listed = choices(schema)
    if listed and schema.get("type") != "boolean":
        return copy.deepcopy(listed[0])
    kinds = _types(schema) or (["object"] if "properties" in schema else ["string"])
    kind = kinds[0]
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: sample(props.get(name)) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [sample(schema.get("items")) for _ in range(int(schema.get("minItems", 0) or 0))]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "null":
        return None
    return _string(schema)


def large(schema: dict[str, Any]) -> int | float:
    """A large value a numeric field accepts (thresholds in scripts are crossed by it)."""
    value = min(LARGE_NUMBER, schema.get("maximum", LARGE_NUMBER))
    return int(value) if "integer" in _types(schema) else value


def merge(base: Any, given: Any) -> Any:
    """``given`` laid over ``base``: objects merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(given, dict):
        out = dict(base)
        for key, value in given.items():
            out[key] = merge(base.get(key), value)
        return out
    return copy.deepcopy(given)


def _at(schema: dict[str, Any], path: list[str]) -> dict[str, Any] | None:
    for name in path:
        props = schema.get("properties") or {}
        if name not in props:
            return None
        schema = props[name]
    return schema


def _set(data: dict[str, Any], path: list[str], value: Any) -> None:
    for name in path[:-1]:
        nxt = data.get(name)
        if not isinstance(nxt, dict):
            nxt = data[name] = {}
        data = nxt
    data[path[-1]] = value


def complete(schema: dict[str, Any] | None, data: dict[str, Any], check: Check) -> dict[str, Any]:
    """``data`` with the fields the validator still asks for (e.g. required by an ``if``/``then``
    of a chosen value) filled with sample values. The caller checks the result once more."""
    if not isinstance(schema, dict):
        return data
    data = copy.deepcopy(data)
    for _ in range(_FIX_ROUNDS):
        problems = check(schema, data)
        missing = [p for p, msgs in problems.items() if any("required" in m for m in msgs)]
        short = [p for p, msgs in problems.items() if any("short" in m or "non-empty" in m for m in msgs)]
        if not missing and not short:
            break
        for dotted in missing:
            path = dotted.split(".")
            field = _at(schema, path)
            _set(data, path, sample(field) if field is not None else "sample")
        for dotted in short:
            _lengthen(schema, data, dotted.split("."))
    return data


def _lengthen(schema: dict[str, Any], data: dict[str, Any], path: list[str]) -> None:
    """One more item (or character) where a chosen value's rule asks for more than the sample has."""
    value: Any = data
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    field = _at(schema, path) or {}
    if isinstance(value, list):
        item = sample(field.get("items"))
        _set(data, path, [*value, item if item not in value else len(value)])
    elif isinstance(value, str):
        _set(data, path, value + "x")
