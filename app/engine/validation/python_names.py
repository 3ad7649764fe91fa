"""Which case-data names a piece of process Python reads and which it sets.

Deliberately generous where it cannot be sure, so a sound file is never refused: a name bound
anywhere in the code (assignment, loop, function, argument, comprehension, ``except … as``) is not
counted as read from the case, and a name read inside ``try`` whose handler catches ``NameError``
is optional by the author's own choice (e.g. an optional start-form field).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

_OPTIONAL_GUARDS = {"NameError", "Exception", "KeyError", "LookupError"}


@dataclass(frozen=True)
class CodeNames:
    """The names ``code`` reads from the case data and the names it sets there, with the text and
    number constants it compares names with and assigns to them (to suggest the name meant)."""

    reads: frozenset[str]
    writes: frozenset[str]
    compared: dict[str, set[object]] = field(default_factory=dict)
    assigned: dict[str, set[object]] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def code_names(code: str, *, expression: bool) -> CodeNames:
    """The names read and written by ``code``; nothing when it does not parse (reported elsewhere).
    Cached: the same scripts are read for every process that calls them (treat the result as frozen)."""
    try:
        tree = ast.parse(code.strip(), mode="eval" if expression else "exec")
    except SyntaxError:
        return CodeNames(frozenset(), frozenset())
    bound: set[str] = set()
    loads: set[str] = set()
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_guards_names(h) for h in node.handlers):
            optional |= {id(n) for statement in node.body for n in ast.walk(statement)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if id(node) not in optional:
                    loads.add(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    writes = set() if expression else _top_level_writes(tree)
    compared, assigned = _constants(tree)
    return CodeNames(frozenset(loads - bound), frozenset(writes), compared, assigned)


def _constants(tree: ast.AST) -> tuple[dict[str, set[object]], dict[str, set[object]]]:
    """``name == "x"`` (compared) and ``name = "x"`` (assigned) constants, by name."""
    compared: dict[str, set[object]] = {}
    assigned: dict[str, set[object]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            names = [p.id for p in parts if isinstance(p, ast.Name)]
            values = [p.value for p in parts if isinstance(p, ast.Constant)]
            for name in names:
                compared.setdefault(name, set()).update(values)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, set()).add(node.value.value)
    return compared, assigned


def _guards_names(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    return any(isinstance(n, ast.Name) and n.id in _OPTIONAL_GUARDS for n in ast.walk(handler.type))


def _top_level_writes(tree: ast.AST) -> set[str]:
    """Names the script leaves in the case data: assigned outside functions and comprehensions."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.Lambda | ast.ClassDef):
            return
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found
