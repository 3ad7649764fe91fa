"""Process tests: files an analyst writes beside the BPMN (``tests/<key>.<name>.json``) that walk a
process through one story and say where it must end.

A test gives the start data, then each step in order: the task expected to be open and the data it
submits (``{"task": "Task_Acceptance", "data": {"decision": "accept"}}``), or a timer that fires
(``{"timer": "Timer_Rating"}``); then what it expects (``{"status": "approved"}``, or ``"waiting"``:
the tasks still open). Fields a step leaves out get sample values from the task's form, so a test
names only what decides its story. The run is in memory, like simulation: nothing is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..messages import Text
from ..runtime import Helpers, Runtime
from ..types import ProcessBundle, SpecSource
from .driver import Driver, Live
from .paths import DEFAULT_CREDIT, scenario_helpers
from .reading import read_process
from .sample_data import SAMPLE_CREDIT_CODE, Check, complete, merge, sample
from .workflow_state import taken_branches

TOP_KEYS = {"description", "applicant", "credit_score", "start", "steps", "expect"}
STEP_KEYS = {"task", "data", "timer"}
EXPECT_KEYS = {"status", "waiting", "data"}


@dataclass(frozen=True)
class ProcessTest:
    key: str
    name: str
    file: str
    description: str
    applicant: dict[str, Any] | None
    credit_score: int
    start: dict[str, Any]
    steps: list[dict[str, Any]]
    expect: dict[str, Any]


@dataclass(frozen=True)
class TestOutcome:
    """``step`` is 0 for the start, 1… for the steps, and one past the last for the expectations."""

    key: str
    name: str
    file: str
    passed: bool
    message: Text
    step: int | None = None
    element_id: str | None = None
    tasks: list[str] = field(default_factory=list)
    # (gateway id, target id) of the branches the run took, for coverage across a process's tests.
    taken: frozenset[tuple[str, str]] = frozenset()


class TestFileError(ValueError):
    """A test file that cannot be read as a process test."""


def _require(ok: bool, message: Text) -> None:
    if not ok:
        raise TestFileError(message)


def read_test(text: str, *, key: str, name: str, file: str) -> ProcessTest:
    """The test in ``text`` (JSON), or TestFileError saying what is wrong with the file."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise TestFileError(
            Text("not JSON: {detail} at line {line}", detail=err.msg, line=err.lineno)
        ) from err
    _require(isinstance(raw, dict), Text("a test is a JSON object"))
    unknown = sorted(set(raw) - TOP_KEYS)
    _require(
        not unknown,
        Text("unknown keys {unknown}; a test has {known}", unknown=unknown, known=sorted(TOP_KEYS)),
    )
    steps = raw.get("steps", [])
    _require(isinstance(steps, list), Text('"steps" must be a list'))
    for i, step in enumerate(steps, 1):
        _require(isinstance(step, dict), Text("step {step} must be an object", step=i))
        _require(
            not set(step) - STEP_KEYS,
            Text("step {step}: unknown keys {unknown}", step=i, unknown=sorted(set(step) - STEP_KEYS)),
        )
        _require(
            isinstance(step.get("task"), str) != isinstance(step.get("timer"), str),
            Text('step {step}: give either "task" (a user task id) or "timer" (a timer event id)', step=i),
        )
        _require(
            isinstance(step.get("data", {}), dict), Text('step {step}: "data" must be an object', step=i)
        )
    expect = raw.get("expect", {})
    _require(
        isinstance(expect, dict) and not set(expect) - EXPECT_KEYS,
        Text('"expect" may have {known}', known=sorted(EXPECT_KEYS)),
    )
    _require("status" in expect or "waiting" in expect, Text('"expect" needs "status" or "waiting"'))
    applicant = raw.get("applicant", {"kind": "company", "credit_code": SAMPLE_CREDIT_CODE})
    _require(applicant is None or isinstance(applicant, dict), Text('"applicant" must be an object or null'))
    score = raw.get("credit_score", DEFAULT_CREDIT)
    _require(
        isinstance(score, int) and not isinstance(score, bool), Text('"credit_score" must be an integer')
    )
    _require(isinstance(raw.get("start", {}), dict), Text('"start" must be an object'))
    return ProcessTest(
        key=key,
        name=name,
        file=file,
        description=str(raw.get("description", "")),
        applicant=applicant,
        credit_score=score,
        start=raw.get("start", {}),
        steps=steps,
        expect=expect,
    )


class _Failed(Exception):
    def __init__(self, step: int, message: Text, element_id: str | None = None) -> None:
        super().__init__(message)
        self.step, self.message, self.element_id = step, message, element_id


class TestRunner:
    """Runs the tests of one process version (``bundle``) with the platform's ``helpers``."""

    def __init__(
        self, bundle: ProcessBundle, helpers: Helpers, check: Check, script_budget: float = 2.0
    ) -> None:
        self.bundle, self.check = bundle, check
        source = SpecSource(bundle.hash, bundle.spec_json, dict(bundle.meta.get("lane_groups", {})))
        self.driver = Driver(Runtime(helpers, script_budget), source)
        files = {f"{bundle.key}.bpmn": bundle.bpmn_xml}
        files |= {k.removeprefix("bpmn/"): v for k, v in bundle.files.items() if k.startswith("bpmn/")}
        self.gateways = {b.gateway_id for b in read_process(files, f"{bundle.key}.bpmn").branches}

    def _form(self, name: str | None) -> dict[str, Any] | None:
        schema = self.bundle.files.get(f"forms/{name}") if name else None
        return schema if isinstance(schema, dict) else None

    def _data(self, step: int, form: str | None, given: dict[str, Any]) -> dict[str, Any]:
        schema = self._form(form)
        if schema is None:
            return dict(given)
        data = complete(schema, merge(sample(schema), given), self.check)
        problems = self.check(schema, data)
        if problems:
            listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(problems.items()))
            raise _Failed(
                step, Text("the data does not fit the form {form}: {problems}", form=form, problems=listed)
            )
        return data

    def run(self, test: ProcessTest) -> TestOutcome:
        tasks: list[str] = []
        lives: list[Live] = []
        try:
            self._run(test, tasks, lives)
        except _Failed as failed:
            return TestOutcome(
                test.key, test.name, test.file, False, failed.message, failed.step, failed.element_id, tasks
            )
        taken = frozenset(taken_branches(lives[-1].workflow, self.gateways))
        return TestOutcome(test.key, test.name, test.file, True, Text("passed"), None, None, tasks, taken)

    def _run(self, test: ProcessTest, tasks: list[str], lives: list[Live]) -> None:
        start = self._data(0, self.bundle.meta.get("start", {}).get("form"), test.start)
        live = self.driver.start({**start, "applicant": test.applicant}, scenario_helpers(test.credit_score))
        for i, step in enumerate(test.steps, 1):
            self._healthy(i - 1, live)
            if "timer" in step:
                live = self._fire(i, live, step["timer"])
                continue
            ready = {t.bpmn_id: t for t in live.ready or []}
            task = ready.get(step["task"])
            if task is None:
                open_now = ", ".join(sorted(ready)) or Text("none")
                message = Text(
                    "expected task {task} to be open; open tasks: {open}", task=step["task"], open=open_now
                )
                if live.finished:
                    message = Text(
                        "expected task {task} to be open; open tasks: {open} "
                        "(the process has ended: {status})",
                        task=step["task"],
                        open=open_now,
                        status=live.end_status(),
                    )
                raise _Failed(i, message, step["task"])
            live = self.driver.complete(live, task.id, self._data(i, task.form, step.get("data", {})))
            tasks.append(task.bpmn_id)
        self._expectations(len(test.steps) + 1, test.expect, live)
        lives.append(live)

    def _healthy(self, step: int, live: Live) -> None:
        if live.error is not None:
            err = live.error
            raise _Failed(
                step,
                Text("engine error at {element}: {detail}", element=err.bpmn_id or "-", detail=err.message),
                err.bpmn_id,
            )

    def _fire(self, step: int, live: Live, timer_id: str) -> Live:
        timer = next((t for t in live.timers or [] if t.bpmn_id == timer_id), None)
        if timer is None:
            waiting = ", ".join(sorted(t.bpmn_id for t in live.timers or [])) or Text("none")
            raise _Failed(
                step,
                Text(
                    "expected timer {timer} to be waiting; waiting timers: {waiting}",
                    timer=timer_id,
                    waiting=waiting,
                ),
                timer_id,
            )
        return self.driver.fire(live, timer.task_id)

    def _expectations(self, step: int, expect: dict[str, Any], live: Live) -> None:
        self._healthy(step, live)
        open_now = sorted(t.bpmn_id for t in live.ready or [])
        if "status" in expect:
            if not live.finished:
                waits = ", ".join(open_now) or Text("timers")
                raise _Failed(
                    step,
                    Text(
                        "expected the end {status}; the process waits at: {waits}",
                        status=expect["status"],
                        waits=waits,
                    ),
                    open_now[0] if open_now else None,
                )
            if live.end_status() != expect["status"]:
                raise _Failed(
                    step,
                    Text(
                        "expected the end {status}; it ended {ended}",
                        status=expect["status"],
                        ended=live.end_status(),
                    ),
                )
        if "waiting" in expect and sorted(expect["waiting"]) != open_now:
            raise _Failed(
                step,
                Text(
                    "expected open tasks {expected}; open tasks: {open}",
                    expected=sorted(expect["waiting"]),
                    open=open_now,
                ),
            )
        data = live.data()
        for name, value in (expect.get("data") or {}).items():
            if data.get(name) != value:
                raise _Failed(
                    step,
                    Text(
                        "expected {name} = {value}; it is {actual}",
                        name=name,
                        value=repr(value),
                        actual=repr(data.get(name)),
                    ),
                )


def run_test(bundle: ProcessBundle, test: ProcessTest, helpers: Helpers, check: Check) -> TestOutcome:
    """Run one test of ``bundle`` in memory."""
    return TestRunner(bundle, helpers, check).run(test)
