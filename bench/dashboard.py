"""The leadership dashboard and GET /api/v1/stats over a year of a busy bureau: 100,000 cases.

    .venv/bin/python bench/dashboard.py [--cases 100000] [--repeat 15] [--backends sqlite,postgresql]

For each database (a fresh one, see bench/_common.py) it bulk-inserts cases, their human_task rows
and timer rows spanning the last 365 days across the shipped processes and the demo groups
(inserted as rows, not through the engine), then measures in-process: the dashboard page (default
period: the last twelve months), GET /api/v1/stats for the same period and for all time, and the
CSV. Prints p50/p95 per request (target: p95 under 300 ms) and the figures, checked against a
count straight from the tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BACKENDS, Api, Summary, bench_env, page_client, table  # noqa: E402

from app import edge

TARGET_MS = 300.0
CHUNK = 20_000
JSON_COLUMNS = {"clock_pauses", "data", "error", "context", "submitted"}
# process key -> its steps as (bpmn id, zh name, en name, candidate groups to pick from, limit in days)
STEPS: dict[str, list[tuple[str, str, str, tuple[str, ...], int]]] = {
    "construction_permit": [
        ("Task_Acceptance", "受理审查", "Acceptance review", ("window",), 1),
        (
            "Task_Review",
            "并联审查",
            "Parallel review",
            ("planning", "fire", "environment", "civil_defence"),
            5,
        ),
        ("Task_Decision", "审批决定", "Decision", ("construction",), 2),
    ],
    "complaint_handling": [
        ("Task_Triage", "分办", "Triage", ("complaint_desk",), 1),
        ("Task_Handle", "办理", "Handling", ("inspection", "construction"), 5),
    ],
    "rectification_order": [
        ("Task_Rectify", "整改", "Rectification", ("inspection",), 5),
        ("Task_Check", "复查", "Re-inspection", ("inspection",), 3),
    ],
}
SHARES = {"construction_permit": 0.6, "complaint_handling": 0.3, "rectification_order": 0.1}


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def make_rows(
    n_cases: int, versions: dict[str, int], now: datetime, days: Any, seed: int = 7
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Cases, tasks and timers: each case submitted in the last year; 85% finished, the rest with
    one open task (a third of them past due) whose warning and overdue timers wait. Finished
    tasks and cases carry their stored working days as the platform writes them when they end
    (``days``: services.durations.WorkingDays over the platform's calendar)."""
    rng = random.Random(seed)
    keys = list(SHARES)
    weights = [SHARES[k] for k in keys]
    cases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    timers: list[dict[str, Any]] = []
    task_id = timer_id = 0
    for case_id in range(1, n_cases + 1):
        key = rng.choices(keys, weights)[0]
        submitted = now - timedelta(days=rng.uniform(0, 365), hours=rng.uniform(0, 8))
        finished = rng.random() < 0.85
        moment = submitted
        steps = STEPS[key]
        open_at = len(steps) if finished else rng.randrange(len(steps))
        number = f"B{case_id:08d}"
        for index, (bpmn_id, name, name_en, groups, limit) in enumerate(steps[: open_at + 1]):
            if index == len(steps):
                break
            task_id += 1
            created = moment
            due = created + timedelta(days=limit * 1.4)
            done = index < open_at
            took = timedelta(days=rng.expovariate(1 / (limit * 1.1)))
            completed = created + took if done else None
            if completed and completed > now:
                completed, done = None, False
            late = (completed or now) > due
            tasks.append(
                {
                    "id": task_id,
                    "case_id": case_id,
                    "case_number": number,
                    "process_key": key,
                    "project_name": f"基准项目{case_id}",
                    "spiff_task_id": f"bench-{task_id}",
                    "bpmn_id": bpmn_id,
                    "name": name,
                    "name_en": name_en,
                    "candidate_group": rng.choice(groups),
                    "assignee_id": None,
                    "state": "completed" if done else "open",
                    "form_key": None,
                    "time_limit": f"{limit}wd",
                    "pauses_clock": False,
                    "created_at": created,
                    "claimed_at": None,
                    "completed_at": completed,
                    "completed_by_id": None,
                    "due_at": due,
                    "warn_at": created + (due - created) * 0.8,
                    "escalation_level": (2 if rng.random() < 0.3 else 1) if late else 0,
                    "outcome": "approve" if done else None,
                    "working_days": days.between(created, completed) if completed else None,
                    "on_time": (completed <= due) if completed else None,
                    "context": {},
                    "submitted": None,
                }
            )
            for kind, at in (("sla_warning", created + (due - created) * 0.8), ("sla_overdue", due)):
                timer_id += 1
                timers.append(
                    {
                        "id": timer_id,
                        "case_id": case_id,
                        "kind": kind,
                        "human_task_id": task_id,
                        "spiff_task_id": None,
                        "bpmn_id": None,
                        "level": 0,
                        "due_at": at,
                        "fired_at": at if at <= now and not done else None,
                        "cancelled_at": completed if done else None,
                        "created_at": created,
                        "note": None,
                    }
                )
            if not done:
                finished = False
                break
            moment = completed or moment
        status = "in_progress"
        if finished:
            status = {"construction_permit": rng.choice(["approved"] * 4 + ["rejected"])}.get(key, "closed")
        data: dict[str, Any] = {}
        if key == "complaint_handling" and finished and rng.random() < 0.7:
            data["rating"] = "satisfied" if rng.random() < 0.85 else "not_satisfied"
        cases.append(
            {
                "id": case_id,
                "number": number,
                "query_code_hash": "bench",
                "process_key": key,
                "process_version_id": versions[key],
                "applicant_id": None,
                "status": status,
                "stage": None,
                "stage_en": None,
                "project_name": f"基准项目{case_id}",
                "submitted_at": submitted,
                "completed_at": moment if finished else None,
                "due_at": submitted + timedelta(days=10),
                "time_limit": "7wd",
                "clock_pauses": [],
                "working_days": days.case_days(submitted, moment, []) if finished else None,
                "rating": data.get("rating"),
                "data": data,
                "state": "{}",
                "state_format": "bench",
                "error": None,
                "lock_version": 1,
                "updated_at": moment,
            }
        )
    return cases, tasks, timers


def seed(env: Any, n_cases: int) -> tuple[int, int, int, float]:
    from sqlalchemy import select

    from app.models import Case, HumanTask, ProcessVersion, Timer
    from app.services import platform
    from app.services.durations import WorkingDays

    database = edge.of(env.app).database
    with database.unit_of_work(write=False) as session:
        days = WorkingDays(platform.calendar(session))
        versions = dict(
            (key, vid)
            for key, vid in session.execute(
                select(ProcessVersion.key, ProcessVersion.id).where(ProcessVersion.is_current.is_(True))
            )
        )
    t0 = time.perf_counter()
    gc.disable()
    try:
        cases, tasks, timers = make_rows(n_cases, versions, datetime.now(UTC), days)
        tables = ((Case.__table__, cases), (HumanTask.__table__, tasks), (Timer.__table__, timers))
        engine = database.engine
        if env.backend == "postgresql":
            with engine.connect() as conn:
                raw = conn.connection.driver_connection
                for tbl, rows in tables:
                    for chunk in _chunks(rows, CHUNK):
                        cols = list(chunk[0].keys())
                        names = ", ".join(f'"{c}"' for c in cols)
                        with raw.cursor() as cur, cur.copy(f'COPY "{tbl.name}" ({names}) FROM STDIN') as copy:
                            for row in chunk:
                                copy.write_row(
                                    tuple(
                                        json.dumps(v) if c in JSON_COLUMNS and v is not None else v
                                        for c, v in row.items()
                                    )
                                )
                    with raw.cursor() as cur:
                        cur.execute(
                            f"SELECT setval(pg_get_serial_sequence('\"{tbl.name}\"', 'id'), "
                            f'(SELECT max(id) FROM "{tbl.name}"))'
                        )
                raw.commit()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for name in ("case", "human_task", "timer"):
                    conn.exec_driver_sql(f'VACUUM (ANALYZE) "{name}"')
        else:
            with engine.begin() as conn:
                for tbl, rows in tables:
                    for chunk in _chunks(rows, CHUNK):
                        conn.execute(tbl.insert(), chunk)
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        gc.enable()
    return len(cases), len(tasks), len(timers), time.perf_counter() - t0


def measure(call: Any, repeat: int) -> tuple[Summary, Any]:
    call()  # warm: templates, statement caches, the calendar's day table
    samples = []
    last = None
    for _ in range(repeat):
        t = time.perf_counter()
        last = call()
        samples.append((time.perf_counter() - t) * 1000)
    return Summary.of(samples), last


def run(backend: str, n_cases: int, repeat: int) -> list[list[Any]]:
    from datetime import date

    from sqlalchemy import func, select

    from app.models import Case
    from app.web.dashboard import _cache, default_period

    rows: list[list[Any]] = []
    with bench_env(backend, shipped_processes=True) as env:
        n, n_tasks, n_timers, took = seed(env, n_cases)
        # As production's autovacuum would: fresh planner statistics and visibility maps (without
        # them PostgreSQL cannot read the covering indexes alone).
        after = "VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"
        print(
            f"[{backend}] seeded {n:,} cases, {n_tasks:,} tasks, {n_timers:,} timers in {took:.1f} s"
            f" (then {after}, as autovacuum would)",
            flush=True,
        )
        start, end = default_period(date.today())
        period = f"from={start.isoformat()}&to={end.isoformat()}"
        browser = page_client(env.app, "director")
        api = Api(app=env.app)
        database = edge.of(env.app).database
        with database.unit_of_work(write=False) as session:
            all_cases = session.scalar(select(func.count()).select_from(Case))

        def page() -> Any:
            response = browser.get("/dashboard")
            assert response.status_code == 200, response.status_code
            return response.get_data(as_text=True)

        def cold_page() -> Any:
            with env.app.app_context():
                cache = _cache()
                for key in cache.scan_iter("permitflow:dashboard:*"):
                    cache.delete(key)
            return page()

        def api_stats(query: str) -> Any:
            def call() -> Any:
                status, payload = api.call("GET", f"/api/v1/stats?{query}", "director")
                assert status == 200, (status, payload)
                return payload

            return call

        def csv() -> Any:
            response = browser.get(f"/dashboard.csv?{period}")
            assert response.status_code == 200
            return response.data

        for label, call in (
            ("dashboard page, figures added up (cache emptied)", cold_page),
            ("dashboard page, figures kept (< 60 s old)", page),
            ("GET /api/v1/stats (last 12 months)", api_stats(period)),
            ("GET /api/v1/stats (all time)", api_stats("")),
            ("dashboard CSV (last 12 months)", csv),
        ):
            summary, last = measure(call, repeat)
            check = ""
            if isinstance(last, dict):
                received = sum(p["cases_received"] for p in last["processes"])
                check = f"received {received:,}" + (f" = {all_cases:,} rows" if "all time" in label else "")
                if "all time" in label:
                    assert received == all_cases, (received, all_cases)
            rows.append(
                [
                    backend,
                    label,
                    summary.p50,
                    summary.p95,
                    summary.max,
                    "yes" if summary.p95 < TARGET_MS else "NO",
                    check,
                ]
            )
            print(
                f"[{backend}] {label}: p50 {summary.p50:.1f} ms, p95 {summary.p95:.1f} ms {check}", flush=True
            )
        api.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args(argv)
    rows: list[list[Any]] = []
    for backend in args.backends.split(","):
        rows += run(backend, args.cases, args.repeat)
    print()
    print(
        table(
            ["database", "request", "p50 ms", "p95 ms", "max ms", f"p95 < {TARGET_MS:.0f} ms", "check"], rows
        )
    )
    worst = max(row[3] for row in rows)
    print(f"\nworst p95 over {args.cases:,} cases: {worst:.1f} ms (target {TARGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
