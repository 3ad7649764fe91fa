"""What a form's JSON Schema may say beyond JSON Schema: cross-field rules (`x-rules`) and fields
bound to the applicant's account (`x-prefill`). Plain data in, plain data out: the server checks a
submission with it (services/forms.py) and the validator checks the annotations (validation/forms.py),
so both read one vocabulary.

A rule compares one field with another field or with a constant; ``when`` (one condition of the
same shape, or a list that must all hold) limits it to some cases::

    "x-rules": [
      {"field": "planned_finish", "op": ">=", "other": "planned_start",
       "message": "计划竣工日期不得早于计划开工日期", "x-message-en": "Finish before start"},
      {"field": "total_investment", "op": ">=", "value": 1000,
       "when": {"field": "project_type", "op": "==", "value": "public"}, "message": "…"}
    ]

Fields are dotted paths through object properties (``builder.credit_code``). Dates (``YYYY-MM-DD``)
compare as dates, numbers as numbers, other strings and booleans only by ``==`` / ``!=``. A rule
whose field or operand is empty, or whose values do not compare (a number typed as text), is not
applied: saying that a value is missing or of the wrong type is the schema's job, and reporting the
same field twice would only confuse. Nothing here evaluates code: the operators are a closed table.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

RULES = "x-rules"
PREFILL = "x-prefill"
# A prefilled field the applicant may still change (e.g. the contact for this one project).
PREFILL_EDITABLE = "x-prefill-editable"

# The account values a field may be bound to (services/form_prefill.py reads them from the account).
PREFILL_SOURCES = (
    "account.company_name",
    "account.credit_code",
    "account.contact_name",
    "account.phone",
    "account.email",
)

OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
ORDERED = frozenset({"<", "<=", ">", ">="})
RULE_KEYS = frozenset({"field", "op", "other", "value", "when", "message", "x-message-en"})
CONDITION_KEYS = frozenset({"field", "op", "other", "value"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RuleMessage(str):
    """A rule's message: the English text (the API's default) that also knows its Chinese text,
    so each edge says it in its reader's language."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str | None) -> RuleMessage:
        english = en or zh
        self = super().__new__(cls, english)
        self.zh = zh
        self.en = english
        return self

    def __reduce__(self) -> Any:
        return (RuleMessage, (self.zh, self.en))

    def said(self, language: str) -> str:
        """The message in ``language`` (``zh_CN`` or ``en``)."""
        return self.en if language == "en" else self.zh


@dataclass(frozen=True)
class Broken:
    """A rule a submission breaks: the field to show it at, and the message."""

    field: str
    message: RuleMessage


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path of nested objects, or None when any step is missing."""
    current = data
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _comparable(left: Any, right: Any, op: str) -> tuple[Any, Any] | None:
    """The two values in a form they compare in, or None when they do not compare."""
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        if isinstance(left, bool) or isinstance(right, bool):
            return (left, right) if op not in ORDERED and type(left) is type(right) else None
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        if _DATE.match(left) and _DATE.match(right):
            try:
                return date.fromisoformat(left), date.fromisoformat(right)
            except ValueError:
                return None
        return (left, right) if op not in ORDERED else None
    if isinstance(left, bool) and isinstance(right, bool) and op not in ORDERED:
        return left, right
    return None


def holds(condition: Mapping[str, Any], data: Any) -> bool | None:
    """Whether ``condition`` holds for ``data``; None when it cannot be decided (a value missing,
    values that do not compare)."""
    compare = OPS.get(str(condition.get("op")))
    left = value_at(data, str(condition.get("field", "")))
    right = value_at(data, str(condition["other"])) if "other" in condition else condition.get("value")
    if compare is None or left is None or right is None:
        return None
    pair = _comparable(left, right, str(condition["op"]))
    if pair is None:
        return None
    return bool(compare(*pair))


def _applies(rule: Mapping[str, Any], data: Any) -> bool:
    when = rule.get("when")
    if when is None:
        return True
    conditions = when if isinstance(when, list) else [when]
    return all(isinstance(c, dict) and holds(c, data) is True for c in conditions)


def broken_rules(schema: Mapping[str, Any] | None, data: Any) -> list[Broken]:
    """The schema's rules that ``data`` breaks, in the schema's order."""
    rules = (schema or {}).get(RULES)
    if not isinstance(rules, list):
        return []
    broken: list[Broken] = []
    for rule in rules:
        if not isinstance(rule, dict) or not _applies(rule, data):
            continue
        if holds(rule, data) is False:
            message = RuleMessage(str(rule.get("message") or ""), rule.get("x-message-en"))
            broken.append(Broken(str(rule["field"]), message))
    return broken


def field_schema(schema: Mapping[str, Any] | None, path: str) -> Mapping[str, Any] | None:
    """The property schema at a dotted path through object properties, or None if there is none."""
    current: Any = schema
    for part in path.split("."):
        properties = current.get("properties") if isinstance(current, dict) else None
        if not isinstance(properties, dict) or not isinstance(properties.get(part), dict):
            return None
        current = properties[part]
    return current if isinstance(current, dict) else None


def prefilled_fields(schema: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Mapping[str, Any]]:
    """Every field carrying `x-prefill`, by dotted path (nested objects included, arrays not)."""
    found: dict[str, Mapping[str, Any]] = {}
    properties = (schema or {}).get("properties")
    if not isinstance(properties, dict):
        return found
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        if PREFILL in sub:
            found[path] = sub
        if sub.get("type") == "object":
            found.update(prefilled_fields(sub, f"{path}."))
    return found


def is_locked(field: Mapping[str, Any]) -> bool:
    """A prefilled field must equal the account unless the form lets the applicant change it."""
    return field.get(PREFILL_EDITABLE) is not True
