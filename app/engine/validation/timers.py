"""Checks of timer expressions and of the time limits user tasks declare."""

from __future__ import annotations

import re
from typing import Any

from ..messages import Text
from .problems import Problem, owning_id
from .scripts import check_code

TIME_LIMIT = re.compile(r"^\s*(\d+)\s*(wd|d|h)\s*$")
ISO_DURATION = re.compile(r"^R?\d*/?P(?=\d|T\d)[\dYMWD]*(T[\dHMS.]*)?$", re.IGNORECASE)
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")


def parse_time_limit(value: str) -> tuple[int, str] | None:
    """`5wd` → (5, "wd"); None when the value does not parse."""
    match = TIME_LIMIT.match(value or "")
    return (int(match.group(1)), match.group(2)) if match else None


def check_timer(file: str, el: Any, code: str, tag: str) -> list[Problem]:
    """A timer value is a Python expression: a bare ISO value must be quoted."""
    if not code:
        return [
            Problem(
                file, el.sourceline, owning_id(el), Text("empty {tag}", tag=tag), Text('e.g. "P5D" (quoted)')
            )
        ]
    if ISO_DURATION.match(code) or ISO_DATETIME.match(code):
        return [
            Problem(
                file,
                el.sourceline,
                owning_id(el),
                Text("timer value {code} is not a Python expression", code=code),
                Text('quote it: "{code}"', code=code),
            )
        ]
    return check_code(file, el, code, expression=True, what=Text("timer expression"))
