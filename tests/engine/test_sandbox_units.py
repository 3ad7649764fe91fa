"""The sandbox's parts one by one: the guards every run gets, what a script's run writes back into
the task data, the messages of a refusal, and the source check the validator asks."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import ScriptRefused
from app.engine.sandbox import (
    BUILTINS,
    SandboxEnvironment,
    _explain,
    _run_limited,
    check_source,
    compile_expression,
    compile_script,
)
from app.engine.script_limits import ScriptLimitExceeded, ScriptRun


def _env(**helpers: object) -> SandboxEnvironment:
    return SandboxEnvironment(helpers, 2.0)  # type: ignore[arg-type]


def test_unpacking_and_item_writes_go_through_their_guards() -> None:
    data: dict[str, object] = {"pair": [1, 2], "rows": [[3, 4]]}
    _env().execute(
        "a, b = pair\nfor c, d in rows:\n    e = c + d\nm = {}\nm['k'] = a\nl = [0]\nl[0] = b", data
    )
    assert (data["a"], data["b"], data["e"], data["m"], data["l"]) == (1, 2, 7, {"k": 1}, [2])


def test_the_write_guard_refuses_attributes_of_what_is_not_the_scripts() -> None:
    with pytest.raises(TypeError, match="attribute-less"):
        _env(now=lambda: 1).execute("now.x = 1", {})


def test_sum_is_the_guarded_one() -> None:
    with pytest.raises(ScriptRefused, match="sum\\(\\) adds numbers only"):
        _env().execute("x = sum([[0] * 600000, [0] * 600000], [])", {})
    data: dict[str, object] = {}
    _env().execute("x = sum([1, 2, 3])", data)
    assert data["x"] == 6


def test_external_context_is_seen_but_never_written_back() -> None:
    env = _env()
    assert env.evaluate("a + b", {"a": 1}, {"b": 2}) == 3
    data: dict[str, object] = {"a": 1}
    env.execute("c = a + b\nb = 5", data, {"b": 2})
    assert data == {"a": 1, "c": 3}  # `b` belongs to the external context, not to the task data


def test_a_run_writes_back_its_values_not_its_functions_and_drops_what_it_deleted() -> None:
    data: dict[str, object] = {"x": 1, "y": 2}
    assert _env().execute("def f():\n    return 3\ng = lambda: 4\nz = f() + g()\ndel x", data) is True
    assert data == {"y": 2, "z": 7}


def test_variables_named_like_the_guarded_builtins_are_the_scripts_own() -> None:
    # `pow` and `sum` are the sandbox's guarded globals, but to the script they are builtins like
    # `max`: a variable of that name is kept (a later condition reading it must find it).
    data: dict[str, object] = {"total": 10}
    _env().execute("sum = total + 1\npow = 2\nmax = 3\nn = [sum, pow, max]", data)
    assert data == {"total": 10, "sum": 11, "pow": 2, "max": 3, "n": [11, 2, 3]}
    data = {"sum": 10}
    _env().execute("sum = sum + 1", data)
    assert data == {"sum": 11}
    data = {}
    _env().execute("x = sum([pow(2, 3)])", data)
    assert data == {"x": 8}  # unassigned, they are the sandbox's functions: never task data


def test_a_task_data_key_of_a_guards_name_is_kept_as_it_was() -> None:
    data: dict[str, object] = {"_tick_": "form field", "a": 1}
    _env().execute("b = a + 1", data)
    assert data == {"_tick_": "form field", "a": 1, "b": 2}


def test_helper_names_in_the_data_are_all_named() -> None:
    env = _env(now=lambda: 1, mask=lambda c: c)
    with pytest.raises(ScriptRefused) as refused:
        env.execute("x = 1", {"now": 1, "mask": 2})
    assert refused.value.message == "task data uses the names of helper functions: mask, now"


def test_service_tasks_are_refused_by_name() -> None:
    with pytest.raises(ScriptRefused) as refused:
        _env().call_service({})
    assert refused.value.message == "service tasks are not supported; use a script task"


def test_a_refusal_lists_every_compile_error() -> None:
    assert _explain(["one", "two"], "x") == "refused by the script sandbox: one; two"
    assert _explain([], "x") == "refused by the script sandbox: the code could not be compiled"


def test_a_limit_the_script_hid_from_itself_still_fails_the_run_with_its_reason() -> None:
    run = ScriptRun(1.0)
    assert _run_limited(run, lambda: 5) == 5
    run.tripped = "the script ran longer than its budget of 1 s"
    with pytest.raises(ScriptRefused) as refused:
        _run_limited(run, lambda: 5)
    assert refused.value.message == run.tripped


def test_check_source_compiles_as_the_runtime_does() -> None:
    assert check_source("x = 1", expression=False) is None
    assert check_source("a > 1", expression=True) is None
    refused = check_source("x = 1", expression=True)  # a statement is no expression
    assert refused is not None and refused.startswith("refused by the script sandbox")
    assert check_source("class A:\n    pass", expression=False) == (
        "cannot run in the script sandbox: "
        "class definitions are not supported; use dicts (or a function) instead"
    )


@pytest.mark.parametrize(
    ("script", "name"),
    [
        ("setattr(d, 'x', 1)", "setattr"),
        ("delattr(d, 'x')", "delattr"),
        ("n = id(d)", "id"),
        ("n = hash('a')", "hash"),
        ("B = BaseException", "BaseException"),
    ],
)
def test_the_builtins_taken_out_are_no_names_in_scripts(script: str, name: str) -> None:
    with pytest.raises(NameError, match=f"'{name}'"):
        _env().execute(script, {"d": {}})


def test_a_class_cannot_be_built_even_when_its_metaclass_is_at_hand() -> None:
    # RestrictedPython asks for `__metaclass__` (never provided); the class builder is gone too.
    with pytest.raises(NameError, match="__build_class__"):
        _env().execute("class A:\n    pass", {}, {"__metaclass__": type})


def test_no_builtin_is_an_underscore_name() -> None:
    # The guards (`_getattr_`, …) come from each run's namespace, never from the shared builtins.
    assert sorted(name for name in BUILTINS if name.startswith("_")) == []


def test_the_added_builtins_are_the_real_ones() -> None:
    # RestrictedPython leaves these out (or gives list/tuple that refuse strings); the sandbox's
    # own guards (size, time) make them safe.
    expression = (
        "(dict(a=1), list('ab'), tuple('ab'), set('aa'), frozenset('b'), sum([1, 2]), min(3, 1),"
        " max(3, 1), any([0, 1]), all([1, 0]), sorted('ba'), list(enumerate('a')), list(reversed('ab')),"
        " list(zip('ab', 'cd')), list(map(abs, [-1])), list(filter(None, [0, 2])))"
    )
    assert _env().evaluate(expression, {}) == (
        {"a": 1},
        ["a", "b"],
        ("a", "b"),
        {"a"},
        frozenset({"b"}),
        3,
        1,
        3,
        True,
        False,
        ["a", "b"],
        [(0, "a")],
        ["b", "a"],
        [("a", "c"), ("b", "d")],
        [1],
        [2],
    )


def test_pow_is_the_guarded_one() -> None:
    with pytest.raises(ScriptRefused, match="limited"):
        _env().execute("x = pow(2, 10**5)", {})
    data: dict[str, object] = {}
    _env().execute("x = pow(2, 10)\ny = pow(3, 4, 5)", data)
    assert (data["x"], data["y"]) == (1024, 1)


def test_an_expression_may_stand_between_blank_lines() -> None:
    # A BPMN condition is the element's text: often on a line of its own, indented.
    assert _env().evaluate("\n    a + 1\n  ", {"a": 1}) == 2


def test_a_broken_limit_is_a_refusal_with_its_own_words() -> None:
    def over() -> None:
        raise ScriptLimitExceeded("*: the result would be huge; process scripts are limited")

    with pytest.raises(ScriptRefused) as refused:
        _run_limited(ScriptRun(1.0), over)
    assert refused.value.message == "*: the result would be huge; process scripts are limited"


@pytest.mark.parametrize("compiled", [compile_expression, compile_script], ids=["expression", "script"])
def test_the_compiled_code_kept_is_bounded(compiled: Any) -> None:
    # Code is compiled once per source, but a deployment's many versions cannot fill the memory.
    compiled.cache_clear()
    try:
        for n in range(4100):
            compiled(f"a + {n}")
        assert compiled.cache_info().currsize == 4096
        hits, misses = compiled.cache_info()[:2]
        compiled("a + 4099")  # the newest are kept …
        compiled("a + 0")  # … and the oldest dropped
        assert compiled.cache_info()[:2] == (hits + 1, misses + 1)
    finally:
        compiled.cache_clear()
