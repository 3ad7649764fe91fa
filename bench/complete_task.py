"""Cost of completing one user task: the engine alone, and the platform through its API.

    .venv/bin/python bench/complete_task.py [--cases N] [--clients 1,8,32] [--load-cases N]
                                            [--backends sqlite,postgresql] [--no-http] [--profile N]

Prints, in one run on the same machine:

1. the engine's own cost per user task: ``Runtime.complete(source, state, task_id, data)``, i.e.
   state string in -> load -> complete -> engine steps -> save -> state string out, measured with the
   engine alone (no Flask, no database; ``engine_ceiling.py`` measures the same figure), plus bare
   SpiffWorkflow figures (default script engine, no PermitFlow extras) for reference;
2. the platform's cost per completed task through the API, 1 client, on SQLite and PostgreSQL:
   ``POST /api/v1/tasks/{id}/complete`` through Flask's test client ("in-process WSGI": the
   platform's own cost without a network), with SQL statements per completion;
3. unless ``--no-http``, completed tasks per second and p50 / p95 over real HTTP against gunicorn
   (``--workers`` sync workers, default CPUs + 1) with 1, 8 and 32 concurrent reviewers: per level,
   ``--load-cases`` fresh cases are started (untimed) and their tasks completed wave by wave
   (submit; the three parallel reviews; the decision) by that many client threads;
4. tables with p50 / p95 / mean and each figure's ratio to the engine's p50 of step 1.

The process is ``../shared/bench/bench_parallel_approval.bpmn`` (five user tasks, each in its own
group). Each backend runs on a fresh database that is removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    APPLICANT,
    BACKENDS,
    BENCH_BPMN,
    BENCH_PROCESS,
    GROUP_USER,
    SHARED_BENCH,
    TASK_DATA,
    TASK_GROUP,
    TASK_ORDER,
    Api,
    Request,
    Summary,
    bench_env,
    default_workers,
    gunicorn_server,
    load_average,
    open_tasks_by_bpmn_id,
    run_case_via_api,
    run_load,
    source_location,
    start_data,
    table,
)

from app import edge  # noqa: E402

Samples = dict[str, list[float]]  # bpmn_id -> ms


def _all(samples: Samples) -> list[float]:
    return [ms for values in samples.values() for ms in values]


# -- 1. the engine alone -------------------------------------------------------------------------


def engine_source() -> Any:
    from app.engine import SpecSource, load_processes

    loaded = load_processes([BENCH_BPMN], [SHARED_BENCH], {})
    if not loaded.ok:
        raise SystemExit("bench process has problems:\n" + "\n".join(str(p) for p in loaded.problems))
    bundle = loaded.bundles[BENCH_PROCESS]
    return SpecSource(bundle.hash, bundle.spec_json, {})


def _next_ready(ready: list[Any], done: set[str]) -> Any:
    by_id = {t.bpmn_id: t for t in ready}
    for bpmn_id in TASK_ORDER:
        if bpmn_id in by_id and bpmn_id not in done:
            return by_id[bpmn_id]
    raise RuntimeError(f"no expected ready task among {[t.bpmn_id for t in ready]}")


def bench_engine(cases: int, warmup: int) -> Samples:
    """Runtime.complete (sandboxed script engine, spec-less state, PermitFlow's step result)."""
    from app.engine import Runtime

    source = engine_source()
    runtime = Runtime(helpers={}, script_time_budget=2.0)
    samples: Samples = defaultdict(list)
    for i in range(warmup + cases):
        result = runtime.start(source, start_data(i))
        state, done = result.state, set[str]()
        for _ in TASK_ORDER:
            task = _next_ready(result.ready, done)
            data = dict(TASK_DATA[task.bpmn_id])
            t0 = time.perf_counter()
            result = runtime.complete(source, state, task.id, data)
            elapsed = (time.perf_counter() - t0) * 1000.0
            state = result.state
            done.add(task.bpmn_id)
            if i >= warmup:
                samples[task.bpmn_id].append(elapsed)
        if not result.finished:
            raise RuntimeError("engine case did not finish")
    return samples


def bench_bare(cases: int, warmup: int) -> tuple[Samples, Samples, dict[str, list[float]]]:
    """SpiffWorkflow with its default script engine and none of PermitFlow's extras (no ready-task
    listing, no candidate_groups evaluation, no case data), two ways of saving:

    * spec-less: PermitFlow's own dump_state/load_state (the spec comes from the cache);
    * standard: SpiffWorkflow's BpmnWorkflowSerializer.serialize_json (spec embedded in the state).

    Also returns the spec-less variant's phase split (load / run + steps / dump) in ms.
    """
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from app.engine.specs import dump_state, load_state, spec_from_json

    source = engine_source()
    spec, subs = spec_from_json(source.spec_json)
    standard = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def ready_of(workflow: BpmnWorkflow) -> list[Any]:
        return workflow.get_tasks(state=TaskState.READY, manual=True)

    def run_one(workflow: BpmnWorkflow, task_id: Any, data: dict[str, Any]) -> None:
        task = workflow.get_task_from_id(task_id)
        task.task_spec.add_data_from_form(task, data)
        task.run()
        workflow.refresh_timers()
        workflow.do_engine_steps()

    specless: Samples = defaultdict(list)
    std: Samples = defaultdict(list)
    phases: dict[str, list[float]] = defaultdict(list)
    for i in range(warmup + cases):
        # spec-less state (the format PermitFlow saves)
        workflow = BpmnWorkflow(spec, subs)
        workflow.task_tree.data.update(start_data(i))
        workflow.do_engine_steps()
        state = dump_state(workflow)
        done: set[str] = set()
        for _ in TASK_ORDER:
            ready = {t.task_spec.bpmn_id: t.id for t in ready_of(workflow)}
            bpmn_id = next(b for b in TASK_ORDER if b in ready and b not in done)
            data = dict(TASK_DATA[bpmn_id])
            t0 = time.perf_counter()
            workflow = load_state(state, spec, subs)
            t1 = time.perf_counter()
            run_one(workflow, ready[bpmn_id], data)
            t2 = time.perf_counter()
            state = dump_state(workflow)
            t3 = time.perf_counter()
            done.add(bpmn_id)
            if i >= warmup:
                specless[bpmn_id].append((t3 - t0) * 1000.0)
                phases["load"].append((t1 - t0) * 1000.0)
                phases["run + engine steps"].append((t2 - t1) * 1000.0)
                phases["dump"].append((t3 - t2) * 1000.0)
        if not workflow.is_completed():
            raise RuntimeError("bare case did not finish")

        # SpiffWorkflow's standard serializer, spec included
        workflow = BpmnWorkflow(spec, subs)
        workflow.task_tree.data.update(start_data(i))
        workflow.do_engine_steps()
        text = standard.serialize_json(workflow)
        done = set()
        for _ in TASK_ORDER:
            ready = {t.task_spec.bpmn_id: t.id for t in ready_of(workflow)}
            bpmn_id = next(b for b in TASK_ORDER if b in ready and b not in done)
            data = dict(TASK_DATA[bpmn_id])
            t0 = time.perf_counter()
            workflow = standard.deserialize_json(text)
            run_one(workflow, ready[bpmn_id], data)
            text = standard.serialize_json(workflow)
            elapsed = (time.perf_counter() - t0) * 1000.0
            done.add(bpmn_id)
            if i >= warmup:
                std[bpmn_id].append(elapsed)
    return specless, std, phases


# -- 2. the platform through its API ---------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements the app's engine sends while ``active`` (in-process runs only)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        self.active = False
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: Any) -> None:
        if self.active:
            self.count += 1

    def timed(self, call: Callable[[], Any]) -> Any:
        self.active = True
        try:
            return call()
        finally:
            self.active = False


def bench_api(
    api: Api, cases: int, warmup: int, first: int, counter: StatementCounter | None = None
) -> tuple[Samples, list[float]]:
    """Run ``warmup + cases`` cases through the API; time only the complete calls of the last
    ``cases`` (and, separately, each case's POST /cases)."""
    samples: Samples = defaultdict(list)
    starts: list[float] = []
    for i in range(warmup + cases):
        if counter is not None and i == warmup:
            counter.count = 0
        counted = i >= warmup

        def on_sample(bpmn_id: str, ms: float, counted: bool = counted) -> None:
            if counted:
                samples[bpmn_id].append(ms)

        def on_start(ms: float, counted: bool = counted) -> None:
            if counted:
                starts.append(ms)

        run_case_via_api(
            api,
            first + i,
            on_sample=on_sample,
            on_start=on_start,
            timed=counter.timed if counter is not None else None,
        )
    return samples, starts


def profile_api(env: Any, completions: int, warmup: int) -> cProfile.Profile:
    """cProfile only around the ``POST …/complete`` calls of ``completions`` completions."""
    api = Api(app=env.app)
    profiler = cProfile.Profile()

    def timed(call: Callable[[], Any]) -> Any:
        profiler.enable()
        try:
            return call()
        finally:
            profiler.disable()

    for i in range(warmup):
        run_case_via_api(api, 900_000 + i)
    cases = -(-completions // len(TASK_ORDER))
    for i in range(cases):
        run_case_via_api(api, 910_000 + i, timed=timed)
    return profiler


def _package(filename: str, func: str) -> str:
    where = source_location(filename)
    if where.startswith("app/engine/"):
        return "app/engine"
    if where.startswith("app/"):
        return "app (services, api, models)"
    if where.startswith("~"):
        if "sqlite3" in func:
            return "sqlite3 (C)"
        if "json" in func.lower() or "encode" in func or "decode" in func:
            return "json (C)"
        return "builtins (C)"
    if where.startswith("stdlib/"):
        rest = where[len("stdlib/") :]
        return "stdlib: " + (rest.split("/", 1)[0] if "/" in rest else rest.removesuffix(".py"))
    top = where.split("/", 1)[0]
    groups = {
        "SpiffWorkflow": "SpiffWorkflow",
        "sqlalchemy": "sqlalchemy",
        "psycopg": "psycopg",
        "flask": "flask/werkzeug",
        "werkzeug": "flask/werkzeug",
        "flask_smorest": "flask-smorest/marshmallow/webargs",
        "marshmallow": "flask-smorest/marshmallow/webargs",
        "webargs": "flask-smorest/marshmallow/webargs",
        "jsonschema": "jsonschema/referencing",
        "referencing": "jsonschema/referencing",
        "jsonschema_specifications": "jsonschema/referencing",
        "RestrictedPython": "RestrictedPython",
        "itsdangerous": "itsdangerous",
    }
    if top in groups:
        return groups[top]
    return "other: " + top


def print_profile(profiler: cProfile.Profile, completions: int, top: int, backend: str) -> None:
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = max((ct for (cc, nc, tt, ct, _c) in raw.values()), default=0.0)
    per = 1000.0 / completions

    def rows(keep: Callable[[str], bool]) -> list[list[Any]]:
        picked = [(k, v) for k, v in raw.items() if keep(k[0])]
        picked.sort(key=lambda kv: kv[1][3], reverse=True)
        out = []
        for (filename, line, func), (cc, nc, tt, ct, _callers) in picked[:top]:
            calls = f"{nc}/{cc}" if nc != cc else str(nc)
            out.append(
                [
                    f"{source_location(filename)}:{line}({func})",
                    calls,
                    tt * per,
                    ct * per,
                    f"{100 * ct / total:.0f}%",
                ]
            )
        return out

    headers = ["function", "ncalls", "tottime ms/task", "cumtime ms/task", "of total"]
    what = f"POST /tasks/{{id}}/complete, {backend}, in-process WSGI"
    print(f"\ncProfile of {completions} completions ({what})")
    print(f"profiled time per completion: {total * per:.2f} ms (profiling inflates this)")
    print(f"\ntop {top} cumulative inside app/:")
    print(table(headers, rows(lambda f: source_location(f).startswith("app/"))))
    print(f"\ntop {top} cumulative inside SpiffWorkflow:")
    print(table(headers, rows(lambda f: "SpiffWorkflow" in f)))
    print(f"\ntop {top} cumulative overall (any module):")
    print(table(headers, rows(lambda f: True)))

    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in raw.items():
        by_package[_package(filename, func)] += tt
    print("\nself time by package (where the CPU actually goes):")
    ordered = sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)
    print(
        table(
            ["package", "self ms/task", "share"],
            [[name, tt * per, f"{100 * tt / total:.0f}%"] for name, tt in ordered if tt * per >= 0.05],
        )
    )


# -- 3. concurrent reviewers over real HTTP ----------------------------------------------------------

# The bench case's tasks in the waves they become open: all of a wave is completed before the next.
WAVES = [["submit"], ["planning_review", "fire_review", "env_review"], ["decision"]]


def start_cases_http(env: Any, base: str, tokens: dict[str, str], count: int, first: int) -> list[str]:
    """Start ``count`` bench cases over HTTP (untimed preparation, 8 clients)."""
    starts = [
        Request(
            "POST",
            "/api/v1/cases",
            tokens[APPLICANT],
            {"process": BENCH_PROCESS, "data": start_data(first + i)},
            201,
        )
        for i in range(count)
    ]
    return [str(r["number"]) for r in run_load(base, starts, 8).responses]


def complete_concurrently(
    env: Any, base: str, tokens: dict[str, str], clients: int, cases: int, first: int
) -> tuple[Summary, float, int]:
    """``cases`` fresh cases, their 5 tasks completed by ``clients`` concurrent reviewers.

    Cases are started untimed; then each wave of open tasks (submit; the three parallel reviews;
    the decision) is read from the database and completed by ``clients`` threads pulling from one
    shuffled queue (parallel reviews of one case may meet on its lock, as in real life). Only
    completions are timed. Returns the latency summary, completed tasks per second, and how many."""
    numbers = start_cases_http(env, base, tokens, cases, first)
    rng = random.Random(first)
    latencies: list[float] = []
    seconds = 0.0
    for wave in WAVES:
        open_tasks = open_tasks_by_bpmn_id(env, numbers)
        batch = []
        for bpmn_id in wave:
            found = open_tasks.get(bpmn_id, [])
            if len(found) != cases:
                raise RuntimeError(f"expected {cases} open {bpmn_id} tasks, found {len(found)}")
            user = GROUP_USER[TASK_GROUP[bpmn_id]]
            body = {"data": TASK_DATA[bpmn_id]}
            batch += [
                Request("POST", f"/api/v1/tasks/{tid}/complete", tokens[user], body) for tid, _ in found
            ]
        rng.shuffle(batch)
        done = run_load(base, batch, clients)
        latencies += done.latencies_ms
        seconds += done.seconds
    if open_tasks_by_bpmn_id(env, numbers):
        raise RuntimeError("cases left with open tasks")
    return Summary.of(latencies), len(latencies) / seconds, len(latencies)


# -- report --------------------------------------------------------------------------------------


def by_task_table(columns: list[tuple[str, Samples]]) -> str:
    headers = ["task (p50 ms)"] + [name for name, _ in columns]
    rows = []
    for bpmn_id in TASK_ORDER:
        rows.append([bpmn_id] + [Summary.of(s.get(bpmn_id, [])).p50 for _, s in columns])
    return table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100, help="API cases per backend (5 tasks each)")
    parser.add_argument("--engine-cases", type=int, default=200, help="engine-alone cases (5 tasks each)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed cases run first everywhere")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn (real HTTP) measurement")
    parser.add_argument("--clients", default="1,8,32", help="concurrent reviewers over HTTP, comma-separated")
    parser.add_argument(
        "--load-cases", type=int, default=80, help="cases per concurrency level over HTTP (5 tasks each)"
    )
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="gunicorn sync workers (default: CPUs + 1)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare SpiffWorkflow figures")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile N API completions on SQLite (in-process) and print where time goes",
    )
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument("--profile-backend", default="sqlite", choices=BACKENDS)
    parser.add_argument(
        "--redis-url", default="", help="REDIS_URL for the app (default: the platform's own default)"
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            parser.error(f"unknown backend {b!r} (choose from {', '.join(BACKENDS)})")
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    http_rate: dict[tuple[str, int], float] = {}
    http_p50: dict[tuple[str, int], float] = {}
    load_rows: list[list[Any]] = []
    began = time.perf_counter()

    import SpiffWorkflow

    print(
        f"complete_task benchmark: process {BENCH_PROCESS} (5 user tasks per case), "
        f"python {sys.version.split()[0]}, SpiffWorkflow {getattr(SpiffWorkflow, '__version__', '?')}"
    )
    print(
        f"engine: {args.engine_cases} cases; API: {args.cases} cases per backend "
        f"({args.cases * len(TASK_ORDER)} completions); {args.warmup} warm-up cases untimed everywhere"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} at start\n")

    # 1. engine alone
    engine = bench_engine(args.engine_cases, args.warmup)
    engine_sum = Summary.of(_all(engine))
    print(f"[engine] Runtime.complete: p50 {engine_sum.p50:.2f} ms over {engine_sum.n} tasks", flush=True)
    rows: list[list[Any]] = []
    by_task: list[tuple[str, Samples]] = [("engine", engine)]

    def row(label: str, s: Summary) -> list[Any]:
        return [label, s.n, s.p50, s.p95, s.mean, f"{s.p50 / engine_sum.p50:.1f}x"]

    rows.append(row("engine: Runtime.complete (sandbox, load+complete+save)", engine_sum))
    phases: dict[str, list[float]] = {}
    if not args.no_bare:
        bare, std, phases = bench_bare(args.engine_cases, args.warmup)
        rows.append(row("bare SpiffWorkflow, spec-less state (PermitFlow format)", Summary.of(_all(bare))))
        rows.append(row("bare SpiffWorkflow, standard serializer (spec embedded)", Summary.of(_all(std))))
        by_task.append(("bare", bare))
        print(f"[engine] bare SpiffWorkflow: p50 {Summary.of(_all(bare)).p50:.2f} ms", flush=True)

    # 2. platform through the API
    api_p50: dict[str, float] = {}
    statements: dict[str, float] = {}
    start_rows: list[list[Any]] = []
    for backend in backends:
        with bench_env(backend, redis_url=args.redis_url) as env:
            api = Api(app=env.app)
            counter = StatementCounter(edge.of(env.app).database.engine)
            samples, starts = bench_api(api, args.cases, args.warmup, first=0, counter=counter)
            api.close()
            s = Summary.of(_all(samples))
            api_p50[backend] = s.p50
            statements[backend] = counter.count / max(s.n, 1)
            rows.append(row(f"API {backend}, in-process WSGI (Flask test client), 1 client", s))
            by_task.append((f"{backend} wsgi", samples))
            start_rows.append([f"{backend}, in-process WSGI", *_start_cells(starts)])
            print(f"[api] {backend} in-process: p50 {s.p50:.2f} ms over {s.n} completions", flush=True)
            if not args.no_http:
                with gunicorn_server(env, workers=args.workers) as base:
                    http = Api(base_url=base)
                    tokens = {u: http.token(u) for u in {APPLICANT, *GROUP_USER.values()}}
                    http.close()
                    start_cases_http(env, base, tokens, 2 * args.workers, 500_000)  # warm every worker
                    for n, clients in enumerate(levels):
                        s, rate, done = complete_concurrently(
                            env, base, tokens, clients, args.load_cases, 600_000 + 10_000 * n
                        )
                        http_rate[(backend, clients)] = rate
                        http_p50[(backend, clients)] = s.p50
                        load_rows.append([backend, clients, done, f"{rate:.0f}", s.p50, s.p95, s.mean])
                        load_rows[-1].append(f"{s.p50 / engine_sum.p50:.1f}x")
                        print(
                            f"[http] {backend} {clients} reviewers: {rate:.0f} tasks/s, "
                            f"p50 {s.p50:.2f} p95 {s.p95:.2f} ms",
                            flush=True,
                        )

    # 3. report
    print("\nper completed user task (ms); ratio = p50 / engine p50")
    print(table(["what", "n tasks", "p50", "p95", "mean", "ratio"], rows))
    if load_rows:
        print(
            f"\nconcurrent reviewers over HTTP (gunicorn -w {args.workers} sync workers on 127.0.0.1, "
            f"{args.load_cases} cases = {args.load_cases * len(TASK_ORDER)} completions per row; "
            "the clients run on the same cores); ratio = p50 / engine p50"
        )
        print(
            table(
                ["backend", "reviewers", "tasks", "tasks/s", "p50 ms", "p95 ms", "mean ms", "ratio"],
                load_rows,
            )
        )
    print("\np50 by task (ms)")
    print(by_task_table(by_task))
    if phases:
        print(
            "\nbare SpiffWorkflow (spec-less) split, p50 ms: "
            + ", ".join(f"{name} {Summary.of(values).p50:.2f}" for name, values in phases.items())
        )
    if statements:
        print(
            "\nSQL statements per completion (in-process runs): "
            + ", ".join(f"{b} {n:.1f}" for b, n in statements.items())
        )
    if start_rows:
        print("\nfor reference, POST /api/v1/cases (start a case and run to its first user task), ms")
        print(table(["backend", "n", "p50", "p95", "mean"], start_rows))

    if args.profile > 0:
        with bench_env(args.profile_backend, redis_url=args.redis_url) as env:
            profiler = profile_api(env, args.profile, args.warmup)
        done = -(-args.profile // len(TASK_ORDER)) * len(TASK_ORDER)
        print_profile(profiler, done, args.profile_top, args.profile_backend)

    parts = [f"engine p50 {engine_sum.p50:.2f} ms"]
    api_parts = []
    for backend, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        if backend in api_p50:
            api_parts.append(f"{label} {api_p50[backend]:.2f} ms ({api_p50[backend] / engine_sum.p50:.1f}x)")
    if api_parts:
        parts.append("API in-process p50 " + ", ".join(api_parts))
    for backend, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        if (backend, 1) in http_p50:
            parts.append(
                f"HTTP {label} 1 reviewer p50 {http_p50[(backend, 1)]:.2f} ms "
                f"({http_p50[(backend, 1)] / engine_sum.p50:.1f}x)"
            )
        if (backend, 8) in http_rate:
            parts.append(f"{label} 8 reviewers {http_rate[(backend, 8)]:.0f} tasks/s")
    print(f"\n(total run time {time.perf_counter() - began:.0f} s; load average {load_average()} at the end)")
    print("complete_task: " + "; ".join(parts))
    return 0


def _start_cells(starts: list[float]) -> list[Any]:
    s = Summary.of(starts)
    return [s.n, s.p50, s.p95, s.mean]


if __name__ == "__main__":
    sys.exit(main())
