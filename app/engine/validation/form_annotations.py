"""The analyst's annotations of a form beyond JSON Schema: `x-prefill` must name a known account
value, and each `x-rules` rule must name fields the form has, a known operator and one operand, so
a typo is refused at validation instead of silently never firing (engine/form_rules.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..form_rules import (
    CONDITION_KEYS,
    OPS,
    PREFILL,
    PREFILL_SOURCES,
    RULE_KEYS,
    RULES,
    field_schema,
    prefilled_fields,
)
from ..messages import Text


def check_annotations(schema: Mapping[str, Any]) -> list[Text]:
    """Every problem of the form's `x-prefill` and `x-rules`, each naming its field or rule."""
    problems = _prefill_problems(schema)
    rules = schema.get(RULES)
    if rules is None:
        return problems
    if not isinstance(rules, list):
        return [*problems, Text("x-rules must be a list of rules")]
    for number, rule in enumerate(rules, start=1):
        problems += _rule_problems(schema, number, rule)
    return problems


def _prefill_problems(schema: Mapping[str, Any]) -> list[Text]:
    problems: list[Text] = []
    for path, field in prefilled_fields(schema).items():
        source = field.get(PREFILL)
        if source not in PREFILL_SOURCES:
            problems.append(
                Text(
                    "field '{field}': x-prefill '{source}' is not a known source (use one of {known})",
                    field=path,
                    source=source,
                    known=", ".join(PREFILL_SOURCES),
                )
            )
        elif field.get("type") != "string":
            problems.append(Text("field '{field}': x-prefill needs a string field", field=path))
    return problems


def _label(number: int, rule: Any) -> str:
    if not isinstance(rule, dict):
        return f"#{number}"
    other = rule.get("other", rule.get("value", "?"))
    return f"#{number} ({rule.get('field', '?')} {rule.get('op', '?')} {other})"


def _rule_problems(schema: Mapping[str, Any], number: int, rule: Any) -> list[Text]:
    name = _label(number, rule)
    if not isinstance(rule, dict):
        return [Text("x-rules rule {rule}: must be an object", rule=name)]
    problems = _condition_problems(schema, name, rule, RULE_KEYS)
    message = rule.get("message")
    if not isinstance(message, str) or not message.strip():
        problems.append(Text("x-rules rule {rule}: needs a message (and x-message-en)", rule=name))
    if "x-message-en" in rule and not isinstance(rule["x-message-en"], str):
        problems.append(Text("x-rules rule {rule}: x-message-en must be text", rule=name))
    when = rule.get("when")
    if when is not None:
        conditions = when if isinstance(when, list) else [when]
        for condition in conditions:
            if not isinstance(condition, dict):
                problems.append(Text("x-rules rule {rule}: each when condition must be an object", rule=name))
                continue
            problems += _condition_problems(schema, name, condition, CONDITION_KEYS)
    return problems


def _condition_problems(
    schema: Mapping[str, Any], name: str, rule: Mapping[str, Any], allowed: frozenset[str]
) -> list[Text]:
    problems: list[Text] = []
    unknown = sorted(set(rule) - allowed)
    if unknown:
        problems.append(Text("x-rules rule {rule}: unknown keys {keys}", rule=name, keys=", ".join(unknown)))
    for key in ("field", "other"):
        if key in rule and (not isinstance(rule[key], str) or field_schema(schema, rule[key]) is None):
            problems.append(Text("x-rules rule {rule}: unknown field '{field}'", rule=name, field=rule[key]))
    if "field" not in rule:
        problems.append(Text("x-rules rule {rule}: names no field", rule=name))
    if rule.get("op") not in OPS:
        problems.append(
            Text(
                "x-rules rule {rule}: unknown operator '{op}' (use one of {known})",
                rule=name,
                op=rule.get("op"),
                known=" ".join(OPS),
            )
        )
    if ("other" in rule) == ("value" in rule):
        problems.append(Text("x-rules rule {rule}: needs exactly one of other or value", rule=name))
    elif "value" in rule and not isinstance(rule["value"], str | int | float | bool):
        problems.append(
            Text("x-rules rule {rule}: value must be a number, a date, text or true/false", rule=name)
        )
    return problems
