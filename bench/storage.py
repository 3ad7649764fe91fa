"""Database bytes per case: a full bench case, a full construction permit, and 1-3 correction loops.

    .venv/bin/python bench/storage.py [--cases N] [--backends sqlite,postgresql]

Per backend, a fresh database with the bench process and the shipped processes deployed. For each
kind of case, ``--cases`` cases are run from start to end through the API (in-process WSGI, every
step as its group's demo user) and the database's real size is measured before and after:

* PostgreSQL: ``pg_total_relation_size`` (heap + TOAST + indexes) of every table, summed; "as
  written" is the size right after the cases ran (with the dead row versions every update leaves,
  until autovacuum reuses them), "compacted" after ``VACUUM FULL`` (live data only);
* SQLite: pages in use (``page_count - freelist_count``) times the page size, per table from the
  ``dbstat`` virtual table; "compacted" after ``VACUUM``.

The difference divided by the number of cases is the cost of one case. The kinds: the bench
process (5 user tasks); the permit accepted at once (5 user tasks, a called subprocess); the permit
with 1, 2 and 3 rounds of correction (2 more user tasks each).
"""

from __future__ import annotations

import argparse
import os
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
    BENCH_PROCESS,
    PERMIT_PROCESS,
    Api,
    BenchEnv,
    bench_env,
    bench_steps,
    load_average,
    open_tasks_by_bpmn_id,
    permit_start_data,
    permit_steps,
    start_data,
    table,
)

from app import edge  # noqa: E402

Steps = list[tuple[str, str, dict[str, Any]]]


def kinds() -> list[tuple[str, str, Callable[[int], dict[str, Any]], Steps]]:
    out = [
        ("bench case", BENCH_PROCESS, start_data, bench_steps()),
        ("permit, accepted at once", PERMIT_PROCESS, permit_start_data, permit_steps(0)),
    ]
    for loops in (1, 2, 3):
        out.append(
            (f"permit, {loops} correction loop(s)", PERMIT_PROCESS, permit_start_data, permit_steps(loops))
        )
    return out


def run_case(env: BenchEnv, api: Api, process: str, data: dict[str, Any], steps: Steps) -> str:
    created = api.expect("POST", "/api/v1/cases", APPLICANT, {"process": process, "data": data}, status=201)
    number = str(created["number"])
    for bpmn_id, user, form in steps:
        found = open_tasks_by_bpmn_id(env, [number]).get(bpmn_id, [])
        if len(found) != 1:
            raise RuntimeError(f"case {number}: expected one open {bpmn_id}, found {found}")
        api.expect("POST", f"/api/v1/tasks/{found[0][0]}/complete", user, {"data": form})
    final = api.expect("GET", f"/api/v1/cases/{number}", APPLICANT)
    if final.get("status") not in ("approved", "closed"):
        raise RuntimeError(f"case {number} ended {final.get('status')}")
    return number


def sizes(env: BenchEnv) -> dict[str, int]:
    """Bytes on disk per table (indexes and TOAST counted with their table)."""
    engine = edge.of(env.app).database.engine
    with engine.connect() as conn:
        if env.backend == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).all()
            return {name: int(size) for name, size in rows}
        # dbstat names indexes apart: fold each into its table.
        owner = dict(conn.exec_driver_sql("SELECT name, tbl_name FROM sqlite_master").all())
        out: dict[str, int] = defaultdict(int)
        for name, size in conn.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").all():
            out[owner.get(name, name)] += int(size)
        return dict(out)


def compact(env: BenchEnv) -> None:
    engine = edge.of(env.app).database.engine
    if env.backend == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM FULL")
        return
    import sqlite3

    # The app's SQLite connections begin their own transactions; VACUUM needs none open.
    conn = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        conn.execute("VACUUM")
    finally:
        conn.close()


def state_bytes(env: BenchEnv, numbers: list[str]) -> tuple[float, float]:
    """Mean length of a finished case's saved workflow state and of its case data (JSON text)."""
    from sqlalchemy import select

    from app.models import Case

    with edge.of(env.app).database.unit_of_work(write=False) as session:
        rows = session.execute(select(Case.state, Case.data).where(Case.number.in_(numbers))).all()
    import json

    n = max(len(rows), 1)
    return (
        sum(len(r.state.encode()) for r in rows) / n,
        sum(len(json.dumps(r.data, ensure_ascii=False).encode()) for r in rows) / n,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=40, help="cases of each kind per backend")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--top", type=int, default=6, help="tables shown in the per-table split")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            parser.error(f"unknown backend {b!r} (choose from {', '.join(BACKENDS)})")
    began = time.perf_counter()
    print(
        f"storage: {args.cases} cases of each kind per backend, in-process API; "
        f"{os.cpu_count()} CPUs, load average {load_average()}"
    )
    rows: list[list[Any]] = []
    split_rows: list[list[Any]] = []
    per_case: dict[tuple[str, str], float] = {}
    serial = 0
    for backend in backends:
        with bench_env(backend, with_shipped=True) as env:
            api = Api(app=env.app)
            run_case(env, api, BENCH_PROCESS, start_data(999_999), bench_steps())  # first-use rows
            compact(env)
            for label, process, start, steps in kinds():
                before = sizes(env)
                numbers = []
                for _ in range(args.cases):
                    serial += 1
                    numbers.append(run_case(env, api, process, start(serial), steps))
                written = sizes(env)
                compact(env)
                after = sizes(env)
                raw = (sum(written.values()) - sum(before.values())) / args.cases
                live = (sum(after.values()) - sum(before.values())) / args.cases
                state, data = state_bytes(env, numbers)
                per_case[(backend, label)] = raw
                rows.append([backend, label, len(steps), f"{raw / 1024:.1f}", f"{live / 1024:.1f}"])
                rows[-1] += [f"{state / 1024:.1f}", f"{data / 1024:.1f}"]
                delta = {t: (after.get(t, 0) - before.get(t, 0)) / args.cases for t in after}
                top = sorted(delta.items(), key=lambda kv: kv[1], reverse=True)[: args.top]
                split_rows.append([backend, label, ", ".join(f"{t} {b / 1024:.1f}" for t, b in top if b > 0)])
                print(
                    f"[{backend}] {label}: {raw / 1024:.1f} KB as written, {live / 1024:.1f} KB live",
                    flush=True,
                )
            api.close()

    print("\nKB per case (1 KB = 1024 bytes); state = the saved workflow state, data = the case data")
    print(
        table(
            ["backend", "case", "user tasks", "KB as written", "KB compacted", "state KB", "data KB"],
            rows,
        )
    )
    print("\nwhere a case's compacted bytes go (KB per case by table, indexes included)")
    print(table(["backend", "case", "largest tables"], split_rows))
    print(f"\n(total run time {time.perf_counter() - began:.0f} s; load average {load_average()} at the end)")
    parts = [
        f"{b} {per_case[(b, 'bench case')] / 1024:.1f} KB" for b in backends if (b, "bench case") in per_case
    ]
    print("storage: per completed bench case as written " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
