"""The engine's ceiling: SpiffWorkflow alone, with PermitFlow's sandboxed runtime, no Flask, no database.

    .venv/bin/python bench/engine_ceiling.py [--cases N] [--seconds S]

The bench process (``../shared/bench/bench_parallel_approval.bpmn``) and the shipped
``construction_permit`` (with its called ``parallel_review``) are deployed into a fresh SQLite
database as ``flask deploy`` would, and their deployed specs are read back; then, per process:

* instances per second in memory: a workflow built, run to its first wait and driven through all
  its user tasks without ever being saved (one core, one thread);
* the floor of a completed user task: ``Runtime.complete(source, state, task_id, data)``, i.e.
  load the saved state -> complete -> run the engine to its next wait -> save the state, p50 / p95.

The last line carries the bench process's per-task floor; ``complete_task.py`` measures the same
figure again in its own run (functions below) to give the API's ratio to it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH_PROCESS,
    PERMIT_PROCESS,
    Summary,
    bench_env,
    bench_steps,
    load_average,
    permit_start_data,
    permit_steps,
    start_data,
    table,
)

from app import edge  # noqa: E402

Steps = list[tuple[str, str, dict[str, Any]]]


@dataclass(frozen=True)
class Flow:
    """How one case of a process is driven: its start data and its user tasks in order."""

    key: str
    start: Callable[[int], dict[str, Any]]
    steps: Steps


FLOWS = {
    BENCH_PROCESS: Flow(BENCH_PROCESS, start_data, bench_steps()),
    PERMIT_PROCESS: Flow(PERMIT_PROCESS, permit_start_data, permit_steps()),
}


def deployed_sources(keys: list[str]) -> tuple[Any, dict[str, Any]]:
    """The runtime and each process's deployed spec, read from a fresh database it deploys into."""
    from app.services import processes

    with bench_env("sqlite", with_shipped=True) as env:
        database = edge.of(env.app).database
        with env.app.app_context(), database.unit_of_work() as session:
            found = {}
            for key in keys:
                version = processes.current_version(session, key)
                if version is None:
                    raise RuntimeError(f"{key} is not deployed")
                found[key] = processes.spec_source(version)
        return edge.of(env.app).platform.runtime, found


def _ready_id(ready: list[Any], bpmn_id: str) -> str:
    for task in ready:
        if task.bpmn_id == bpmn_id:
            return str(task.id)
    raise RuntimeError(f"{bpmn_id} is not ready; ready: {[t.bpmn_id for t in ready]}")


def complete_samples(runtime: Any, source: Any, flow: Flow, cases: int, warmup: int) -> list[float]:
    """Runtime.complete per user task (ms) over ``cases`` cases after ``warmup`` untimed ones."""
    samples: list[float] = []
    for i in range(warmup + cases):
        result = runtime.start(source, flow.start(i), step_helpers())
        for bpmn_id, _user, data in flow.steps:
            task_id = _ready_id(result.ready, bpmn_id)
            t0 = time.perf_counter()
            result = runtime.complete(source, result.state, task_id, dict(data), step_helpers())
            elapsed = (time.perf_counter() - t0) * 1000.0
            if result.error is not None:
                raise RuntimeError(f"{flow.key} {bpmn_id}: {result.error}")
            if i >= warmup:
                samples.append(elapsed)
        if not result.finished:
            raise RuntimeError(f"{flow.key}: case did not finish")
    return samples


def step_helpers() -> dict[str, Any]:
    """The helpers a platform step gives process code, over the default calendar; no database, so
    every company has the full credit score."""
    from datetime import datetime

    from app import clock
    from app.services.calendar import WorkCalendar

    cal = WorkCalendar()
    return {
        "working_days": lambda days: cal.add_working_days(clock.now(), int(days)).isoformat(),
        "due_in": lambda limit: cal.due(clock.now(), str(limit))[0].isoformat(),  # type: ignore[union-attr]
        "working_days_between": lambda a, b: cal.working_days_between(
            datetime.fromisoformat(a), datetime.fromisoformat(b)
        ),
        "credit_score": lambda _code: 100,
    }


def in_memory_rate(runtime: Any, source: Any, flow: Flow, seconds: float, min_cases: int = 20) -> float:
    """Whole instances per second, never saved: the engine's own ceiling on one core."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    spec, subs = runtime.specs.get(source.hash, source.spec_json)

    def one(i: int) -> None:
        workflow = BpmnWorkflow(spec, subs)
        # The sandboxed engine with due_of() bound to this workflow, as Runtime gives every step.
        runtime._attach(workflow, step_helpers())
        workflow.task_tree.data.update(flow.start(i))
        workflow.do_engine_steps()
        for bpmn_id, _user, data in flow.steps:
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            task = next(t for t in ready if t.task_spec.bpmn_id == bpmn_id)
            task.task_spec.add_data_from_form(task, dict(data))
            task.run()
            workflow.refresh_timers()
            workflow.do_engine_steps()
        if not workflow.is_completed():
            raise RuntimeError(f"{flow.key}: in-memory case did not finish")

    for i in range(3):
        one(i)
    done, t0 = 0, time.perf_counter()
    while done < min_cases or time.perf_counter() - t0 < seconds:
        one(done)
        done += 1
    return done / (time.perf_counter() - t0)


def bench_floor(cases: int = 200, warmup: int = 3) -> Summary:
    """The bench process's load + complete + save per user task (for other scripts' ratios)."""
    runtime, sources = deployed_sources([BENCH_PROCESS])
    return Summary.of(complete_samples(runtime, sources[BENCH_PROCESS], FLOWS[BENCH_PROCESS], cases, warmup))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="cases per process for Runtime.complete")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="time per in-memory rate measurement")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    import SpiffWorkflow

    print(
        f"engine_ceiling: python {sys.version.split()[0]}, SpiffWorkflow "
        f"{getattr(SpiffWorkflow, '__version__', '?')}; {os.cpu_count()} CPUs, load average "
        f"{load_average()} (one thread)"
    )
    runtime, sources = deployed_sources(list(FLOWS))
    rows = []
    floor: dict[str, Summary] = {}
    for key, flow in FLOWS.items():
        rate = in_memory_rate(runtime, sources[key], flow, args.seconds)
        s = Summary.of(complete_samples(runtime, sources[key], flow, args.cases, args.warmup))
        floor[key] = s
        rows.append(
            [key, len(flow.steps), f"{rate:.0f}", f"{rate * len(flow.steps):.0f}", s.n, s.p50, s.p95]
            + [f"{1000.0 / s.mean:.0f}"]
        )
        print(f"[{key}] in memory {rate:.0f} instances/s; Runtime.complete p50 {s.p50:.2f} ms", flush=True)
    print()
    print(
        table(
            [
                "process",
                "user tasks",
                "instances/s in memory",
                "user tasks/s in memory",
                "n",
                "load+complete+save p50 ms",
                "p95 ms",
                "tasks/s (1 core)",
            ],
            rows,
        )
    )
    print(f"\n(total run time {time.perf_counter() - began:.0f} s; load average {load_average()} at the end)")
    b, p = floor[BENCH_PROCESS], floor[PERMIT_PROCESS]
    print(
        f"engine_ceiling: per user task load+complete+save p50 {b.p50:.2f} ms ({BENCH_PROCESS}), "
        f"{p.p50:.2f} ms ({PERMIT_PROCESS})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
