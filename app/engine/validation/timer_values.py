"""Timer values checked as the engine will read them: each timer expression that needs no case data
is evaluated in the sandbox (working-day helpers answer for a sample date) and its value parsed
with SpiffWorkflow's own timer parser, so a value the engine would refuse (``"P5WD"``) or run for
ever (``"R/PT0S"``) is refused at validation instead of failing every case that reaches it.
Process-level ``time_limit`` values are parsed too (task ones are checked with the task specs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..errors import EngineError
from ..messages import Text
from ..sandbox import SandboxEnvironment
from .problems import NS, Problem, local_name, owning_id, short
from .timers import parse_time_limit

# A Monday in a normal working week: the day the sample helpers count from.
SAMPLE_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SAMPLE_BUDGET = 0.1  # seconds
MIN_CYCLE = timedelta(seconds=1)  # the scheduler's resolution: a shorter cycle fires without pause
DURATION_HINT = Text(
    'write an ISO 8601 duration, e.g. "P5D" (days) or "PT4H" (hours); for working days use a timeDate '
    "with working_days(5)"
)


def sample_helpers(time_limits: dict[str, str]) -> dict[str, Callable[..., Any]]:
    """Stand-ins of the platform's helpers (API.md) answering for ``SAMPLE_START``: same names, same
    kinds of values (ISO date-times, numbers, text), so a timer expression using them parses as at
    run time. ``time_limits`` (task id → time_limit) answers ``due_of``."""

    def working_days(days: int) -> str:
        return (SAMPLE_START + timedelta(days=int(days))).isoformat()

    def due_in(limit: str) -> str:
        parsed = parse_time_limit(str(limit))
        if parsed is None:
            raise ValueError(f"time limit {limit!r} does not parse (e.g. 5wd, 3d, 4h)")
        amount, unit = parsed
        return (
            SAMPLE_START + (timedelta(hours=amount) if unit == "h" else timedelta(days=amount))
        ).isoformat()

    def due_of(bpmn_id: str) -> str:
        if str(bpmn_id) not in time_limits:
            raise ValueError(f"due_of('{bpmn_id}'): no task with that id and a time_limit property")
        return due_in(time_limits[str(bpmn_id)])

    return {
        "now": lambda: SAMPLE_START.isoformat(),
        "mask": lambda value: str(value),
        "working_days": working_days,
        "working_days_between": lambda start, end: 0,
        "due_in": due_in,
        "due_of": due_of,
        "credit_score": lambda code: 100,
    }


def check_timer_values(file: str, root: Any) -> list[Problem]:
    """Every timer of the file whose value can be known without case data, and the process-level
    ``time_limit`` properties."""
    limits = _time_limits(root)
    # A short budget: a timer value needing longer is refused at run time anyway (and is not held here).
    sandbox = SandboxEnvironment(sample_helpers(limits), SAMPLE_BUDGET)
    problems: list[Problem] = []
    for definition in root.iter(f"{{{NS['bpmn']}}}timerEventDefinition"):
        event = definition.getparent()
        for child in definition:
            kind = local_name(child.tag)
            code = (child.text or "").strip()
            if kind not in ("timeDuration", "timeDate", "timeCycle") or not code:
                continue
            value = _sample_value(sandbox, code)
            if isinstance(value, str) and value:
                message = _refusal(kind, value, event)
            elif isinstance(value, Failed):
                message = Text(
                    "timer expression {code} fails on a sample date: {reason}",
                    code=short(code),
                    reason=value.reason,
                )
            else:
                message = (
                    None
                    if value is None
                    else Text(
                        "timer expression {code} gives {value}, not text", code=short(code), value=repr(value)
                    )
                )
            if message:
                problems.append(Problem(file, event.sourceline or 0, owning_id(event), message, _hint(kind)))
    for process in root.xpath("//bpmn:process", namespaces=NS):
        for prop in process.xpath(
            "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='time_limit']",
            namespaces=NS,
        ):
            if parse_time_limit(prop.get("value", "")) is None:
                problems.append(
                    Problem(
                        file,
                        prop.sourceline or process.sourceline or 0,
                        str(process.get("id") or "-"),
                        Text(
                            "time_limit '{value}' of the process does not parse", value=prop.get("value", "")
                        ),
                        Text("write e.g. 7wd (working days), 30d (days) or 4h (hours)"),
                    )
                )
    return problems


class Failed:
    """The sample evaluation raised: the expression would fail at run time too."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _sample_value(sandbox: SandboxEnvironment, code: str) -> Any:
    """The expression's value for the sample date; None when it reads case data (known only at run
    time: the names check covers those) or is refused by the sandbox (reported by the code check)."""
    try:
        return sandbox.evaluate(code, {})
    except NameError:
        return None
    except EngineError:
        return None
    except Exception as err:  # noqa: BLE001 - whatever the helpers raise, the run would raise too
        return Failed(f"{type(err).__name__}: {err}")


def _refusal(kind: str, value: str, event: Any) -> Text | None:
    """Why the engine cannot use ``value`` as a ``kind``, or None when it can."""
    try:
        if kind == "timeDuration":
            if not value.upper().startswith("P"):
                TimerEventDefinition.get_datetime(value)  # a date and time: refused below all the same
                return Text("timeDuration '{value}' is a date and time, not a duration", value=value)
            parsed = TimerEventDefinition.parse_iso_duration(value)
            TimerEventDefinition.get_timedelta_from_start(parsed, SAMPLE_START)
            return None
        if kind == "timeDate":
            when = TimerEventDefinition.parse_time_or_duration(value)
            if not isinstance(when, datetime):
                return Text("timeDate '{value}' is a duration, not a date and time", value=value)
            return None
        cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # noqa: BLE001 - the parser raises bare Exception (and ValueError, KeyError, …)
        return Text("{kind} '{value}' is not a value the engine can read", kind=kind, value=value)
    if duration < MIN_CYCLE:
        return Text(
            "timeCycle '{value}' repeats every {seconds} s: it would fire without pause",
            value=value,
            seconds=f"{duration.total_seconds():g}",
        )
    if cycles < 0 and not _non_interrupting_boundary(event):
        return Text("timeCycle '{value}' repeats without end: the event would never complete", value=value)
    return None


def _non_interrupting_boundary(event: Any) -> bool:
    # There the cycle ends with the task it is attached to (e.g. a daily reminder until answered).
    return local_name(event.tag) == "boundaryEvent" and event.get("cancelActivity", "true").strip() == "false"


def _hint(kind: str) -> Text:
    if kind == "timeDate":
        return Text(
            'write a date and time, e.g. "2026-05-01T09:00:00+08:00", or working_days(5); durations go '
            "in timeDuration"
        )
    if kind == "timeCycle":
        return Text(
            'give a repeat count and at least one second, e.g. "R3/PT1H"; an endless reminder needs a '
            "non-interrupting boundary event"
        )
    return DURATION_HINT


def _time_limits(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for prop in root.xpath("//spiffworkflow:property[@name='time_limit']", namespaces=NS):
        owner = prop.getparent().getparent().getparent()
        if owner is not None and owner.get("id"):
            found[str(owner.get("id"))] = prop.get("value", "")
    return found
