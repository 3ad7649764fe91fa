"""How fast BPMN timers fire: many at the same moment, and many spread over a minute.

    .venv/bin/python bench/timers.py [--timers N] [--spread N] [--workers W] [--budget SECONDS]

Runs on a fresh PostgreSQL database (``PERMITFLOW_BENCH_PG``) and a Redis database number of its
own (claimed 1..15 with ``SET permitflow:test-run NX`` like the tests; only its ``rq:*`` keys are
deleted afterwards), with ``W`` (default 2) real ``python worker.py`` processes: rq workers with
their scheduler, exactly as deployed. No ``worker.py --cron``: the per-case wake-up jobs do the work.

The process is ``bench/processes/bench_timer.bpmn``: start -> timer (``timeDate`` = the case's start
field ``due``) -> one user task -> end. Starting a case saves a ``timer`` row (kind ``bpmn``) and, on
commit, schedules the rq job ``wake-<case id>`` at ``due + 1 s``. Lateness is ``fired_at - due_at``
of the timer rows.

In this order:

1. calibration: 100 cases due hours later give the creation rate (and, later, firing samples);
2. scenario B: ``--spread`` cases (default 600) due uniformly over ``--spread-seconds`` (60 s):
   lateness p50/p95/p99/max;
3. where the time goes: rq's own cost per job (no-op jobs through the same workers); 40 of the
   calibration cases fired by profiled jobs inside real work horses (each horse's first firing
   cold, its second warm, the first one under cProfile); 100 more fired by one batch job in a
   worker, as a peak fires them (``timer_sweep.fire_cases``): wall and CPU time, the garbage
   collector's share and SQL statements per case;
4. scenario A: ``--timers`` cases (default 10,000) all due at the same moment T (chosen from the
   creation rate so that every case exists before T); from T the timer table is polled every
   0.5 s until none of theirs is unfired: total time, rate, lateness, a timeline of rq's scheduled
   and queued jobs. Run last because it may not finish: when ``--budget`` (default 570 s for the
   whole run; 0 = none) is spent it stops waiting and reports how many fired and the rate;
5. the other 60 calibration cases fired one by one in this process (no rq, no fork) with the
   same timing of the parts, and the cost of a bare fork.

Checks reported as problems (never worked around): a timer not fired, fired twice (two
``timer.fired`` audit events for one case), cancelled, a ``timer.failed`` event, a failed rq job,
a traceback, error or warning in a worker log.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PASSWORD,
    REDIS_BASE,
    BenchEnv,
    claimed_redis_db,
    create_bench_app,
    fresh_database,
    load_average,
    percentile,
    rq_workers,
    table,
    workdir,
)

from app import edge  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
TIMER_BPMN = BENCH_DIR / "processes" / "bench_timer.bpmn"
TIMER_PROCESS = "bench_timer"
APPLICANT = "acme"
CALIBRATION_CASES = 200
HORSE_CASES = 40  # of the calibration cases: fired by profiled jobs in work horses, 2 per job
BATCH_CASES = 100  # the next ones: fired by one batch job in a worker, as a peak fires them
POLL = 0.5


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# -- set-up ------------------------------------------------------------------------------------


def prepare(app: Any) -> None:
    """Migrate, add the demo groups and users, deploy the timer benchmark process."""
    from alembic import command

    from app.cli import alembic_config
    from app.services import demo, processes

    database = edge.of(app).database
    with app.app_context():
        command.upgrade(alembic_config(database), "head")
        with database.unit_of_work() as session:
            demo.ensure_groups_and_users(session, PASSWORD)
        with database.unit_of_work() as session:
            deployed = processes.deploy_processes(session, None, [TIMER_BPMN])
            if not any(d.key == TIMER_PROCESS for d in deployed):
                raise RuntimeError(f"{TIMER_PROCESS} was not deployed: {deployed}")


def create_cases(app: Any, dues: list[datetime], batch: int) -> tuple[int, int, float]:
    """Start one case per due time (commit per ``batch``); returns first id, last id, seconds."""
    from sqlalchemy import select

    from app.models import User
    from app.services import cases

    database = edge.of(app).database
    ids: list[int] = []
    t0 = time.perf_counter()
    with app.app_context():
        for start in range(0, len(dues), batch):
            with database.unit_of_work() as session:
                acme = session.scalar(select(User).where(User.username == APPLICANT))
                for due in dues[start : start + batch]:
                    started = cases.start_case(session, acme, TIMER_PROCESS, {"due": due.isoformat()})
                    ids.append(started.case.id)
    elapsed = time.perf_counter() - t0
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise RuntimeError("case ids are not consecutive: another writer on the bench database?")
    return ids[0], ids[-1], elapsed


# -- measuring ---------------------------------------------------------------------------------


class Probe:
    """What the database and Redis say, for one range of case ids."""

    def __init__(self, env: BenchEnv, first: int, last: int) -> None:
        import redis

        settings = edge.of(env.app).settings
        self.engine = edge.of(env.app).database.engine
        self.redis = redis.Redis.from_url(env.redis_url)
        self.queue_key = f"rq:queue:{settings.queue_name}"
        self.scheduled_key = f"rq:scheduled:{settings.queue_name}"
        self.first, self.last = first, last

    def _scalar(self, sql: str) -> Any:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text(sql), {"a": self.first, "b": self.last}).scalar()

    def unfired(self) -> int:
        return int(
            self._scalar(
                "SELECT count(*) FROM timer WHERE kind = 'bpmn' AND fired_at IS NULL"
                " AND cancelled_at IS NULL AND case_id BETWEEN :a AND :b"
            )
        )

    def rq_sizes(self) -> tuple[int, int]:
        pipe = self.redis.pipeline()
        pipe.zcard(self.scheduled_key)
        pipe.llen(self.queue_key)
        scheduled, queued = pipe.execute()
        return int(scheduled), int(queued)

    def rows(self) -> list[tuple[datetime, datetime | None, datetime | None]]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return [
                (r[0], r[1], r[2])
                for r in conn.execute(
                    text(
                        "SELECT due_at, fired_at, cancelled_at FROM timer"
                        " WHERE kind = 'bpmn' AND case_id BETWEEN :a AND :b"
                    ),
                    {"a": self.first, "b": self.last},
                )
            ]

    def problems(self, *, complete: bool = True) -> list[str]:
        """What is wrong with these cases' timers; ``complete=False``: only what is wrong even while
        some are still to fire. One statement, so one snapshot while workers go on firing."""
        from sqlalchemy import text

        in_range = "case_id BETWEEN :a AND :b"
        sql = f"""SELECT
            (SELECT count(*) FROM timer WHERE kind = 'bpmn' AND {in_range}),
            (SELECT count(*) FROM timer WHERE kind = 'bpmn' AND fired_at IS NOT NULL AND {in_range}),
            (SELECT count(*) FROM timer WHERE kind = 'bpmn' AND cancelled_at IS NOT NULL AND {in_range}),
            (SELECT count(*) FROM audit_event WHERE action = 'timer.fired' AND {in_range}),
            (SELECT count(*) FROM (SELECT case_id FROM audit_event WHERE action = 'timer.fired'
                AND {in_range} GROUP BY case_id HAVING count(*) > 1) t),
            (SELECT count(*) FROM audit_event WHERE action = 'timer.failed' AND {in_range}),
            (SELECT count(*) FROM human_task WHERE bpmn_id = 'Task_Review' AND state = 'open'
                AND candidate_group = 'window' AND {in_range})"""
        with self.engine.connect() as conn:
            row = conn.execute(text(sql), {"a": self.first, "b": self.last}).one()
        timers, fired, cancelled, fired_events, twice, failed, tasks = (int(v) for v in row)
        n_cases = self.last - self.first + 1
        expected = n_cases if complete else fired
        found = []
        if timers != n_cases:
            found.append(f"{timers} bpmn timer rows for {n_cases} cases")
        if complete and fired != n_cases:
            found.append(f"{fired} of {n_cases} bpmn timers fired")
        if cancelled:
            found.append(f"{cancelled} bpmn timers cancelled instead of fired")
        if twice:
            found.append(f"{twice} cases with more than one timer.fired audit event (fired twice)")
        if fired_events != expected:
            found.append(
                f"{fired_events} timer.fired audit events for {fired} fired timers ({n_cases} cases)"
            )
        if failed:
            found.append(f"{failed} timer.failed audit events")
        if tasks != expected:
            found.append(f"{tasks} open review tasks for {fired} fired timers ({n_cases} cases)")
        return found

    def close(self) -> None:
        self.redis.close()


def worker_stats(redis_url: str) -> dict[str, tuple[int, int, float]]:
    """Per rq worker: successful jobs, failed jobs, seconds spent inside jobs (rq's own counters)."""
    import redis
    from rq import Worker

    conn = redis.Redis.from_url(redis_url)
    try:
        return {
            w.name: (w.successful_job_count, w.failed_job_count, w.total_working_time)
            for w in Worker.all(connection=conn)
        }
    finally:
        conn.close()


def stats_delta(
    before: dict[str, tuple[int, int, float]], after: dict[str, tuple[int, int, float]]
) -> tuple[int, int, float, list[int]]:
    ok = failed = 0
    working = 0.0
    per_worker = []
    for name, (s, f, w) in after.items():
        s0, f0, w0 = before.get(name, (0, 0, 0.0))
        ok += s - s0
        failed += f - f0
        working += w - w0
        per_worker.append(s - s0)
    return ok, failed, working, sorted(per_worker, reverse=True)


def wait_until_all_fired(
    probe: Probe, start: datetime, deadline: datetime, timeline: list[tuple[float, int, int, int]] | None
) -> float | None:
    """Poll from ``start`` until no timer is unfired; seconds from ``start`` (None: gave up)."""
    sleep_until(start)
    while True:
        now = datetime.now(UTC)
        unfired = probe.unfired()
        if timeline is not None:
            scheduled, queued = probe.rq_sizes()
            timeline.append(((now - start).total_seconds(), unfired, scheduled, queued))
        if unfired == 0:
            return (now - start).total_seconds()
        if now > deadline:
            return None
        time.sleep(POLL)


def sleep_until(at: datetime) -> None:
    while (left := (at - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 1.0))


def lateness(rows: list[tuple[datetime, datetime | None, datetime | None]]) -> list[float]:
    return sorted((fired - due).total_seconds() for due, fired, _ in rows if fired is not None)


def late_row(name: str, values: list[float]) -> list[Any]:
    if not values:
        return [name, 0, "-", "-", "-", "-", "-"]
    return [
        name,
        len(values),
        values[0],
        percentile(values, 50),
        percentile(values, 95),
        percentile(values, 99),
        values[-1],
    ]


# -- where the time goes -----------------------------------------------------------------------


def noop_jobs(env: BenchEnv, n: int, timeout: float) -> tuple[float, int, float] | None:
    """``n`` no-op jobs (``time.time``) through the running workers: seconds, jobs, working time."""
    import redis
    from rq import Queue

    settings = edge.of(env.app).settings
    conn = redis.Redis.from_url(env.redis_url)
    try:
        queue = Queue(settings.queue_name, connection=conn)
        before = worker_stats(env.redis_url)
        t0 = time.perf_counter()
        queue.enqueue_many(
            [Queue.prepare_data("time.time", result_ttl=0, job_id=f"noop-{i}") for i in range(n)]
        )
        while time.perf_counter() - t0 < timeout:
            ok, _failed, working, _ = stats_delta(before, worker_stats(env.redis_url))
            if ok >= n:
                return time.perf_counter() - t0, ok, working
            time.sleep(0.05)
        return None
    finally:
        conn.close()


def fork_cost(samples: int = 30) -> float:
    """Milliseconds for fork + child exit + wait in this process (the app imported and used)."""
    t0 = time.perf_counter()
    for _ in range(samples):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    return (time.perf_counter() - t0) * 1000.0 / samples


PARTS = {
    "total": "total (the job function)",
    "lock": "lock case (1st query: connects)",
    "engine": "engine: load, fire, run, dump",
    "apply": "apply_step: sync rows, schedule",
    "rest": "rest of fire_due (timer queries)",
    "commit": "commit (audit seal under lock)",
}


def timed_firings(app: Any, case_ids: list[int], due: datetime) -> list[dict[str, float]]:
    """Fire the cases' timers one after the other through the job function the worker runs
    (``wake_case``), with the clock moved past ``due``, timing its parts (ms per case)."""
    from app import clock
    from app.jobs import timers as timer_jobs
    from app.services import gateway
    from app.services import timers as timer_service
    from app.services.steps import path as step_path

    current: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                current[name] += (time.perf_counter() - t0) * 1000.0

        return wrapper

    runtime = edge.of(app).platform.runtime
    saved = (step_path.lock, gateway.mirror, timer_service.fire_due, runtime.fire_due_timers)
    step_path.lock = timed("lock", saved[0])  # type: ignore[assignment]
    gateway.mirror = timed("apply", saved[1])  # type: ignore[assignment]
    timer_service.fire_due = timed("fire_due", saved[2])  # type: ignore[assignment]
    runtime.fire_due_timers = timed("engine", saved[3])  # type: ignore[method-assign]
    out = []
    try:
        with app.app_context(), clock.travel_to(due + timedelta(seconds=2)):
            for case_id in case_ids:
                current.clear()
                t0 = time.perf_counter()
                if timer_jobs.wake_case(case_id) != 1:
                    raise RuntimeError(f"firing case {case_id} fired nothing")
                total = (time.perf_counter() - t0) * 1000.0
                inner = current["lock"] + current["engine"] + current["apply"]
                out.append(
                    {
                        "total": total,
                        "lock": current["lock"],
                        "engine": current["engine"],
                        "apply": current["apply"],
                        "rest": current["fire_due"] - inner,
                        "commit": total - current["fire_due"],
                    }
                )
    finally:
        step_path.lock, gateway.mirror, timer_service.fire_due = saved[:3]  # type: ignore[assignment]
        runtime.fire_due_timers = saved[3]  # type: ignore[method-assign]
    return out


def profiled_wake(case_ids: list[int], due_iso: str, out_dir: str) -> None:
    """An rq job, run in a real worker's work horse: fire the cases' timers as ``wake_case`` does
    (clock moved past ``due_iso``), the first one cold (a fresh horse) and profiled, the others
    in the same horse; writes ``<first id>.json`` (parts, ms) and ``<first id>.prof``."""
    import cProfile
    import json

    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    due = datetime.fromisoformat(due_iso)
    profiler = cProfile.Profile()
    profiler.enable()
    cold = timed_firings(app, case_ids[:1], due)
    profiler.disable()
    warm = timed_firings(app, case_ids[1:], due)
    profiler.dump_stats(str(Path(out_dir) / f"{case_ids[0]}.prof"))
    (Path(out_dir) / f"{case_ids[0]}.json").write_text(json.dumps({"cold": cold, "warm": warm}))


def batch_job(case_ids: list[int], due_iso: str, out_dir: str) -> None:
    """An rq job, run in a real worker: fire the cases as a peak's batch job does
    (``timer_sweep.fire_cases``, the clock moved past ``due_iso``), counting its SQL statements,
    its CPU time and the time of the garbage collector's runs; writes ``batch.json``."""
    import gc
    import json

    from sqlalchemy import event

    from app import clock, timer_sweep

    engine = edge.db().engine
    counts = {"statements": 0, "gc": 0.0, "gc_started": 0.0}

    def on_execute(*_args: Any) -> None:
        counts["statements"] += 1

    def on_gc(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            counts["gc_started"] = time.perf_counter()
        else:
            counts["gc"] += time.perf_counter() - counts["gc_started"]

    event.listen(engine, "before_cursor_execute", on_execute)
    gc.callbacks.append(on_gc)
    try:
        with clock.travel_to(datetime.fromisoformat(due_iso) + timedelta(seconds=2)):
            cpu, wall = time.process_time(), time.perf_counter()
            fired = timer_sweep.fire_cases(edge.db(), case_ids)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        gc.callbacks.remove(on_gc)
    result = {
        "fired": fired,
        "wall": wall,
        "cpu": cpu,
        "statements": counts["statements"],
        "gc": counts["gc"],
    }
    (Path(out_dir) / "batch.json").write_text(json.dumps(result))


def worker_batch(
    env: BenchEnv, case_ids: list[int], due: datetime, out_dir: Path, timeout: float = 120
) -> dict[str, float] | None:
    """Run :func:`batch_job` through the running workers; its figures, or None if not in time."""
    import json

    import redis
    from rq import Queue

    out_dir.mkdir(parents=True, exist_ok=True)
    conn = redis.Redis.from_url(env.redis_url)
    try:
        queue = Queue(edge.of(env.app).settings.queue_name, connection=conn)
        queue.enqueue("bench.timers.batch_job", case_ids, due.isoformat(), str(out_dir), result_ttl=0)
        deadline = time.monotonic() + timeout
        while not (out_dir / "batch.json").exists():
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)
    finally:
        conn.close()
    result: dict[str, float] = json.loads((out_dir / "batch.json").read_text())
    return result


def horse_firings(
    env: BenchEnv, case_ids: list[int], due: datetime, out_dir: Path, per_job: int = 2, timeout: float = 120
) -> tuple[list[dict[str, float]], list[dict[str, float]], Any] | None:
    """Run :func:`profiled_wake` as rq jobs through the running workers: (cold parts, warm parts,
    merged profile of the cold firings) or None if they did not finish in time."""
    import json
    import pstats

    import redis
    from rq import Queue

    settings = edge.of(env.app).settings
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks = [case_ids[i : i + per_job] for i in range(0, len(case_ids), per_job)]
    conn = redis.Redis.from_url(env.redis_url)
    try:
        queue = Queue(settings.queue_name, connection=conn)
        for chunk in chunks:
            queue.enqueue(
                "bench.timers.profiled_wake",
                chunk,
                due.isoformat(),
                str(out_dir),
                job_id=f"bench-profile-{chunk[0]}",
                result_ttl=0,
                failure_ttl=3600,
            )
        deadline = time.monotonic() + timeout
        while len(list(out_dir.glob("*.json"))) < len(chunks):
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)
    finally:
        conn.close()
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    for path in sorted(out_dir.glob("*.json")):
        got = json.loads(path.read_text())
        cold += got["cold"]
        warm += got["warm"]
    profiles = sorted(str(p) for p in out_dir.glob("*.prof"))
    merged = pstats.Stats(profiles[0], stream=sys.stdout)
    for extra in profiles[1:]:
        merged.add(extra)
    return cold, warm, merged


def worker_log_problems(env: BenchEnv) -> list[str]:
    found = []
    for path in sorted(env.instance.glob("worker-*.log")):
        text = path.read_text(errors="replace")
        for marker in ("Traceback", "ERROR", "moved to FailedJobRegistry", "WARNING"):
            n = text.count(marker)
            if n:
                line = next(ln for ln in text.splitlines() if marker in ln)
                found.append(f"{path.name}: {n} x {marker!r}, first: {line.strip()[:200]}")
    return found


# -- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--timers", type=int, default=10_000, help="simultaneous timers (scenario A)")
    parser.add_argument("--spread", type=int, default=600, help="timers spread over a minute (scenario B)")
    parser.add_argument("--spread-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200, help="cases created per transaction")
    parser.add_argument("--lead", type=float, default=10.0, help="seconds between creation end and T")
    parser.add_argument("--noop-jobs", type=int, default=1000)
    parser.add_argument(
        "--budget",
        type=float,
        default=570.0,
        help="seconds the whole run may take (0: no limit); scenario A, run last, stops waiting "
        "when it is spent and reports how many fired and the rate",
    )
    parser.add_argument(
        "--redis", default=REDIS_BASE, help="Redis server whose database numbers 1..15 may be claimed"
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    problems: list[str] = []
    print(
        f"bench/timers.py: {args.timers} simultaneous + {args.spread} spread timers, "
        f"{args.workers} rq worker processes (python worker.py), PostgreSQL, {os.cpu_count()} CPUs, "
        f"budget {args.budget:.0f} s; load average {load_average()}",
        flush=True,
    )
    with claimed_redis_db(args.redis) as redis_url, workdir("pf-bench-timers-") as work:
        instance = work / "instance"
        instance.mkdir()
        log(f"Redis {redis_url} claimed")
        with fresh_database("postgresql", work) as url:
            app = create_bench_app(url, instance, redis_url)
            database = edge.of(app).database
            try:
                prepare(app)
                env = BenchEnv("postgresql", app, url, instance, redis_url)
                a, b = run(env, args, problems, started)
            finally:
                database.dispose()
        log("database dropped")
    log(f"Redis rq:* keys deleted, claim released; whole run {time.monotonic() - started:.0f} s")

    print()
    if problems:
        print("PROBLEMS:")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("no problems: every timer fired exactly once, no failed job, clean worker logs")
    print()
    if a["all"]:
        head = f"{args.timers} simultaneous timers fired in {a['total']:.1f} s ({a['rate']:.0f}/s)"
    else:
        head = (
            f"{args.timers} simultaneous timers: only {a['fired']} fired in {a['waited']:.0f} s "
            f"({a['rate']:.1f}/s; all would take ~{args.timers / a['rate']:.0f} s)"
            if a["rate"] > 0
            else f"{args.timers} simultaneous timers: none fired in {a['waited']:.0f} s"
        )
    print(
        f"timers: {head} with {args.workers} workers; lateness p50 {a['p50']:.2f} s, p99 {a['p99']:.2f} s"
        f"{'' if a['all'] else ' (of those fired)'}; spread over {args.spread_seconds:.0f} s: "
        f"p50 {b['p50']:.2f} s, p99 {b['p99']:.2f} s; load average {load_average()}"
    )
    return 1 if problems else 0


RESERVE = 20.0  # seconds kept, after scenario A, for stopping workers, the in-process sample, cleanup


def run(
    env: BenchEnv, args: argparse.Namespace, problems: list[str], started: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    app = env.app

    # 1. calibration: the creation rate (and, later, firing samples)
    calib_due = (datetime.now(UTC) + timedelta(hours=6)).replace(microsecond=0)
    c_first, c_last, c_secs = create_cases(app, [calib_due] * CALIBRATION_CASES, args.batch)
    per_case = c_secs / CALIBRATION_CASES
    log(f"calibration: {CALIBRATION_CASES} cases in {c_secs:.2f} s ({per_case * 1000:.1f} ms per case)")

    with rq_workers(env, args.workers) as workers:
        log(f"{len(workers)} workers up: pids {', '.join(str(w.pid) for w in workers)}")
        b = scenario_spread(env, args, per_case, problems)
        noop = noop_jobs(env, args.noop_jobs, timeout=120)
        if noop is None:
            problems.append(f"{args.noop_jobs} no-op rq jobs did not finish within 120 s")
        horse_ids = list(range(c_first, c_first + HORSE_CASES))
        horse = horse_firings(env, horse_ids, calib_due, env.instance / "profiles")
        if horse is None:
            problems.append("the profiled firing jobs did not finish within 120 s")
        batch_ids = list(range(c_first + HORSE_CASES, c_first + HORSE_CASES + BATCH_CASES))
        batch = worker_batch(env, batch_ids, calib_due, env.instance / "batch")
        if batch is None:
            problems.append("the batch job did not finish within 120 s")
        elif batch["fired"] != BATCH_CASES:
            problems.append(f"the batch job fired {batch['fired']} of {BATCH_CASES} timers")
        log("no-op jobs and profiled firings in work horses done")
        give_up = started + args.budget - RESERVE if args.budget > 0 else float("inf")
        a = scenario_simultaneous(env, args, per_case, problems, give_up)
        log("stopping workers")
    problems.extend(worker_log_problems(env))

    # the other calibration cases fired in this process (no rq, no fork, warm caches)
    in_process = timed_firings(app, list(range(c_first + HORSE_CASES + BATCH_CASES, c_last + 1)), calib_due)[
        1:
    ]
    fork_ms = fork_cost()

    print("\nlateness = fired_at - due_at (s)", flush=True)
    print(
        table(
            ["timers", "n", "min", "p50", "p95", "p99", "max"],
            [
                late_row(f"A: {args.timers} due at once" + ("" if a["all"] else ", fired ones"), a["late"]),
                late_row(f"B: {args.spread} over {args.spread_seconds:.0f} s", b["late"]),
            ],
        )
    )

    w = args.workers
    print("\nscenario A: throughput", flush=True)
    window = a["window"]
    print(
        table(
            ["what", "value", "note"],
            [
                [
                    "creating the cases",
                    f"{a['create_secs']:.1f} s",
                    f"{args.timers / a['create_secs']:.0f} cases/s in one process (informative)",
                ],
                [
                    "T -> every timer fired",
                    f"{a['total']:.1f} s" if a["all"] else f"not all: gave up at {a['waited']:.0f} s",
                    "by polling the timer table every 0.5 s",
                ],
                ["T -> first / last fired_at", f"{a['first']:.2f} / {a['last']:.2f} s", ""],
                ["timers fired", f"{a['fired']} of {args.timers}", ""],
                ["firing rate", f"{a['rate']:.1f}/s", "fired / (last fired_at - T)"],
                ["rq jobs ok / failed", f"{a['ok']} / {a['failed']}", "per worker: " + a["per_worker"]],
                [
                    "wall time per job and worker",
                    f"{w * window * 1000 / max(a['fired'], 1):.0f} ms",
                    f"{w} workers x (last - first fired_at) / fired",
                ],
                [
                    "time inside each job",
                    f"{a['working'] * 1000 / max(a['ok'], 1):.0f} ms",
                    "rq's own counter: the job function in the work horse",
                ],
                ["CPU busy, T -> end", f"{a['cpu']:.0f} %", f"all {os.cpu_count()} CPUs of the machine"],
            ],
        )
    )

    print("\nwhere the time goes", flush=True)
    rows: list[list[Any]] = []
    if noop is not None:
        n_secs, n_ok, n_working = noop
        rows.append(
            [
                "rq, per no-op job and worker",
                f"{w * n_secs * 1000 / n_ok:.1f} ms",
                f"{n_ok} time.time jobs: {n_ok / n_secs:.0f} jobs/s with {w} workers "
                f"(dequeue, fork a horse, bookkeeping; {n_working * 1000 / n_ok:.1f} ms inside)",
            ]
        )
    rows.append(["fork + exit + wait", f"{fork_ms:.1f} ms", "this process, the app loaded"])
    if batch is not None and batch["fired"]:
        n = batch["fired"]
        rows.append(
            [
                f"a batch job of {n} cases, per case",
                f"{batch['wall'] * 1000 / n:.2f} ms",
                f"the peak's path (timer_sweep.fire_cases) in a worker: CPU {batch['cpu'] * 1000 / n:.2f} ms "
                f"(garbage collector {batch['gc'] * 1000 / n:.2f} ms), {batch['statements'] / n:.2f} SQL "
                "statements a case",
            ]
        )
    print(table(["part", "per job", "note"], rows))

    def p50(samples: list[dict[str, float]], key: str) -> str:
        return f"{percentile(sorted(x[key] for x in samples), 50):.1f}" if samples else "-"

    cold, warm, profile = horse if horse is not None else ([], [], None)
    print(
        f"\none firing of the job function wake_case, p50 ms: in this process (warm, {len(in_process)} "
        f"cases); in a work horse as its first firing (cold, {len(cold)}); a second firing in the same "
        f"horse (warm, {len(warm)})",
        flush=True,
    )
    print(
        table(
            ["part", "in-process", "horse cold", "horse warm"],
            [[label, p50(in_process, key), p50(cold, key), p50(warm, key)] for key, label in PARTS.items()],
        ),
        flush=True,
    )
    if profile is not None and cold:
        print(f"\ninside the {len(cold)} cold firings (cProfile, cumulative ms per firing)", flush=True)
        print(table(["what", "ms"], profile_buckets(profile, len(cold))), flush=True)
    print(f"\ncreating one case: {per_case * 1000:.1f} ms (calibration, one process)", flush=True)
    return a, b


PROFILE_BUCKETS: list[tuple[str, str, str]] = [
    (
        "SQLAlchemy: compiling statements (cache per process)",
        "sqlalchemy/sql/elements.py",
        "_compile_w_cache",
    ),
    ("psycopg: connecting to PostgreSQL", "psycopg/connection.py", "connect"),
    ("psycopg: waiting for query results", "psycopg/connection.py", "wait"),
    ("SpiffWorkflow: spec from JSON (cache per process)", "app/engine/specs.py", "spec_from_json"),
    ("Python imports", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("whole job function (wake_case)", "app/jobs/timers.py", "wake_case"),
]


def profile_buckets(profile: Any, n: int) -> list[list[Any]]:
    rows = []
    for label, file_part, func in PROFILE_BUCKETS:
        cumulative = sum(
            value[3]
            for (filename, _line, name), value in profile.stats.items()
            if name == func and file_part in filename
        )
        rows.append([label, f"{cumulative * 1000 / n:.1f}"])
    return rows


def scenario_spread(
    env: BenchEnv, args: argparse.Namespace, per_case: float, problems: list[str]
) -> dict[str, Any]:
    """Scenario B: ``--spread`` timers due uniformly over ``--spread-seconds``."""
    estimate = args.spread * per_case * 1.5 + args.lead
    t0 = (datetime.now(UTC) + timedelta(seconds=estimate)).replace(microsecond=0) + timedelta(seconds=1)
    dues = [t0 + timedelta(seconds=i * args.spread_seconds / args.spread) for i in range(args.spread)]
    log(f"scenario B: creating {args.spread} cases due from {t0:%H:%M:%S} over {args.spread_seconds:.0f} s")
    first, last, secs = create_cases(env.app, dues, args.batch)
    margin = (t0 - datetime.now(UTC)).total_seconds()
    if margin < 0:
        problems.append(f"scenario B: creating the cases overran the first due time by {-margin:.1f} s")
    probe = Probe(env, first, last)
    before = worker_stats(env.redis_url)
    waited = wait_until_all_fired(probe, dues[-1], dues[-1] + timedelta(seconds=120), None)
    ok, failed, working, _ = stats_delta(before, worker_stats(env.redis_url))
    late = lateness(probe.rows())
    if waited is None:
        problems.append(f"scenario B: {probe.unfired()} timers unfired 120 s after the last due time")
    problems.extend(f"scenario B: {p}" for p in probe.problems())
    if failed:
        problems.append(f"scenario B: {failed} rq jobs failed")
    probe.close()
    log(
        f"scenario B: created in {secs:.1f} s; every timer fired {waited} s after the last due time; "
        f"{ok} jobs, {working * 1000 / max(ok, 1):.0f} ms inside each"
    )
    return {
        "late": late,
        "p50": percentile(late, 50) if late else float("nan"),
        "p99": percentile(late, 99) if late else float("nan"),
    }


def scenario_simultaneous(
    env: BenchEnv, args: argparse.Namespace, per_case: float, problems: list[str], give_up: float
) -> dict[str, Any]:
    """Scenario A: ``--timers`` timers all due at the same moment T."""
    import psutil

    estimate = args.timers * per_case * 1.25 + args.lead
    T = (datetime.now(UTC) + timedelta(seconds=estimate)).replace(microsecond=0) + timedelta(seconds=1)
    log(f"scenario A: creating {args.timers} cases due at T = {T:%H:%M:%S} (in {estimate:.0f} s)")
    first, last, secs = create_cases(env.app, [T] * args.timers, args.batch)
    margin = (T - datetime.now(UTC)).total_seconds()
    log(
        f"created in {secs:.1f} s ({secs * 1000 / args.timers:.1f} ms per case, "
        f"{args.timers / secs:.0f}/s); T is {margin:.1f} s away"
    )
    if margin < 0:
        problems.append(f"scenario A: creating the cases overran T by {-margin:.1f} s")
    probe = Probe(env, first, last)
    scheduled, queued = probe.rq_sizes()
    log(f"rq before T: {scheduled} jobs scheduled, {queued} queued")
    before = worker_stats(env.redis_url)
    timeline: list[tuple[float, int, int, int]] = []
    deadline = T + timedelta(seconds=min(max(give_up - time.monotonic() - margin, 0.0), 86_400.0))
    sleep_until(T)
    psutil.cpu_percent()
    total = wait_until_all_fired(probe, T, deadline, timeline)
    cpu = psutil.cpu_percent()
    waited = (datetime.now(UTC) - T).total_seconds()
    ok, failed, working, per_worker = stats_delta(before, worker_stats(env.redis_url))
    rows = probe.rows()
    late = lateness(rows)
    fired = [f for _, f, _ in rows if f is not None]
    if total is None:
        left = len(rows) - len(fired)
        problems.append(
            f"scenario A: {left} of {args.timers} timers still unfired when the budget ran out, "
            f"{waited:.0f} s after T (a throughput limit, see below; not a lost timer)"
        )
    problems.extend(f"scenario A: {p}" for p in probe.problems(complete=total is not None))
    if failed:
        problems.append(f"scenario A: {failed} rq jobs failed")
    probe.close()
    first_fired = (min(fired) - T).total_seconds() if fired else float("nan")
    last_fired = (max(fired) - T).total_seconds() if fired else float("nan")
    log(
        f"scenario A: {len(fired)} fired; fired_at from T: first {first_fired:.2f} s, "
        f"last {last_fired:.2f} s;"
        f" load average {load_average()}"
    )

    print("\nscenario A timeline (s after T: timers unfired, rq jobs scheduled, rq jobs queued)", flush=True)
    step = max(1, len(timeline) // 25)
    sample = timeline[::step] + ([timeline[-1]] if (len(timeline) - 1) % step else [])
    print(
        table(["t (s)", "unfired", "scheduled", "queued"], [[f"{t:.1f}", u, s, q] for t, u, s, q in sample]),
        flush=True,
    )
    span = last_fired if total is not None else waited
    return {
        "all": total is not None,
        "total": total,
        "waited": waited,
        "fired": len(fired),
        "first": first_fired,
        "last": last_fired,
        "window": (max(fired) - min(fired)).total_seconds() if len(fired) > 1 else float("nan"),
        "rate": len(fired) / span if fired and span > 0 else 0.0,
        "late": late,
        "p50": percentile(late, 50) if late else float("nan"),
        "p99": percentile(late, 99) if late else float("nan"),
        "ok": ok,
        "failed": failed,
        "working": working,
        "per_worker": ", ".join(map(str, per_worker)),
        "cpu": cpu,
        "create_secs": secs,
    }


if __name__ == "__main__":
    raise SystemExit(main())
