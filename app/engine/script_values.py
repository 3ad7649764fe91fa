"""What a script may leave in the task data: values the case can keep.

The task data is saved with the case (JSON in the database, the engine's serializer for the
workflow state). A script that leaves a generator, bytes, a class, an exception or a complex
number there made the save fail with a TypeError (a 500, or a timer job failing on every retry);
NaN and infinity are not JSON, and PostgreSQL refuses them in a ``jsonb`` column; sets and
functions inside lists were silently saved as their ``repr``. Each is refused here instead,
naming the variable, so that the case goes to ``error`` at the script's element like any other
script failure.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from .messages import Text, marked

_SCALARS = (str, bool, int, type(None), datetime, timedelta, UUID)
# Deeper than anything a form holds; deeper data is refused rather than walked without end.
MAX_DEPTH = 64
# Python writes integers of at most 4,300 digits as text (sys.get_int_max_str_digits): JSON cannot
# hold a longer one. 13,000 bits is under 4,000 digits.
MAX_INT_BITS = 13_000


def copied(value: Any) -> Any:
    """A copy of task data deep enough that changing it in place leaves ``value`` as it was:
    dictionaries and lists anew, the immutable rest shared (much cheaper than ``copy.deepcopy``,
    which a run would pay on every script and condition)."""
    if isinstance(value, dict):
        return {key: copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copied(item) for item in value]
    if isinstance(value, tuple):
        return tuple(copied(item) for item in value)
    if isinstance(value, (*_SCALARS, float)):
        return value
    return copy.deepcopy(value)


def unstorable(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` cannot be kept in the task data (the offending type's name), None if it can."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        return "an integer of more than 4,000 digits"
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "float('nan'/'inf')"
    if depth >= MAX_DEPTH:
        return "nesting deeper than 64"
    if isinstance(value, list | tuple):
        return next((why for item in value if (why := unstorable(item, depth + 1))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int | bool | float | type(None)):
                return f"a key of type {type(key).__name__}"
            why = unstorable(item, depth + 1)
            if why:
                return why
        return None
    return type(value).__name__


_REFUSED = marked(
    "the script left a value in {name} that the case cannot keep ({why}): store text, numbers, "
    "lists or dictionaries"
)


def refusal(name: str, why: str) -> Text:
    return Text(_REFUSED, name=name, why=why)
