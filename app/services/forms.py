"""Validating submitted data against a form's JSON Schema, on the server, always."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from app.engine.form_rules import broken_rules
from app.errors import InvalidData

from . import form_prefill
from .credit_code import is_valid_credit_code

# A 422 names the bad value by a short prefix only: echoing a 10 MB field would answer 10 MB.
QUOTE_CHARS = 40
MESSAGE_CHARS = 300
PATH_CHARS = 200

FORMATS = FormatChecker()
FORMATS.checks("unified-social-credit-code")(is_valid_credit_code)


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=FORMATS)


def _quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def _message(error: Any) -> str:
    """jsonschema's message with the offending value shortened (it quotes the whole value)."""
    message = str(error.message)
    whole = repr(error.instance)
    if len(whole) > QUOTE_CHARS and whole in message:
        message = message.replace(whole, _quoted(error.instance))
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + "…"


def validate_form(
    schema: dict[str, Any] | None,
    data: Any,
    *,
    what: str = "form",
    account: Mapping[str, str] | None = None,
) -> None:
    """Raise InvalidData listing every problem at once, keyed by field path (`builder.credit_code`):
    the JSON Schema's, the form's cross-field rules (`x-rules`, each message in both languages:
    engine/form_rules.RuleMessage) and, given the applicant's ``account`` values, the bound fields
    (`x-prefill`) that differ from the account."""
    if not isinstance(data, dict):
        raise InvalidData(f"the {what} data must be a JSON object", {"data": ["must be an object"]})
    if schema is None:
        return
    errors = _schema_errors(schema, data)
    for broken in broken_rules(schema, data):
        if broken.field not in errors:  # a value the schema refuses already says what is wrong
            errors.setdefault(broken.field, []).append(broken.message)
    if account is not None:
        for path, messages in form_prefill.mismatches(schema, data, dict(account)).items():
            errors.setdefault(path, messages)  # after the schema's own word on the value, if any
    if errors:
        fields = ", ".join(sorted(errors))
        raise InvalidData(f"the {what} data is not valid: {fields}", errors)


def _schema_errors(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in error.absolute_path)[:PATH_CHARS]
        if error.validator == "required":
            missing = error.message.split("'")[1][:PATH_CHARS] if "'" in error.message else ""
            path = f"{path}.{missing}" if path else missing
            message = "is required"
        elif error.validator == "additionalProperties":
            message = _message(error)
        elif error.validator == "format" and error.validator_value == "unified-social-credit-code":
            message = "is not a valid unified social credit code (check character wrong)"
        else:
            message = _message(error)
        errors.setdefault(path or "data", []).append(message)
    return errors
