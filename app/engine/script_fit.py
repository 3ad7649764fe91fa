"""What the restricted compiler accepts but the sandbox cannot run.

RestrictedPython compiles a class definition, a call with ``*args``/``**kwargs``, ``print`` and
imports into code that asks for names the sandbox never provides (``__metaclass__``, ``_apply_``,
``_print_``, ``__import__``): such a script would fail only when a case reaches it. Looking at the
compiled code itself, the very code the runtime runs, finds them at validation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from types import CodeType

from .messages import Text

# A name the compiled code asks for and the sandbox does not provide → what to tell the author.
_MISSING = {
    "__metaclass__": Text("class definitions are not supported; use dicts (or a function) instead"),
    "_apply_": Text(
        "calls with *args or **kwargs (e.g. max(*v)) are not supported; pass the list itself: max(v)"
    ),
    "_print_": Text("print() is not supported; store what you want to keep in a variable"),
}


def _code_objects(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_objects(const)


def unsupported_construct(source: str, code: CodeType, provided: frozenset[str]) -> Text | None:
    """Why ``code`` (compiled from ``source``) cannot run in the sandbox, or None when it can.

    ``provided`` are the underscore names the sandbox puts in every namespace (its guards)."""
    try:
        tree: ast.AST | None = ast.parse(source.strip())
    except SyntaxError:
        tree = None
    if tree is not None and any(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(tree)):
        return Text("imports are not available in process code; use the helpers (working_days, now, …)")
    if tree is not None and any(_is_format_call(node) for node in ast.walk(tree)):
        # RestrictedPython refuses str.format at run time (it could reach attributes through fields).
        return Text('str.format() is not available in process code; use an f-string: f"第{{n}}轮"')
    names = {name for part in _code_objects(code) for name in part.co_names}
    for name, why in _MISSING.items():
        if name in names:
            return why
    # The guards RestrictedPython calls are all spelt `_name_`; one the sandbox lacks fails at run time.
    for name in sorted(names):
        if name.startswith("_") and name.endswith("_") and not name.startswith("__") and name not in provided:
            return Text("uses {name}, which the script sandbox does not provide", name=name)
    return None


def _is_format_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"format", "format_map"}
    )
