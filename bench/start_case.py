"""Case starts per second and their latency over HTTP, with 1, 8 and 32 concurrent applicants.

    .venv/bin/python bench/start_case.py [--clients 1,8,32] [--starts N] [--backends sqlite,postgresql]

Per backend (a fresh SQLite file; a PostgreSQL database created for the run and dropped after) the
bench process ``../shared/bench/bench_parallel_approval.bpmn`` is deployed and gunicorn serves the
app (``--workers`` sync workers, default CPUs + 1). For each concurrency level, ``--starts`` times
``POST /api/v1/cases`` (validate the start data, create the case, run the engine to the first user
task, save, mirror the task and its timers, audit) is sent by that many client threads, each
sending its next request as soon as the last is answered. For reference the engine alone's
``Runtime.start`` (build -> run to the first wait -> save) is measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    APPLICANT,
    BACKENDS,
    BENCH_PROCESS,
    Api,
    Request,
    Summary,
    bench_env,
    default_workers,
    gunicorn_server,
    load_average,
    run_load,
    start_data,
    table,
)
from engine_ceiling import deployed_sources  # noqa: E402


def engine_start(cases: int) -> Summary:
    runtime, sources = deployed_sources([BENCH_PROCESS])
    source = sources[BENCH_PROCESS]
    samples = []
    for i in range(cases + 5):
        t0 = time.perf_counter()
        result = runtime.start(source, start_data(i))
        elapsed = (time.perf_counter() - t0) * 1000.0
        if not result.ready:
            raise RuntimeError("the bench case has no first user task")
        if i >= 5:
            samples.append(elapsed)
    return Summary.of(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8,32", help="concurrent applicants, comma-separated")
    parser.add_argument("--starts", type=int, default=300, help="case starts per concurrency level")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="gunicorn sync workers (default: CPUs + 1)"
    )
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            parser.error(f"unknown backend {b!r} (choose from {', '.join(BACKENDS)})")
    began = time.perf_counter()
    print(
        f"start_case: {BENCH_PROCESS}, {args.starts} starts per level, gunicorn -w {args.workers} (sync); "
        f"{os.cpu_count()} CPUs, load average {load_average()} at start"
    )
    engine = engine_start(200)
    print(f"[engine] Runtime.start p50 {engine.p50:.2f} ms", flush=True)

    rows: list[list[Any]] = []
    rate: dict[tuple[str, int], float] = {}
    p50: dict[tuple[str, int], float] = {}
    for backend in backends:
        with bench_env(backend) as env, gunicorn_server(env, workers=args.workers) as base:
            api = Api(base_url=base)
            token = api.token(APPLICANT)
            api.close()

            def starts(count: int, first: int, token: str = token) -> list[Request]:
                body = {"process": BENCH_PROCESS}
                return [
                    Request("POST", "/api/v1/cases", token, {**body, "data": start_data(first + i)}, 201)
                    for i in range(count)
                ]

            run_load(base, starts(4 * args.workers, 900_000), args.workers)  # warm every worker
            for n, clients in enumerate(levels):
                done = run_load(base, starts(args.starts, 100_000 * (n + 1)), clients)
                s = Summary.of(done.latencies_ms)
                rate[(backend, clients)], p50[(backend, clients)] = done.rate, s.p50
                rows.append([backend, clients, s.n, f"{done.rate:.0f}", s.p50, s.p95, s.mean])
                rows[-1].append(f"{s.p50 / engine.p50:.1f}x")
                print(
                    f"[http] {backend} {clients} clients: {done.rate:.0f} starts/s, p50 {s.p50:.2f} ms",
                    flush=True,
                )

    print(f"\nengine alone, Runtime.start: p50 {engine.p50:.2f} ms, p95 {engine.p95:.2f} ms (n {engine.n})")
    print("POST /api/v1/cases over HTTP; ratio = p50 / engine p50")
    print(table(["backend", "clients", "n", "starts/s", "p50 ms", "p95 ms", "mean ms", "ratio"], rows))
    print(f"\n(total run time {time.perf_counter() - began:.0f} s; load average {load_average()} at the end)")
    parts = []
    for backend, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        for clients in levels:
            if (backend, clients) in rate:
                key = (backend, clients)
                parts.append(f"{label} {clients}: {rate[key]:.0f}/s p50 {p50[key]:.1f} ms")
    print("start_case: case starts " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
