"""Reading JSON request bodies safely, before any view, schema or service sees them.

Python's parser accepts what the rest of the stack then chokes on: a lone surrogate (``"\\ud800"``)
parses into a string no database or encoder takes, arrays nested thousands deep exhaust the
recursion limit, and a 5,000-digit integer trips the interpreter's int/str conversion limit. Each
answered 500. Here every JSON body is checked once in a ``before_request`` hook, and the app's
JSON provider (``request.get_json``) parses with the same rules, so such bodies answer 400 (JSON for
the API, a page for pages) and nothing else runs.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 64  # forms nest a few levels; nothing legitimate comes near this
MAX_NUMBER_CHARS = 100  # digits, sign, point and exponent of one number


class InvalidJson(ValueError):
    """A body that is not JSON this platform accepts; the message says why (in English)."""


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, counted without recursion (brackets inside strings
    do not count)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif ch in "]}":
            depth -= 1


def _number(kind: type) -> Any:
    def parse(raw: str) -> Any:
        if len(raw) > MAX_NUMBER_CHARS:
            raise InvalidJson(f"a number in the JSON is longer than {MAX_NUMBER_CHARS} characters")
        return kind(raw)

    return parse


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not JSON")


def _check_strings(value: Any) -> None:
    """Refuse strings (values and keys) that are not valid Unicode: lone surrogates."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidJson("the JSON holds a string that is not valid Unicode") from None


def parse_json(data: str | bytes) -> Any:
    """Parse a JSON document under this platform's limits; InvalidJson if it breaks one."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJson("the JSON is not valid UTF-8") from None
    else:
        text = data
    _check_depth(text)
    try:
        value = json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise InvalidJson(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    _check_strings(value)
    return value


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, parsing with :func:`parse_json`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


# Endpoints whose body anyone may send before they are authenticated (a signed message is parsed
# before its signature is checked): no bigger than they need, not the upload limit.
BODY_LIMITS: dict[str, int] = {}


def limit_body(endpoint: str, max_bytes: int) -> None:
    BODY_LIMITS[endpoint] = max_bytes


def _check_body() -> None:
    if request.endpoint in BODY_LIMITS:
        request.max_content_length = BODY_LIMITS[request.endpoint]
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        parse_json(data)
    except InvalidJson as err:
        raise BadRequest(str(err)) from None


def install(app: Flask) -> None:
    """Parse JSON with the platform's limits and refuse bad JSON bodies before any view runs."""
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    # First of the hooks, so no other hook reads the body before it is checked.
    app.before_request_funcs.setdefault(None, []).insert(0, _check_body)
