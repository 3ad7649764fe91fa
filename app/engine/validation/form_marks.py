"""Marks a form puts on its fields for the platform (beyond JSON Schema): ``x-recovery`` names the
channel a lost query code is sent again by, and only makes sense on a sealed personal field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..messages import Text
from .problems import Problem

RECOVERY_CHANNELS = ("sms", "email")
HINT = Text(
    'mark a phone field "x-recovery": "sms" or an e-mail field "x-recovery": "email", each with '
    "\"x-personal\": true (README, section 'Authoring a process')"
)


def _fields(schema: Any, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return
    for name, sub in schema["properties"].items():
        if isinstance(sub, dict):
            yield f"{prefix}{name}", sub
            yield from _fields(sub, f"{prefix}{name}.")


def mark_problems(file: str, name: str, schema: Any) -> list[Problem]:
    """Wrong ``x-recovery`` marks: an unknown channel, or a field that is not ``x-personal``."""
    problems = []
    for path, sub in _fields(schema):
        if "x-recovery" not in sub:
            continue
        channel = sub["x-recovery"]
        if channel not in RECOVERY_CHANNELS:
            message = Text(
                "field '{field}': x-recovery must be 'sms' or 'email', not {value}",
                field=path,
                value=repr(channel),
            )
        elif sub.get("x-personal") is not True:
            message = Text(
                "field '{field}': x-recovery needs \"x-personal\": true (the contact is kept sealed)",
                field=path,
            )
        else:
            continue
        problems.append(Problem(file, 0, name, message, HINT))
    return problems
