"""The restricted Python environment every BPMN expression and script runs in.

Scripts are compiled with RestrictedPython: names and attributes starting with ``_`` are refused at
compile time, only a small set of builtins exists (no ``open``, ``__import__``, ``getattr``, …),
attribute access goes through ``safer_getattr`` and each run has a time budget. Without this a
BPMN file could run shell commands as the server's user.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from .errors import ScriptRefused

# Builtins a process author may use. Deliberately no type(), getattr(), vars(), dir(), open(),
# compile(), eval(), exec(), globals(), setattr()/delattr() or class definitions.
_REMOVED = {"__build_class__", "setattr", "delattr", "id", "hash", "_getattr_"}
_EXTRA = {
    "dict": dict,
    "list": list,
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
    "sum": sum,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "sorted": sorted,
    "enumerate": enumerate,
    "reversed": reversed,
    "zip": zip,
    "map": map,
    "filter": filter,
}
BUILTINS: dict[str, Any] = {
    **{k: v for k, v in safe_builtins.items() if k not in _REMOVED},
    **limited_builtins,
    **_EXTRA,
}

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda a, b: a + b,
    "-=": lambda a, b: a - b,
    "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
    "**=": lambda a, b: a**b,
    "|=": lambda a, b: a | b,
    "&=": lambda a, b: a & b,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise ScriptRefused(f"operator {op} is not allowed in process scripts") from None


def _guards() -> dict[str, Any]:
    return {
        "__builtins__": BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
    }


_GUARD_NAMES = frozenset(_guards())


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a restricted expression, or raise ScriptRefused naming what is not allowed."""
    result = compile_restricted_eval(source.strip(), "<expression>")
    if result.errors or result.code is None:
        raise ScriptRefused(_explain(result.errors, source))
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    """Compile a restricted script, or raise ScriptRefused naming what is not allowed."""
    result = compile_restricted_exec(source, "<script>")
    if result.errors or result.code is None:
        raise ScriptRefused(_explain(result.errors, source))
    return result.code


def _explain(errors: Sequence[str], source: str) -> str:
    detail = "; ".join(errors) if errors else "the code could not be compiled"
    return f"refused by the script sandbox: {detail}"


def check_source(source: str, *, expression: bool) -> str | None:
    """The sandbox's objection to ``source``, or None when it would be allowed to run."""
    try:
        (compile_expression if expression else compile_script)(source)
    except ScriptRefused as err:
        return err.message
    return None


class TimeBudget:
    """Stops a script that runs longer than ``seconds`` (infinite loops in a BPMN script)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def run(self, fn: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.seconds
        previous = sys.gettrace()

        def tracer(frame: FrameType, event: str, arg: Any) -> Any:
            if time.monotonic() > deadline:
                raise ScriptRefused(f"the script ran longer than its budget of {self.seconds:g} s")
            return tracer

        # Only frames compiled from process scripts are traced; the platform's own code is not.
        def global_tracer(frame: FrameType, event: str, arg: Any) -> Any:
            if frame.f_code.co_filename in ("<script>", "<expression>"):
                # Opcode events, because a one-line loop (`while True: pass`) has no line events.
                frame.f_trace_opcodes = True
                return tracer(frame, event, arg)
            return None

        sys.settrace(global_tracer)
        try:
            return fn()
        finally:
            sys.settrace(previous)


class SandboxEnvironment:
    """Evaluates and executes process code against task data, restricted and time-boxed.

    Implements the interface SpiffWorkflow's ``PythonScriptEngine`` expects of an environment.
    ``helpers`` are the functions process authors may call (``working_days``, ``now``, …).
    """

    def __init__(self, helpers: Mapping[str, Callable[..., Any]], time_budget: float) -> None:
        self.globals = dict(helpers)
        self.budget = TimeBudget(time_budget)

    def _namespace(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        namespace = _guards()
        namespace.update(self.globals)
        if external:
            namespace.update(external)
        namespace.update(context)
        return namespace

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = compile_expression(expression)
        namespace = self._namespace(context, external_context)
        return self.budget.run(lambda: eval(code, namespace))  # noqa: S307 - restricted code

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        clash = set(self.globals).intersection(context)
        if clash:
            raise ScriptRefused(f"task data uses the names of helper functions: {', '.join(sorted(clash))}")
        code = compile_script(script)
        namespace = self._namespace(context, external_context)
        reserved = set(namespace) - set(context)
        self.budget.run(lambda: exec(code, namespace))  # noqa: S102 - restricted code
        for key in list(context):
            if key not in namespace:
                del context[key]
        for key, value in namespace.items():
            if key in reserved and key not in context:
                continue
            if key in _GUARD_NAMES or key == "__builtins__" or callable(value):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptRefused("service tasks are not supported; use a script task")
