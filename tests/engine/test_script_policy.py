"""The restricted compiler's own rewrites, read back as source: where the time checks go, which
operations and calls pass through a size guard, and which handlers are refused with what words."""

from __future__ import annotations

import ast

import pytest

from app.engine.script_policy import LimitedTransformer


def _rewrite(source: str, mode: str = "exec") -> tuple[ast.AST, list[str]]:
    errors: list[str] = []
    tree = LimitedTransformer(errors, [], {}).visit(ast.parse(source, mode=mode))
    return tree, [str(e) for e in errors]


def _as_source(source: str, mode: str = "exec") -> str:
    tree, errors = _rewrite(source, mode)
    assert errors == []
    return ast.unparse(tree)


@pytest.mark.parametrize(
    ("source", "rewritten"),
    [
        ("while a:\n    b = 1", "while a:\n    _tick_()\n    b = 1"),
        ("while a:\n    continue", "while a:\n    _tick_()\n    continue"),
        ("for i in xs:\n    continue", "for i in _getiter_(xs):\n    _tick_()\n    continue"),
        ("def f(x):\n    return x", "def f(x):\n    _tick_()\n    return x"),
        ("g = lambda v: v", "g = lambda v: _tick_() or v"),
        ("y = [v for v in xs if v]", "y = [v for v in _getiter_(xs) if not _tick_() if v]"),
    ],
    ids=["while", "while_continue", "for", "function", "lambda", "comprehension"],
)
def test_every_repetition_checks_the_time_first(source: str, rewritten: str) -> None:
    assert _as_source(source) == rewritten


def test_the_inserted_checks_sit_on_the_lines_of_what_they_check() -> None:
    tree, _ = _rewrite(
        "x = 1\nwhile a:\n    b = 1\nfor i in c:\n    d = 2\ndef f():\n    return 3\ng = [\n  v for v in h]"
    )
    module = tree
    assert isinstance(module, ast.Module)
    ticks = [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_tick_"
    ]
    assert sorted(t.lineno for t in ticks) == [2, 4, 6, 9]
    # The whole tree has locations (compile() needs them) and the code runs.
    for node in ast.walk(module):
        if isinstance(node, ast.expr | ast.stmt):
            assert isinstance(node.lineno, int)
    compile(module, "<script>", "exec")


def test_an_expression_is_rewritten_and_located_too() -> None:
    tree, errors = _rewrite("a * 2 + len([v for v in b])", "eval")
    assert errors == []
    assert ast.unparse(tree) == "_add_(_mul_(a, 2), len([v for v in _getiter_(b) if not _tick_()]))"
    code = compile(tree, "<expression>", "eval")
    seen: list[str] = []

    def tick() -> None:
        seen.append("tick")

    namespace = {"_tick_": tick, "_add_": lambda x, y: x + y, "_mul_": lambda x, y: x * y, "_getiter_": iter}
    assert eval(code, {**namespace, "a": 3, "b": [1, 2]}) == 8  # noqa: S307 - our own expression
    assert seen == ["tick", "tick"]


def test_size_changing_operators_go_through_their_guards() -> None:
    assert _as_source("x = a + b * c ** d << e % f - g / h") == (
        "x = _lshift_(_add_(a, _mul_(b, _pow_(c, d))), _mod_(e, f) - g / h)"
    )


def test_f_strings_are_weighed_and_their_widths_guarded() -> None:
    assert _as_source("x = f'{a:>3}{b!r}{c}'") == (
        "x = _joined_(f\"{_format_(a, -1, _joined_(f'>3'))}{b!r}{c}\")"
    )
    assert _as_source("x = f'{a!r:>3}'") == "x = _joined_(f\"{_format_(a, 114, _joined_(f'>3'))}\")"


@pytest.mark.parametrize(
    "name",
    [
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "str",
        "repr",
        "sorted",
        "split",
        "rsplit",
        "splitlines",
        "copy",
        "encode",
        "decode",
        "hex",
        "fromkeys",
        "upper",
        "lower",
        "title",
        "casefold",
        "swapcase",
    ],
)
def test_allocating_calls_are_weighed_by_function_or_method_name(name: str) -> None:
    assert _as_source(f"x = {name}(a)") == f"x = _sized_({name}(a))"
    assert _as_source(f"x = a.{name}()") == f"x = _sized_(_getattr_(a, '{name}')())"


def test_other_calls_are_left_as_they_are() -> None:
    assert _as_source("x = len(a) + a.count(b) + f()(c)") == (
        "x = _add_(_add_(len(a), _getattr_(a, 'count')(b)), f()(c))"
    )


def test_starred_displays_are_weighed_and_assignment_targets_are_not() -> None:
    assert _as_source("x = [*a]\ny = (*a,)\nz = {*a}\nw = [a, (b,), {c}]") == (
        "x = _sized_([*a])\ny = _sized_((*a,))\nz = _sized_({*a})\nw = [a, (b,), {c}]"
    )
    # One starred item is enough to copy a whole list.
    assert _as_source("x = [b, *a]\ny = (b, *a)\nz = {b, *a}") == (
        "x = _sized_([b, *a])\ny = _sized_((b, *a))\nz = _sized_({b, *a})"
    )
    assert "_sized_" not in _as_source("[p, *q] = r")
    assert _as_source("(p, *q) = r").startswith("p, *q = _unpack_sequence_(r, ")


def test_handlers_that_could_catch_the_limits_are_refused_by_line() -> None:
    _, errors = _rewrite("x = 0\ntry:\n    x = 1\nexcept:\n    pass")
    assert errors == [
        "Line 4: a bare `except:` would also catch the script's time and size limits; "
        "name the errors to catch, e.g. `except (KeyError, ValueError):`"
    ]
    _, errors = _rewrite(
        "try:\n    x = 1\nexcept (ValueError, ScriptLimitExceeded):\n    pass\n"
        "except BaseException as e:\n    pass\nexcept Exception:\n    pass\nexcept KeyError:\n    pass"
    )
    limits = "would also catch the script's time and size limits; catch `Exception`"
    assert errors == [
        f"Line 3: `except ScriptLimitExceeded` {limits}",
        f"Line 5: `except BaseException` {limits}",
    ]


def test_handlers_are_still_checked_by_restricted_python() -> None:
    _, errors = _rewrite("try:\n    x = 1\nexcept Exception as _e:\n    pass")
    assert len(errors) == 1 and "_e" in errors[0] and errors[0].startswith("Line 3: ")


def test_leaving_a_finally_block_is_refused_naming_how() -> None:
    _, errors = _rewrite(
        "for i in x:\n    try:\n        pass\n    finally:\n        y = 1\n        return 1\n        break\n"
        "        if y:\n            continue"
    )
    hides = "inside `finally` hides errors (and the script's limits); move it out of `finally`"
    assert errors == [f"Line 6: `return` {hides}", f"Line 7: `break` {hides}", f"Line 9: `continue` {hides}"]


def test_exits_outside_finally_and_a_plain_finally_are_allowed() -> None:
    source = "def f():\n    for i in x:\n        try:\n            return 1\n"
    source += "        finally:\n            y = 2"
    _, errors = _rewrite(source)
    assert errors == []


def test_try_bodies_are_still_rewritten() -> None:
    assert _as_source("try:\n    x = a * 2\nexcept KeyError:\n    x = 0\nfinally:\n    y = [*b]") == (
        "try:\n    x = _mul_(a, 2)\nexcept KeyError:\n    x = 0\nfinally:\n    y = _sized_([*b])"
    )
