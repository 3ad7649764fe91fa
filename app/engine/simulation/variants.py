"""The submissions simulation tries for a form: a minimal sample, then one field changed at a time
to each value a condition could test (every listed choice of a tested field, the literals compared
with it), and for a start form each number made large (scripts compare them with thresholds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .reading import Tested
from .sample_data import Check, choices, complete, large, sample


@dataclass(frozen=True)
class Variant:
    label: str
    data: dict[str, Any]


def _fits(prop: dict[str, Any], value: Any) -> bool:
    kind = prop.get("type")
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _values(name: str, prop: dict[str, Any], tested: Tested) -> list[Any]:
    listed = choices(prop)
    if listed:
        return listed if name in tested.read or name in tested.literals else []
    found = [v for v in tested.values_for(name) if _fits(prop, v)]
    if prop.get("type") in ("integer", "number"):
        found += [v - 1 for v in list(found)]
    return sorted(found, key=repr)


def _label(data: dict[str, Any], names: list[str]) -> str:
    shown = [f"{n}={data[n]}" for n in names if n in data and not isinstance(data[n], dict | list)]
    return ", ".join(shown) or "sample"


def form_variants(
    schema: dict[str, Any] | None, tested: Tested, check: Check, *, start: bool = False
) -> list[Variant]:
    """The first variant is the plain sample; each other differs from it in one field."""
    if not isinstance(schema, dict):
        return [Variant("no form", {})]
    base = complete(schema, sample(schema), check)
    props = schema.get("properties") or {}
    shown = [n for n in props if n in tested.read or n in tested.literals]
    out = [Variant(_label(base, shown) if not start else "sample", base)]
    seen = [base]
    for name, prop in props.items():
        if not isinstance(prop, dict):
            continue
        values = _values(name, prop, tested)
        if start and prop.get("type") in ("integer", "number"):
            values = [*values, large(prop)]
        for value in values:
            data = complete(schema, {**base, name: value}, check)
            if data in seen or check(schema, data):
                continue
            seen.append(data)
            out.append(Variant(f"{name}={value}", data))
    return out
