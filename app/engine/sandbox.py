"""The restricted Python environment every BPMN expression and script runs in.

Scripts are compiled with RestrictedPython: names and attributes starting with ``_`` are refused at
compile time, only a small set of builtins exists (no ``open``, ``__import__``, ``getattr``, …),
attribute access goes through ``safer_getattr``, and each run has a time budget and size limits
that the script can neither catch nor switch off (``script_policy``, ``script_limits``). Without
this a BPMN file could run shell commands as the server's user, or hold a worker for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
)
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)

from .errors import ScriptRefused
from .messages import Text
from .sandbox_words import said
from .script_fit import unsupported_construct
from .script_limits import ScriptLimitExceeded, ScriptRun
from .script_policy import LimitedTransformer
from .script_values import copied, refusal, unstorable

# Builtins a process author may use. Deliberately no type(), getattr(), vars(), dir(), open(),
# compile(), eval(), exec(), globals(), setattr()/delattr() or class definitions.
# BaseException goes too: a handler naming it (or an alias of it) would catch the script's limits.
# pow and sum exist only as the guarded globals of each run (_guards): kept here too, a script's
# `del pow` would uncover the unguarded builtin (7 ** 10**7 in one call, past the time budget).
_REMOVED = {"__build_class__", "setattr", "delattr", "id", "hash", "_getattr_", "BaseException", "pow"}
_EXTRA = {
    "dict": dict,
    "list": list,
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
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


def _guards(run: ScriptRun) -> dict[str, Any]:
    return {
        "__builtins__": BUILTINS,
        # Globals shadow builtins: the guarded versions without copying the builtins per run.
        "pow": run.pow,
        "sum": run.sum,
        "_getattr_": run.getattr,
        "_getitem_": run.getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": run.inplace,
        "_tick_": run.tick,
        "_add_": run.add,
        "_mul_": run.mul,
        "_pow_": run.power,
        "_lshift_": run.lshift,
        "_mod_": run.mod,
        "_format_": run.formatted,
        "_joined_": run.joined,
        "_sized_": run.sized,
    }


_GUARD_NAMES = frozenset(_guards(ScriptRun(0.0)))
# Builtins to the script, given as (guarded) globals: a variable of that name is the script's own
# and is kept like any other (as `max = 3` is), not taken for the sandbox's.
_GUARDED_BUILTINS = frozenset({"pow", "sum"})
# Every name a script finds without defining it (what the validator takes as known).
SCRIPT_BUILTINS = frozenset(BUILTINS) | _GUARDED_BUILTINS


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a restricted expression, or raise ScriptRefused naming what is not allowed."""
    result = compile_restricted_eval(source.strip(), "<expression>", policy=LimitedTransformer)
    if result.errors or result.code is None:
        raise ScriptRefused(_explain(result.errors, source))
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    """Compile a restricted script, or raise ScriptRefused naming what is not allowed."""
    # "<string>": the file name SpiffWorkflow looks for in a failed script's traceback to report
    # the line (and its source) that failed; under any other name a script error has no line.
    result = compile_restricted_exec(source, "<string>", policy=LimitedTransformer)
    if result.errors or result.code is None:
        raise ScriptRefused(_explain(result.errors, source))
    return result.code


def _explain(errors: Sequence[str], source: str) -> Text:
    detail = [said(e) for e in errors] if errors else Text("the code could not be compiled")
    return Text("refused by the script sandbox: {detail}", detail=detail)


def check_source(source: str, *, expression: bool) -> Text | None:
    """The sandbox's objection to ``source``, or None when it would be allowed to run: compiled as the
    runtime compiles it, and the compiled code asks for nothing the sandbox does not provide."""
    try:
        code = (compile_expression if expression else compile_script)(source)
    except ScriptRefused as err:
        return said(err.message)
    construct = unsupported_construct(source, code, _GUARD_NAMES)
    return Text("cannot run in the script sandbox: {construct}", construct=construct) if construct else None


def _run_limited(run: ScriptRun, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` (the script) and turn a broken limit into ``ScriptRefused`` once it has left it."""
    try:
        result = fn()
    except ScriptLimitExceeded as err:
        raise ScriptRefused(err.message) from None
    if run.tripped:  # the script hid the signal from itself; the run has failed all the same
        raise ScriptRefused(run.tripped)
    return result


class SandboxEnvironment:
    """Evaluates and executes process code against task data, restricted and time-boxed.

    Implements the interface SpiffWorkflow's ``PythonScriptEngine`` expects of an environment.
    ``helpers`` are the functions process authors may call (``working_days``, ``now``, …).
    """

    def __init__(self, helpers: Mapping[str, Callable[..., Any]], time_budget: float) -> None:
        self.globals = dict(helpers)
        self.time_budget = time_budget

    def _namespace(
        self, run: ScriptRun, context: Mapping[str, Any], external: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The run's names: guards, helpers, and copies of the external context and the task data,
        so that what a run changes in place reaches the task data only through the checked
        write-back of :meth:`execute` (an expression's changes never)."""
        namespace = _guards(run)
        namespace.update(self.globals)
        if external:
            namespace.update({key: copied(value) for key, value in external.items()})
        namespace.update({key: copied(value) for key, value in context.items()})
        return namespace

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = compile_expression(expression)
        run = ScriptRun(self.time_budget)
        namespace = self._namespace(run, context, external_context)
        return _run_limited(run, lambda: eval(code, namespace))  # noqa: S307 - restricted code

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        clash = set(self.globals).intersection(context)
        if clash:
            raise ScriptRefused(f"task data uses the names of helper functions: {', '.join(sorted(clash))}")
        code = compile_script(script)
        run = ScriptRun(self.time_budget)
        namespace = self._namespace(run, context, external_context)
        # The sandbox's names (guards, helpers, the external context): never written to the task
        # data. Names starting with "_" cannot be assigned by a script, so a task-data key among
        # them is written back unchanged.
        reserved = set(namespace) - set(context) - _GUARDED_BUILTINS
        _run_limited(run, lambda: exec(code, namespace))  # noqa: S102 - restricted code
        kept = {key: value for key, value in namespace.items() if key not in reserved and not callable(value)}
        for key, value in kept.items():  # all checked before any is written: a refusal changes nothing
            why = unstorable(value)
            if why:
                raise ScriptRefused(refusal(key, why))
        for key in list(context):
            if key not in namespace:
                del context[key]
        context.update(kept)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptRefused("service tasks are not supported; use a script task")
