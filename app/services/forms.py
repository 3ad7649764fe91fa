"""Validating submitted data against a form's JSON Schema, on the server, always."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from app.errors import InvalidData

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


def validate_form(schema: dict[str, Any] | None, data: Any, *, what: str = "form") -> None:
    """Raise InvalidData listing every problem at once, keyed by field path (`builder.credit_code`)."""
    if not isinstance(data, dict):
        raise InvalidData(f"the {what} data must be a JSON object", {"data": ["must be an object"]})
    if schema is None:
        return
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
    if errors:
        fields = ", ".join(sorted(errors))
        raise InvalidData(f"the {what} data is not valid: {fields}", errors)
