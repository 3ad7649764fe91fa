"""Running a process in memory down every path through its gateways.

The engine runs exactly as for a case (the same runtime, sandbox and helpers the caller passes),
but nothing is stored and no effect runs: each step's saved state is only kept to branch from.
At every open task each submission variant is a branch; a waiting timer is one more (it fires
fast-forwarded). A variant other than the plain sample is tried once per task, round and data
the conditions read, which keeps the number of paths near linear while every branch a value can
reach is reached. A task reached a third time ends its path (loops run two rounds).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..messages import Text, as_text
from ..runtime import Helpers, Runtime
from ..types import ProcessBundle, SpecSource
from .driver import Driver, Live
from .reading import Branch, ProcessText, read_process
from .sample_data import SAMPLE_CREDIT_CODE, Check
from .variants import Variant, form_variants
from .workflow_state import taken_branches, waiting_elements

ROUNDS = 2
MAX_STEPS = 200
DEFAULT_CREDIT = 100


@dataclass(frozen=True)
class PathFailure:
    """A path that breaks: ``kind`` is ``error`` (the engine failed), ``stuck`` (waits for ever)
    or ``no_end`` (runs on without reaching an end event)."""

    kind: str
    element_id: str | None
    element_name: str | None
    message: Text
    trail: tuple[str, ...]


@dataclass
class SimulationReport:
    key: str
    paths: int = 0
    ended: dict[str, int] = field(default_factory=dict)
    bounded: int = 0
    failures: list[PathFailure] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    uncovered: list[Branch] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the run
    cpu_seconds: float = 0.0  # processor time: what the run costs, however busy the machine is
    truncated: bool = False
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.uncovered


@dataclass
class _Node:
    live: Live
    trail: tuple[str, ...]
    visits: tuple[tuple[str, int], ...]
    steps: int

    def count(self, name: str) -> int:
        return dict(self.visits).get(name, 0)

    def then(self, live: Live, label: str, counted: str) -> _Node:
        visits = dict(self.visits)
        visits[counted] = visits.get(counted, 0) + 1
        return _Node(live, (*self.trail, label), tuple(sorted(visits.items())), self.steps + 1)


def scenario_helpers(score: int) -> Helpers:
    """The platform facts a path assumes: the applicant's credit score."""
    return {"credit_score": lambda code=None: score if code else 0}


class Simulator:
    """Explores one deployed-to-be process (``bundle``) with ``helpers`` and form check ``check``."""

    def __init__(
        self,
        bundle: ProcessBundle,
        helpers: Helpers,
        check: Check,
        *,
        script_budget: float = 2.0,
        max_paths: int = 4000,
        max_seconds: float = 25.0,
    ) -> None:
        self.bundle, self.check = bundle, check
        self.runtime = Runtime(helpers, script_budget)
        self.source = SpecSource(bundle.hash, bundle.spec_json, dict(bundle.meta.get("lane_groups", {})))
        self.driver = Driver(self.runtime, self.source)
        files = {f"{bundle.key}.bpmn": bundle.bpmn_xml}
        files |= {k.removeprefix("bpmn/"): v for k, v in bundle.files.items() if k.startswith("bpmn/")}
        self.text: ProcessText = read_process(files, f"{bundle.key}.bpmn")
        self.gateways = {b.gateway_id for b in self.text.branches}
        self.forms = {k.removeprefix("forms/"): v for k, v in bundle.files.items() if k.startswith("forms/")}
        self.max_paths, self.max_seconds = max_paths, max_seconds
        self._variants: dict[str, list[Variant]] = {}
        self._seen: set[tuple[Any, ...]] = set()
        self._taken: set[tuple[str, str]] = set()
        self._failures: dict[tuple[str, str | None, str], PathFailure] = {}
        self.report = SimulationReport(bundle.key, lines=self.text.lines, branches=self.text.branches)

    # -- the search -----------------------------------------------------------------------------

    def run(self) -> SimulationReport:
        started, cpu_started = time.monotonic(), time.process_time()
        # The limit counts processor time: on a busy machine a run waits, but is not cut short.
        self._deadline = cpu_started + self.max_seconds
        stack: list[Callable[[], _Node | None]] = [
            functools.partial(self._start, label, data, helpers)
            for label, data, helpers in reversed(self._starts())
        ]
        while stack:
            if self.report.paths >= self.max_paths or time.process_time() > self._deadline:
                self.report.truncated = True
                break
            node = stack.pop()()
            if node is None or self._leaf(node):
                continue
            stack.extend(reversed(self._actions(node)))
        self.report.uncovered = [
            b for b in self.text.branches if (b.gateway_id, b.target_id) not in self._taken
        ]
        if not self.report.ended and not self.report.truncated:
            start = self.bundle.meta.get("start", {}).get("bpmn_id")
            self._fail("no_end", start, None, Text("no simulated path reaches an end event"), ())
        self.report.failures = list(self._failures.values())
        self.report.seconds = time.monotonic() - started
        self.report.cpu_seconds = time.process_time() - cpu_started
        return self.report

    def _starts(self) -> list[tuple[str, dict[str, Any], Helpers]]:
        """Start data per variant of the start form, for each applicant the platform could set."""
        meta = self.bundle.meta.get("start", {})
        scores = sorted(self.text.tested.helper_values.get("credit_score", set()) | {DEFAULT_CREDIT})
        applicants: list[tuple[str, dict[str, Any] | None, int]] = [
            (f"applicant with credit score {s}", {"kind": "company", "credit_code": SAMPLE_CREDIT_CODE}, s)
            for s in reversed(scores)
        ]
        if meta.get("public") or meta.get("starters"):
            applicants.append(("no applicant account", None, 0))
        form = self.forms.get(meta.get("form") or "")
        variants = form_variants(form, self.text.tested, self.check, start=True)
        starts = []
        for who, applicant, score in applicants:
            for variant in variants if who == applicants[0][0] else variants[:1]:
                data = {**variant.data, "applicant": applicant}
                starts.append((f"start ({variant.label}; {who})", data, scenario_helpers(score)))
        return starts

    def _start(self, label: str, data: dict[str, Any], helpers: Helpers) -> _Node | None:
        return _Node(self.driver.start(data, helpers), (label,), (), 0)

    def _signature(self, node: _Node) -> str:
        data = node.live.data()
        read = {n: data[n] for n in sorted(self.text.tested.names) if n in data}
        return json.dumps(read, sort_keys=True, default=str, ensure_ascii=False)

    def _choices(self, node: _Node) -> list[tuple[str, Any, Any]]:
        """What may happen next on this path: ("task", task, variant) or ("timer", timer, None)."""
        choices: list[tuple[str, Any, Any]] = []
        signature = self._signature(node)
        ready = sorted(node.live.ready or [], key=lambda t: t.bpmn_id)
        if ready:
            task = ready[0]
            visit = node.count(task.bpmn_id) + 1
            if visit <= ROUNDS:
                for i, variant in enumerate(self._form_variants(task.form)):
                    key: tuple[Any, ...] = (task.bpmn_id, visit, i, signature)
                    if i == 0 or key not in self._seen:
                        self._seen.add(key)
                        choices.append(("task", task, variant))
        for timer in sorted(node.live.timers or [], key=lambda t: t.bpmn_id):
            fired = node.count(f"timer:{timer.bpmn_id}") + 1
            key = ("timer", timer.bpmn_id, fired, signature)
            if fired <= ROUNDS and (not choices or key not in self._seen):
                self._seen.add(key)
                choices.append(("timer", timer, None))
        return choices

    def _actions(self, node: _Node) -> list[Callable[[], _Node | None]]:
        """One step per choice. The first runs on the live workflow; the others on copies restored
        from a snapshot taken now, before any of them has run."""
        choices = self._choices(node)
        if not choices:
            self._end_path(node, bounded=True)
            return []
        snapshot = self.driver.snapshot(node.live) if len(choices) > 1 else ""

        def run(i: int, kind: str, what: Any, variant: Any) -> _Node | None:
            here = node
            if i > 0:
                here = _Node(
                    self.driver.restore(snapshot, node.live.helpers), node.trail, node.visits, node.steps
                )
            if kind == "task":
                return self._complete(here, what, variant)
            return self._fire(here, what.task_id, what.bpmn_id)

        return [functools.partial(run, i, *c) for i, c in enumerate(choices)]

    def _form_variants(self, form: str | None) -> list[Variant]:
        name = form or ""
        if name not in self._variants:
            self._variants[name] = form_variants(self.forms.get(name), self.text.tested, self.check)
        return self._variants[name]

    def _complete(self, node: _Node, task: Any, variant: Variant) -> _Node:
        live = self.driver.complete(node.live, task.id, variant.data)
        return node.then(live, f"{task.bpmn_id} ({variant.label})", task.bpmn_id)

    def _fire(self, node: _Node, task_id: str, bpmn_id: str) -> _Node:
        live = self.driver.fire(node.live, task_id)
        return node.then(live, f"timer {bpmn_id} fires", f"timer:{bpmn_id}")

    # -- ends of paths ----------------------------------------------------------------------------

    def _leaf(self, node: _Node) -> bool:
        live = node.live
        if live.error is not None:
            err = live.error
            self._fail("error", err.bpmn_id, err.task_name, as_text(err.message), node.trail)
        elif live.finished:
            status = live.end_status() or "-"
            self.report.ended[status] = self.report.ended.get(status, 0) + 1
        elif node.steps >= MAX_STEPS:
            self._fail(
                "no_end", None, None, Text("still running after {steps} steps", steps=MAX_STEPS), node.trail
            )
        elif not live.ready and not live.timers:
            waiting = waiting_elements(live.workflow)
            element = waiting[0] if waiting else None
            self._fail(
                "stuck",
                element,
                None,
                Text("waits for ever: no task is open, no timer is set and the process has not ended"),
                node.trail,
            )
        else:
            return False
        self._end_path(node)
        return True

    def _end_path(self, node: _Node, *, bounded: bool = False) -> None:
        self.report.paths += 1
        if bounded:
            self.report.bounded += 1
        if self.gateways:
            self._taken |= taken_branches(node.live.workflow, self.gateways)

    def _fail(
        self, kind: str, element: str | None, name: str | None, message: Text, trail: tuple[str, ...]
    ) -> None:
        key = (kind, element, message[:300])
        if key not in self._failures:
            self._failures[key] = PathFailure(kind, element, name, message, trail)


def simulate(
    bundle: ProcessBundle,
    helpers: Helpers,
    check: Check,
    *,
    script_budget: float = 2.0,
    max_seconds: float = 25.0,
) -> SimulationReport:
    """Every path of ``bundle`` run in memory; what broke, and the branches no path took."""
    return Simulator(bundle, helpers, check, script_budget=script_budget, max_seconds=max_seconds).run()
