"""How process code is compiled: RestrictedPython's rules plus the checks that keep a script
inside its limits whatever it does.

On top of RestrictedPython (no names starting with ``_``, guarded attributes and items) this:

* calls ``_tick_()`` at the top of every loop body, function body, lambda and comprehension step,
  so no repetition outlives the time budget, caught exception or not (``script_limits``);
* sends ``+``, ``*``, ``**``, ``<<``, ``%``, f-strings and the results of allocating calls through
  size guards;
* refuses every handler that could catch the limit signal (bare ``except:``, ``except
  BaseException``) and ``return``/``break``/``continue`` inside ``finally`` (they hide any error).

Scripts cannot name the inserted helpers: every one starts with ``_``.
"""

from __future__ import annotations

import ast
from typing import Any, cast

from RestrictedPython import RestrictingNodeTransformer

from .messages import Text, marked
from .sandbox_words import at_line

_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}
# Calls whose result is a new container or string as large as their input (or larger).
_ALLOCATING_CALLS = frozenset(
    {
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
    }
)
# What a handler may not name: catching these would catch the limit signal too.
_UNCATCHABLE = frozenset({"BaseException", "ScriptLimitExceeded"})
BARE_EXCEPT = Text(
    "a bare `except:` would also catch the script's time and size limits; "
    "name the errors to catch, e.g. `except (KeyError, ValueError):`"
)
CATCHES_LIMITS = marked(
    "`except {name}` would also catch the script's time and size limits; catch `Exception`"
)
FINALLY_EXIT = marked(
    "`{what}` inside `finally` hides errors (and the script's limits); move it out of `finally`"
)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _tick(at: ast.AST) -> ast.stmt:
    return ast.copy_location(ast.Expr(_call("_tick_")), at)


class LimitedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's transformer with time checks, size guards and uncatchable limits."""

    def error(self, node: ast.AST, info: str) -> None:
        """Record a refusal as RestrictedPython does, kept translatable (``sandbox_words``)."""
        self.errors.append(at_line(getattr(node, "lineno", None), info))

    # -- loops, functions, lambdas, comprehensions: a time check each round ---------------------

    def visit_While(self, node: ast.While) -> Any:
        node = cast(ast.While, super().visit_While(node))
        node.body.insert(0, _tick(node))
        return node

    def visit_For(self, node: ast.For) -> Any:
        node = cast(ast.For, super().visit_For(node))
        node.body.insert(0, _tick(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        node.body.insert(0, _tick(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        # `_tick_()` returns None, so `None or body` is the body's value.
        node.body = ast.copy_location(ast.BoolOp(op=ast.Or(), values=[_call("_tick_"), node.body]), node.body)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        node = cast(ast.comprehension, super().visit_comprehension(node))
        node.ifs.insert(0, ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=_call("_tick_")), node.iter))
        return node

    # -- exceptions: nothing may catch the limit signal -------------------------------------------

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        if node.type is None:
            self.error(node, BARE_EXCEPT)
        else:
            for sub in ast.walk(node.type):
                if isinstance(sub, ast.Name) and sub.id in _UNCATCHABLE:
                    self.error(node, Text(CATCHES_LIMITS, name=sub.id))
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node: ast.Try) -> Any:
        for statement in node.finalbody:
            for sub in ast.walk(statement):
                if isinstance(sub, ast.Return | ast.Break | ast.Continue):
                    self.error(sub, Text(FINALLY_EXIT, what=type(sub).__name__.lower()))
        return super().visit_Try(node)

    # -- sizes ------------------------------------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = cast(ast.BinOp, super().visit_BinOp(node))
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        return ast.copy_location(_call(guard, node.left, node.right), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = cast(ast.FormattedValue, super().visit_FormattedValue(node))
        if node.format_spec is None:
            return node
        value = _call("_format_", node.value, ast.Constant(node.conversion), node.format_spec)
        return ast.copy_location(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Any:
        node = cast(ast.JoinedStr, super().visit_JoinedStr(node))
        return ast.copy_location(_call("_joined_", node), node)

    def visit_Call(self, node: ast.Call) -> Any:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        node = cast(ast.Call, super().visit_Call(node))
        if name in _ALLOCATING_CALLS:
            return ast.copy_location(_call("_sized_", node), node)
        return node

    def _sized_display(self, node: ast.List | ast.Tuple | ast.Set) -> Any:
        # `[*a, *a]` copies without any operator: weigh what it built.
        if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) and any(
            isinstance(e, ast.Starred) for e in node.elts
        ):
            return ast.copy_location(_call("_sized_", node), node)
        return node

    def visit_List(self, node: ast.List) -> Any:
        return self._sized_display(cast(ast.List, super().visit_List(node)))

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return self._sized_display(cast(ast.Tuple, super().visit_Tuple(node)))

    def visit_Set(self, node: ast.Set) -> Any:
        return self._sized_display(cast(ast.Set, super().visit_Set(node)))

    # -- the whole program ------------------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> Any:
        return ast.fix_missing_locations(cast(ast.Module, super().visit_Module(node)))

    def visit_Expression(self, node: ast.Expression) -> Any:
        return ast.fix_missing_locations(cast(ast.Expression, super().visit_Expression(node)))
