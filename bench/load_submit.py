"""500 permit applications from 500 concurrent clients, against the platform started as in
production: gunicorn serving wsgi:app on a fresh PostgreSQL database created for the run, Redis (a
database number claimed for the run), and one ``worker.py``.

Each client is its own applicant account (created beforehand, untimed). It logs in for a token
(timed apart), waits until every client has its token, then all submit `POST /api/v1/cases` at the
same moment. Printed: errors (must be 0), cases stored (counted in the database, must be 500), the
submission latency p50/p95/max, throughput; the last line is the key figure. Everything it started
is stopped and its database dropped at the end.

    .venv/bin/python bench/load_submit.py [--clients 500] [--workers N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402 - the bench folder is put on the path first
    PASSWORD,
    PERMIT_PROCESS,
    REDIS_BASE,
    Summary,
    bench_env,
    claimed_redis_db,
    default_workers,
    gunicorn_server,
    load_average,
    permit_start_data,
    rq_workers,
    table,
)

from app import edge  # noqa: E402

USERNAME = "load_applicant_{:04d}"


def create_applicants(env: Any, count: int) -> list[str]:
    """``count`` citizen applicant accounts (one argon2 hash shared: hashing 500 times would only
    slow the set-up, and every account has the same password)."""
    from app import clock
    from app.models import User, UserKind
    from app.services.auth import hash_password

    digest = hash_password(PASSWORD)
    names = [USERNAME.format(i) for i in range(count)]
    with edge.of(env.app).database.unit_of_work() as session:
        now = clock.now()
        for i, name in enumerate(names):
            session.add(
                User(
                    username=name,
                    display_name=f"负载测试申请人{i:04d}",
                    password_hash=digest,
                    kind=UserKind.APPLICANT,
                    phone=f"139{i:08d}",
                    email=f"{name}@example.com",
                    is_active=True,
                    token_version=1,
                    created_at=now,
                )
            )
    return names


def _post(conn: http.client.HTTPConnection, path: str, body: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.will_close:
        conn.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, data[:300]


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by the load clients (this process), the gunicorn processes, the
    ``worker.py`` processes, every ``postgres`` process of the machine (shared with whoever else
    uses that server) and the whole machine (all CPUs, busy time)."""
    import psutil

    def used(proc: psutil.Process) -> float:
        try:
            times = proc.cpu_times()
            return float(times.user + times.system)
        except psutil.Error:
            return 0.0

    me = psutil.Process()
    out = {"clients": used(me), "gunicorn": 0.0, "worker.py": 0.0, "postgres": 0.0}
    for child in me.children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
        except psutil.Error:
            continue
        key = "gunicorn" if "gunicorn" in cmd else "worker.py" if "worker.py" in cmd else None
        if key:
            out[key] += used(child)
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == "postgres":
            out["postgres"] += used(proc)
    machine = psutil.cpu_times()
    out["machine"] = float(machine.user + machine.system + machine.nice + getattr(machine, "irq", 0.0))
    out["machine"] += float(getattr(machine, "softirq", 0.0))
    return out


def run_clients(base_url: str, usernames: list[str]) -> dict[str, Any]:
    """One thread per client: token, then (all together) one submission. Latencies in ms."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    count = len(usernames)
    barrier = threading.Barrier(count + 1)
    login_ms: list[float] = [0.0] * count
    submit_ms: list[float] = [0.0] * count
    numbers: list[str | None] = [None] * count
    errors: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        token = None
        try:
            conn = http.client.HTTPConnection(host, port, timeout=300)
            t0 = time.perf_counter()
            status, body = _post(
                conn, "/api/v1/auth/token", {"username": usernames[i], "password": PASSWORD}, None
            )
            login_ms[i] = (time.perf_counter() - t0) * 1000.0
            if status == 200:
                token = body["token"]
            else:
                with lock:
                    errors.append(f"token {usernames[i]}: {status} {body}")
        except (OSError, http.client.HTTPException) as err:
            with lock:
                errors.append(f"token {usernames[i]}: {err!r}")
        barrier.wait()
        if token is None:
            return
        try:
            conn = http.client.HTTPConnection(host, port, timeout=300)
            payload = {"process": PERMIT_PROCESS, "data": permit_start_data(i)}
            t0 = time.perf_counter()
            status, body = _post(conn, "/api/v1/cases", payload, token)
            submit_ms[i] = (time.perf_counter() - t0) * 1000.0
            conn.close()
            if status == 201:
                numbers[i] = body["number"]
            else:
                with lock:
                    errors.append(f"submit {usernames[i]}: {status} {body}")
        except (OSError, http.client.HTTPException) as err:
            with lock:
                errors.append(f"submit {usernames[i]}: {err!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()  # every client has its token (or failed): go
    t0 = time.perf_counter()
    cpu0 = cpu_seconds()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - t0
    cpu1 = cpu_seconds()
    return {
        "login_ms": login_ms,
        "submit_ms": [ms for ms, n in zip(submit_ms, numbers, strict=True) if n is not None],
        "numbers": [n for n in numbers if n is not None],
        "errors": errors,
        "seconds": seconds,
        "cpu": {key: cpu1[key] - cpu0[key] for key in cpu0},
    }


def stored_cases(env: Any) -> tuple[int, int]:
    """Permit cases in the database, and how many of them have their first task open."""
    from sqlalchemy import func, select

    from app.models import Case, HumanTask, TaskState

    with edge.of(env.app).database.unit_of_work() as session:
        cases = session.scalar(
            select(func.count()).select_from(Case).where(Case.process_key == PERMIT_PROCESS)
        )
        waiting = session.scalar(
            select(func.count(func.distinct(HumanTask.case_id))).where(
                HumanTask.process_key == PERMIT_PROCESS, HumanTask.state == TaskState.OPEN
            )
        )
    return int(cases or 0), int(waiting or 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--workers", type=int, default=default_workers(), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    parser.add_argument(
        "--redis", default=REDIS_BASE, help="Redis server whose database numbers 1..15 may be claimed"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with (
        claimed_redis_db(args.redis) as redis_url,
        bench_env("postgresql", redis_url=redis_url, shipped_processes=True) as env,
    ):
        usernames = create_applicants(env, args.clients)
        print(f"PostgreSQL database and {args.clients} applicant accounts ready; load {load_average()}")
        with (
            rq_workers(env, 1),
            gunicorn_server(env, workers=args.workers, threads=args.threads) as base,
        ):
            print(
                f"gunicorn -w {args.workers} --threads {args.threads} at {base}, one worker.py; "
                f"{args.clients} clients"
            )
            result = run_clients(base, usernames)
        cases, waiting = stored_cases(env)
    submit = Summary.of(result["submit_ms"])
    login = Summary.of(result["login_ms"])
    print()
    print(
        table(
            ["phase", "n", "p50 ms", "p95 ms", "max ms"],
            [
                ["log in (token)", login.n, login.p50, login.p95, login.max],
                ["submit application", submit.n, submit.p50, submit.p95, submit.max],
            ],
        )
    )
    n = max(len(result["numbers"]), 1)
    print()
    print(
        table(
            ["CPU during the submissions", "seconds", "ms per submission"],
            [[key, f"{v:.2f}", f"{v * 1000 / n:.1f}"] for key, v in result["cpu"].items()],
        )
    )
    print()
    for line in result["errors"][:5]:
        print("error:", line)
    print(f"errors: {len(result['errors'])}")
    print(f"cases stored: {cases} (of them waiting at their first task: {waiting})")
    print(
        f"submissions: {len(result['numbers'])} in {result['seconds']:.2f} s "
        f"({len(result['numbers']) / result['seconds']:.1f}/s); load {load_average()}"
    )
    print(f"whole run: {time.perf_counter() - started:.1f} s")
    print(
        f"{args.clients} concurrent permit submissions: errors {len(result['errors'])}, "
        f"cases stored {cases}, p50 {submit.p50:.0f} ms, p95 {submit.p95:.0f} ms"
    )
    if result["errors"] or cases != args.clients:
        sys.exit(1)


if __name__ == "__main__":
    main()
