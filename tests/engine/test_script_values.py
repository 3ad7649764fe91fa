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

from app.engine import EngineError, Runtime, SpecSource, load_processes
from app.engine.script_values import MAX_DEPTH, unstorable
from tests.engine.bpmn_factory import script_then_condition_process, two_scripts_process, write
from tests.engine.test_sandbox import PLACEHOLDER, _ended, _source, script_process


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


def _deployed(tmp_path: Path, key: str, xml: str) -> SpecSource:
    result = load_processes([write(tmp_path, key, xml)], [], {})
    assert result.ok, result.problems
    return SpecSource(result.bundles[key].hash, result.bundles[key].spec_json, {})


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("items.append(b'x')", "bytes"),
        ("items[0] = (x for x in [1])", "generator"),
        ("items.append(1j)", "complex"),
    ],
)
def test_a_value_put_in_place_into_existing_data_is_refused_and_the_data_left_as_it_was(
    tmp_path: Path, change: str, why: str
) -> None:
    source = _deployed(
        tmp_path, "inplace", two_scripts_process("inplace", "items = [1]\nkept = 'yes'", change)
    )
    step = _ended(lambda: Runtime({}, 2.0).start(source, {}))
    assert step.error is not None and step.error.bpmn_id == "Script_Work"
    assert f"a value in items that the case cannot keep ({why})" in step.error.message
    assert step.data["items"] == [1] and step.data["kept"] == "yes"
    json.loads(step.state)


def test_a_condition_changes_no_data_even_in_place(tmp_path: Path) -> None:
    xml = script_then_condition_process(
        "cond", "items = [1]\nd = {'a': 1}", "bool(items.append(b'x') or d.update(g=1) or True)"
    )
    step = _ended(lambda: Runtime({}, 2.0).start(_deployed(tmp_path, "cond", xml), {}))
    assert step.error is None and [t.bpmn_id for t in step.ready] == ["Task_Review"]
    assert step.data["items"] == [1] and step.data["d"] == {"a": 1}


def test_deleting_a_guarded_builtin_leaves_no_unguarded_one(tmp_path: Path) -> None:
    for name, call in (("pow", "pow(7, 10 ** 7)"), ("sum", "sum([1, 2])")):
        source = _source(
            tmp_path,
            f"del_{name}",
            script_process(f"del_{name}", PLACEHOLDER),
            code=f"del {name}\nx = {call}",
        )
        step = _ended(lambda source=source: Runtime({}, 1.0).start(source, {}))
        assert step.error is not None and f"name '{name}' is not defined" in step.error.message


def test_an_integer_json_cannot_write_is_refused() -> None:
    assert unstorable(10**3900) is None
    assert unstorable(10**4200) == "an integer of more than 4,000 digits"
    assert unstorable([-(10**4200)]) == "an integer of more than 4,000 digits"
    assert unstorable(True) is None


def test_data_that_still_cannot_be_saved_refuses_the_step_instead_of_raising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.engine import runtime

    source = _source(tmp_path, "unsaved", script_process("unsaved", PLACEHOLDER), code="x = 1")

    def broken(_workflow: object) -> str:
        raise TypeError("Object of type bytes is not JSON serializable")

    monkeypatch.setattr(runtime, "dump_state", broken)
    with pytest.raises(EngineError, match="cannot be saved after this step: Object of type bytes"):
        Runtime({}, 2.0).start(source, {})
