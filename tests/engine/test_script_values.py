"""A script may leave in the task data only what the case can keep (engine/script_values.py):
anything else puts the case in error at the script's element, naming the variable, instead of a
TypeError when the state is saved (a 500, or a timer job failing on every retry)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from app.engine import Runtime
from app.engine.script_values import MAX_DEPTH, unstorable
from tests.engine.test_sandbox import _ended, _source, script_process


@pytest.mark.parametrize(
    "value",
    [
        "文本",
        0,
        -3,
        2.5,
        True,
        None,
        [1, "a", [None, {"b": 2}]],
        (1, 2),
        {"a": {"b": [1.5]}, 3: "int keys become text"},
        datetime(2027, 1, 1, tzinfo=UTC),
        timedelta(days=2),
        uuid4(),
    ],
)
def test_what_the_case_can_keep_is_accepted(value: object) -> None:
    assert unstorable(value) is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (b"ab", "bytes"),
        (bytearray(b"a"), "bytearray"),
        (range(3), "range"),
        ((x for x in [1]), "generator"),
        ({1, 2}, "set"),
        (frozenset(), "frozenset"),
        (1j, "complex"),
        (float("nan"), "float('nan'/'inf')"),
        (float("inf"), "float('nan'/'inf')"),
        (Exception("x"), "Exception"),
        (ArithmeticError, "type"),
        ([1, [2, len]], "builtin_function_or_method"),
        ({"a": {"b": b"x"}}, "bytes"),
        ({(1, 2): "tuple key"}, "a key of type tuple"),
        ((1, {2}), "set"),
    ],
)
def test_what_it_cannot_keep_is_named(value: object, why: str) -> None:
    assert unstorable(value) == why


def test_nesting_is_bounded_at_its_depth_in_lists_and_dictionaries() -> None:
    def nested(levels: int, wrap: Any) -> object:
        value: object = 1
        for _ in range(levels):
            value = wrap(value)
        return value

    for wrap in (lambda v: [v], lambda v: {"k": v}, lambda v: (v,)):
        assert unstorable(nested(MAX_DEPTH, wrap)) is None  # the innermost container at depth 63
        assert unstorable(nested(MAX_DEPTH + 1, wrap)) == "nesting deeper than 64"
    assert unstorable([[b"x"]]) == "bytes"


@pytest.mark.parametrize(
    ("script", "name", "why"),
    [
        ("b = b'ab'", "b", "bytes"),
        ("g = (x for x in [1])", "g", "generator"),
        ("r = range(3)", "r", "range"),
        ("e = ArithmeticError.mro()", "e", "type"),
        ("n = float('nan')", "n", "float('nan'/'inf')"),
        ("ok = 1\nc = [1, 1j]", "c", "complex"),
    ],
)
def test_a_script_leaving_such_a_value_puts_the_case_in_error_naming_it(
    tmp_path: Path, script: str, name: str, why: str
) -> None:
    source = _source(tmp_path, "values", script_process("values", "placeholder_code = 1"), code=script)
    step = _ended(lambda: Runtime({}, 2.0).start(source, {}))
    assert step.error is not None, step.data
    assert step.error.bpmn_id == "Script_Work"
    assert f"a value in {name} that the case cannot keep ({why})" in step.error.message
    json.dumps(step.data)  # what the step returns can be saved


def test_a_script_leaving_plain_values_runs_on(tmp_path: Path) -> None:
    script = "items = [1, 2]\ntotal = sum(items)\nnames = {'a': (1, 2)}\nwhen = None"
    source = _source(tmp_path, "plain", script_process("plain", "placeholder_code = 1"), code=script)
    step = _ended(lambda: Runtime({}, 2.0).start(source, {}))
    assert step.error is None
    assert step.data["total"] == 3 and step.data["names"] == {"a": [1, 2]}
