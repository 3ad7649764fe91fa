"""The limits one run of a process script lives within: time, the size of what one operation
builds, and the memory the run as a whole may take.

The restricted compiler (``script_policy``) turns a script's loops, function bodies, lambdas and
comprehensions into calls of ``ScriptRun.tick`` and its size-changing operations (``*``, ``**``,
``<<``, ``+``, ``%``, f-string widths, growing string methods, allocating built-ins) into calls of
the guards below, so no single C-level operation can run for seconds or build gigabytes, and no
Python-level repetition can outlive the budget. None of this relies on ``sys.settrace``, which a
script could switch off by making the trace function raise.

A broken limit raises ``ScriptLimitExceeded``, a ``BaseException``: ``except Exception`` in a script
does not catch it, and the compiler refuses every handler that could (bare ``except:``,
``except BaseException``). The sandbox turns it into ``ScriptRefused`` once the script has left.
"""

from __future__ import annotations

import math
import operator
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from RestrictedPython.Guards import safer_getattr

from .errors import ScriptRefused

_LOG10_2 = math.log10(2)
MAX_CHARS = 4 * 1024 * 1024  # characters (or bytes) of one string built by one operation
MAX_ITEMS = 1_000_000  # items of one list or tuple built by one operation
MAX_INT_DIGITS = 4300  # Python's own limit for turning an int into text
MAX_INT_BITS = int(MAX_INT_DIGITS / _LOG10_2)
MAX_BUILT_BYTES = 256 * 1024 * 1024  # what one run may build in large results, added up
MAX_MEMORY_GROWTH = 512 * 1024 * 1024  # growth of the process's resident memory during one run
_COUNTED = 64 * 1024  # results smaller than this are not worth adding up
_MEMORY_EVERY = 0.005  # seconds between two looks at the resident memory
_WIDTH = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_TEXT = (str, bytes, bytearray)


class ScriptLimitExceeded(BaseException):  # noqa: N818 - it is a signal to stop, not an error
    """A script went over its time budget or a size limit. Not an ``Exception`` on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_big(operation: str, what: str) -> ScriptLimitExceeded:
    return ScriptLimitExceeded(f"{operation}: the result would be {what}; process scripts are limited")


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _weight(value: Any) -> int:
    """About how many bytes ``value`` holds beyond its items (cheap: no walk into the items)."""
    if isinstance(value, _TEXT):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        return 8 * len(value)
    return 0


def _check_sequence(operation: str, sample: Any, length: int) -> None:
    if isinstance(sample, _TEXT):
        if length > MAX_CHARS:
            raise _too_big(operation, f"{length:,} characters long (at most {MAX_CHARS:,})")
    elif length > MAX_ITEMS:
        raise _too_big(operation, f"{length:,} items long (at most {MAX_ITEMS:,})")


def _check_int_bits(operation: str, bits: int) -> None:
    if bits > MAX_INT_BITS:
        digits = int(bits * _LOG10_2)
        raise _too_big(operation, f"an integer of about {digits:,} digits (at most {MAX_INT_DIGITS:,})")


def _check_width(operation: str, spec: str) -> None:
    for digits in _WIDTH.findall(spec):
        if len(digits) > 7 or int(digits) > MAX_CHARS:
            raise _too_big(operation, f"{digits} characters wide (at most {MAX_CHARS:,})")


class ScriptRun:
    """One run of one script or expression: its deadline and what it has built so far."""

    __slots__ = ("seconds", "deadline", "tripped", "built", "memory_base", "next_memory_check")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        now = time.monotonic()
        self.deadline = now + seconds
        self.tripped: str | None = None
        self.built = 0
        # Read at the first look, not here: most runs end long before it (reading costs ~50 µs).
        self.memory_base: int | None = None
        self.next_memory_check = now + _MEMORY_EVERY

    def _stop(self, message: str) -> ScriptLimitExceeded:
        # Remembered, so a script that hides the signal (``finally: return``) still fails.
        self.tripped = self.tripped or message
        return ScriptLimitExceeded(message)

    def tick(self) -> None:
        """Called at the top of every loop body, function body, lambda and comprehension step."""
        now = time.monotonic()
        if now > self.deadline:
            raise self._stop(f"the script ran longer than its budget of {self.seconds:g} s")
        if now > self.next_memory_check:
            self.next_memory_check = now + _MEMORY_EVERY
            current = _resident_bytes()
            base = self.memory_base
            if base is None:
                self.memory_base = current
            elif current is not None and current - base > MAX_MEMORY_GROWTH:
                limit = MAX_MEMORY_GROWTH // (1024 * 1024)
                raise self._stop(f"the script took more than {limit} MB of memory")

    def sized(self, value: Any) -> Any:
        """Count a built result towards the run's total; refuse the run once that is too much."""
        weight = _weight(value)
        if weight >= _COUNTED:
            self.built += weight
            if self.built > MAX_BUILT_BYTES:
                limit = MAX_BUILT_BYTES // (1024 * 1024)
                raise self._stop(f"the script built more than {limit} MB of data")
        return value

    def guard(self, check: Callable[[], None]) -> None:
        """Run a size check; a refusal stops the run and is remembered like any other."""
        try:
            check()
        except ScriptLimitExceeded as err:
            raise self._stop(err.message) from None

    # -- operators ----------------------------------------------------------------------------

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            self.guard(lambda: _check_sequence("+", a, len(a) + len(b)))
            return self.sized(operator.add(a, b))
        return a + b

    def mul(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            self.guard(lambda: _check_int_bits("*", a.bit_length() + b.bit_length()))
            return a * b
        seq, times = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
        if isinstance(seq, _SEQUENCES) and isinstance(times, int):
            self.guard(lambda: _check_sequence("*", seq, len(seq) * max(times, 0)))
            return self.sized(a * b)
        return a * b

    def power(self, a: Any, b: Any, modulo: Any = None) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 0:
            if modulo is None:
                if abs(a) >= 2:  # 0, 1 and -1 cannot grow (and log2(0) is undefined)
                    self.guard(lambda: _check_int_bits("**", int(math.log2(abs(a)) * b)))
            else:
                bits = max(b.bit_length(), abs(modulo).bit_length())
                self.guard(lambda: _check_int_bits("pow", bits))
        return pow(a, b, modulo)

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and a:
            self.guard(lambda: _check_int_bits("<<", a.bit_length() + max(b, 0)))
        return a << b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, _TEXT):
            self.guard(lambda: _check_percent_format(a))
            return self.sized(_checked_length("%", a % b))
        return a % b

    def inplace(self, op: str, a: Any, b: Any) -> Any:
        """``x op= y`` on a name, through the same guards as ``x = x op y``."""
        handler = self._INPLACE.get(op)
        if handler is None:
            raise ScriptRefused(f"operator {op} is not allowed in process scripts")
        return handler(self, a, b)

    _INPLACE: dict[str, Callable[[ScriptRun, Any, Any], Any]] = {
        "+=": add,
        "-=": lambda self, a, b: a - b,
        "*=": mul,
        "/=": lambda self, a, b: a / b,
        "//=": lambda self, a, b: a // b,
        "%=": mod,
        "**=": power,
        "|=": lambda self, a, b: a | b,
        "&=": lambda self, a, b: a & b,
    }

    def formatted(self, value: Any, conversion: int, spec: str) -> str:
        """An f-string field with a format spec (``f"{x:>10}"``): the width is limited."""
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        self.guard(lambda: _check_width("format", spec))
        return str(format(value, spec))

    def joined(self, value: str) -> str:
        """A whole f-string, counted like any other built string."""
        return self.sized(_checked_length("f-string", value))

    # -- attributes and built-ins --------------------------------------------------------------

    def getattr(self, obj: Any, name: str, default: Any = None) -> Any:
        """``safer_getattr``, with the methods that grow a string by a given width guarded."""
        value = safer_getattr(obj, name, default)
        if isinstance(obj, _TEXT) and name in _GROWING:
            return _GROWING[name](self, obj, value)
        if isinstance(obj, list) and name == "extend":
            return lambda items: self._extend(obj, items)
        return value

    def getitem(self, obj: Any, key: Any) -> Any:
        """``obj[key]``; a slice is a copy, so it is weighed."""
        if type(key) is slice:
            return self.sized(obj[key])
        return obj[key]

    def _extend(self, target: list[Any], items: Iterable[Any]) -> None:
        target.extend(items)
        length = len(target)
        if length > MAX_ITEMS:
            del target[MAX_ITEMS:]
            self.guard(lambda: _check_sequence("extend", target, length))
        self.sized(target)

    def pow(self, a: Any, b: Any, modulo: Any = None) -> Any:
        """The built-in ``pow``, through the ``**`` guard."""
        return self.power(a, b, modulo)

    def sum(self, items: Iterable[Any], start: Any = 0) -> Any:
        """The built-in ``sum`` for numbers only (adding lists this way is quadratic)."""
        if not isinstance(start, int | float | complex):
            raise self._stop("sum() adds numbers only in process scripts; join lists with a loop")
        return sum(items, start)


def _checked_length(operation: str, value: Any) -> Any:
    if isinstance(value, _SEQUENCES):
        _check_sequence(operation, value, len(value))
    return value


def _check_percent_format(template: str | bytes | bytearray) -> None:
    text = template.decode("latin-1") if isinstance(template, bytes | bytearray) else template
    for width, precision in _PERCENT_SPEC.findall(text):
        if "*" in (width, precision):
            raise _too_big("%", "as wide as a value says; write the width as a number")
        _check_width("%", f"{width} {precision}")


def _pad(run: ScriptRun, obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    """Guard a method whose first argument is the width of its result (ljust, zfill, …)."""

    def guarded(*args: Any) -> Any:
        if args and isinstance(args[0], int):
            width = args[0]
            run.guard(lambda: _check_sequence(f"str.{method.__name__}", obj, width))
        return run.sized(method(*args))

    return guarded


def _expandtabs(run: ScriptRun, obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(tabsize: int = 8) -> Any:
        tabs = obj.count("\t" if isinstance(obj, str) else b"\t")
        run.guard(lambda: _check_sequence("expandtabs", obj, len(obj) + tabs * max(tabsize, 0)))
        return run.sized(method(tabsize))

    return guarded


def _replace(run: ScriptRun, obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(old: Any, new: Any, count: int = -1) -> Any:
        times = obj.count(old) if old else len(obj) + 1
        if count >= 0:
            times = min(times, count)
        run.guard(lambda: _check_sequence("replace", obj, len(obj) + times * len(new)))
        return run.sized(method(old, new, count))

    return guarded


def _join(run: ScriptRun, obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(parts: Iterable[Any]) -> Any:
        parts = list(parts)
        total = sum(len(p) for p in parts if isinstance(p, _TEXT)) + len(obj) * len(parts)
        run.guard(lambda: _check_sequence("join", obj, total))
        return run.sized(method(parts))

    return guarded


def _translate(run: ScriptRun, obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(table: Any, *rest: Any) -> Any:
        if isinstance(table, dict):
            longest = max((len(v) for v in table.values() if isinstance(v, _TEXT)), default=1)
            run.guard(lambda: _check_sequence("translate", obj, len(obj) * longest))
        return run.sized(method(table, *rest))

    return guarded


_GROWING: dict[str, Callable[[ScriptRun, Any, Callable[..., Any]], Callable[..., Any]]] = {
    "ljust": _pad,
    "rjust": _pad,
    "center": _pad,
    "zfill": _pad,
    "expandtabs": _expandtabs,
    "replace": _replace,
    "join": _join,
    "translate": _translate,
}
