"""Helpers the benchmark scripts share: fresh databases, a ready app, API clients, statistics.

Every benchmark runs on a database of its own, created for the run and removed at the end:

* SQLite: a file in a temporary folder (removed with the folder);
* PostgreSQL: a new database on ``PERMITFLOW_BENCH_PG`` (default
  ``postgresql://postgres@127.0.0.1:5432/postgres``, trust auth), dropped ``WITH (FORCE)``.

The app is built with ``create_app({...})`` exactly as the tests build it, migrated with Alembic,
given the demo groups and users, and has the common benchmark process
(``../shared/bench/bench_parallel_approval.bpmn``, forms beside it) deployed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED_BENCH = ROOT.parent / "shared" / "bench"
BENCH_BPMN = SHARED_BENCH / "bench_parallel_approval.bpmn"
BENCH_PROCESS = "bench_parallel_approval"
PASSWORD = "bench-pass"
SECRET_KEY = "bench-secret-key-not-for-production"
PG_ADMIN_DSN = os.environ.get("PERMITFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")

# The bench process: its five user tasks in the order one case meets them, the group that does
# each (a candidate_groups expression in the BPMN), the demo user in that group, and valid form data.
APPLICANT = "acme"
TASK_ORDER = ["submit", "planning_review", "fire_review", "env_review", "decision"]
TASK_GROUP = {
    "submit": "window",
    "planning_review": "planning",
    "fire_review": "fire",
    "env_review": "environment",
    "decision": "construction",
}
GROUP_USER = {
    "window": "clerk",
    "planning": "planner",
    "fire": "fire_officer",
    "environment": "env_officer",
    "construction": "permit_officer",
}
TASK_DATA: dict[str, dict[str, Any]] = {
    "submit": {"applicant": "Acme Build Ltd", "site_address": "1 Lakeside Road", "floor_area_m2": 4560.5},
    "planning_review": {"planning_decision": "approve", "planning_comment": "conforms to the plan"},
    "fire_review": {"fire_decision": "approve", "fire_comment": "exits and hydrants fine"},
    "env_review": {"env_decision": "approve", "env_comment": "no objection"},
    "decision": {"final_decision": "approve", "final_comment": "permit granted"},
}


def start_data(i: int) -> dict[str, Any]:
    return {"reference": f"BENCH-{i:06d}"}


# -- statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p95: float
    mean: float
    min: float
    max: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Summary:
        if not samples_ms:
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
        ordered = sorted(samples_ms)
        return cls(
            n=len(ordered),
            p50=percentile(ordered, 50),
            p95=percentile(ordered, 95),
            mean=statistics.fmean(ordered),
            min=ordered[0],
            max=ordered[-1],
        )


def percentile(ordered: list[float], pct: float) -> float:
    """Linear-interpolated percentile of an already sorted list."""
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


# -- databases ---------------------------------------------------------------------------------


def _pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """A SQLAlchemy URL of a brand-new, empty database; removed afterwards."""
    if backend == "sqlite":
        folder = workdir / "sqlite"
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'permitflow.db'}"
        return  # the folder goes with workdir
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    import psycopg

    name = f"pf_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def workdir(prefix: str = "pf-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class BenchEnv:
    """A built app on a prepared database, with what a gunicorn server needs to share it."""

    backend: str
    app: Any
    database_url: str
    instance: Path
    redis_url: str

    def server_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            PERMITFLOW_INSTANCE=str(self.instance),
            SECRET_KEY=SECRET_KEY,
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env


def create_bench_app(database_url: str, instance: Path, redis_url: str = "", **extra: Any) -> Any:
    from app import create_app

    overrides: dict[str, Any] = {
        "database_url": database_url,
        "instance_path": str(instance),
        "secret_key": SECRET_KEY,
        **extra,
    }
    if redis_url:
        overrides["redis_url"] = redis_url
    return create_app(overrides)


def prepare(app: Any, *, bpmn_paths: list[Path] | None = None) -> None:
    """Migrate, add the demo groups and users, deploy the benchmark process."""
    from alembic import command

    from app.cli import alembic_config
    from app.services import demo, processes

    database = app.extensions["permitflow.db"]
    with app.app_context():
        command.upgrade(alembic_config(database), "head")
        with database.unit_of_work() as session:
            demo.ensure_groups_and_users(session, PASSWORD)
        with database.unit_of_work() as session:
            deployed = processes.deploy_processes(session, None, bpmn_paths or [BENCH_BPMN])
            if not any(d.key == BENCH_PROCESS for d in deployed):
                raise RuntimeError(f"{BENCH_PROCESS} was not deployed: {deployed}")


@contextmanager
def bench_env(backend: str, *, redis_url: str = "", **extra: Any) -> Iterator[BenchEnv]:
    """A fresh database of ``backend``, migrated, with demo users and the bench process deployed."""
    with workdir(f"pf-bench-{backend}-") as work:
        instance = work / "instance"
        instance.mkdir()
        with fresh_database(backend, work) as url:
            app = create_bench_app(url, instance, redis_url, **extra)
            database = app.extensions["permitflow.db"]
            try:
                prepare(app)
                yield BenchEnv(backend, app, url, instance, redis_url)
            finally:
                database.dispose()


# -- API clients -------------------------------------------------------------------------------


class Api:
    """The HTTP API as a set of users see it, through Flask's test client (in-process WSGI)
    or through ``requests`` against a real server. Tokens are fetched once per user."""

    def __init__(self, *, app: Any = None, base_url: str | None = None) -> None:
        if (app is None) == (base_url is None):
            raise ValueError("give exactly one of app, base_url")
        self.tokens: dict[str, str] = {}
        if app is not None:
            self.kind = "in-process WSGI"
            self._client = app.test_client()
            self._requests = None
        else:
            import requests

            self.kind = "HTTP"
            self._client = None
            self._requests = requests.Session()
            self.base_url = str(base_url).rstrip("/")

    def _send(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if self._client is not None:
            response = self._client.open(path, method=method, headers=headers, json=body)
            return response.status_code, response.get_json(silent=True)
        assert self._requests is not None
        response = self._requests.request(method, self.base_url + path, headers=headers, json=body)
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        return response.status_code, payload

    def token(self, username: str) -> str:
        if username not in self.tokens:
            status, body = self._send(
                "POST", "/api/v1/auth/token", {}, {"username": username, "password": PASSWORD}
            )
            if status != 200:
                raise RuntimeError(f"token for {username}: {status} {body}")
            self.tokens[username] = body["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None = None, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        return self._send(method, path, headers, body)

    def expect(
        self, method: str, path: str, user: str | None = None, body: Any = None, status: int = 200
    ) -> Any:
        got, payload = self.call(method, path, user, body)
        if got != status:
            raise RuntimeError(f"{method} {path} as {user}: expected {status}, got {got}: {payload}")
        return payload

    def close(self) -> None:
        if self._requests is not None:
            self._requests.close()


def start_case(api: Api, i: int) -> str:
    created = api.expect(
        "POST", "/api/v1/cases", APPLICANT, {"process": BENCH_PROCESS, "data": start_data(i)}, status=201
    )
    return str(created["number"])


def open_task_id(api: Api, number: str, group: str) -> int:
    """The id of the case's open task for ``group``, found as that group's demo user would."""
    user = GROUP_USER[group]
    page = api.expect("GET", f"/api/v1/tasks?q={number}&per_page=100", user)
    ids = [t["id"] for t in page["items"] if t["case_number"] == number and t.get("group") == group]
    if len(ids) != 1:
        raise RuntimeError(f"case {number}: expected one open {group} task, found {page['items']}")
    return int(ids[0])


def run_case_via_api(
    api: Api,
    i: int,
    *,
    timed: Callable[[Callable[[], Any]], Any] | None = None,
    on_sample: Callable[[str, float], None] | None = None,
    on_start: Callable[[float], None] | None = None,
) -> str:
    """Start one case as the applicant and complete its five tasks as their groups' users.

    Only the ``POST /tasks/{id}/complete`` calls are timed (``on_sample(bpmn_id, ms)``);
    ``timed`` wraps each of those calls (e.g. to switch a profiler on around it). The case's
    ``POST /cases`` is reported apart (``on_start(ms)``).
    """
    api.token(APPLICANT)
    t0 = time.perf_counter()
    number = start_case(api, i)
    if on_start is not None:
        on_start((time.perf_counter() - t0) * 1000.0)
    for bpmn_id in TASK_ORDER:
        group = TASK_GROUP[bpmn_id]
        task_id = open_task_id(api, number, group)
        body = {"data": TASK_DATA[bpmn_id]}
        user = GROUP_USER[group]
        api.token(user)  # never inside the timed section

        def call(task_id: int = task_id, body: dict[str, Any] = body, user: str = user) -> Any:
            return api.call("POST", f"/api/v1/tasks/{task_id}/complete", user, body)

        t0 = time.perf_counter()
        status, payload = timed(call) if timed is not None else call()
        elapsed = (time.perf_counter() - t0) * 1000.0
        if status != 200:
            raise RuntimeError(f"complete {bpmn_id} of {number}: {status} {payload}")
        if on_sample is not None:
            on_sample(bpmn_id, elapsed)
    return number


# -- a real server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn_server(env: BenchEnv, *, workers: int = 2, threads: int = 1) -> Iterator[str]:
    """gunicorn serving ``wsgi:app`` on 127.0.0.1 against ``env``'s database; stopped afterwards."""
    port = free_port()
    log = env.instance / f"gunicorn-{port}.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env.server_env(), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc, log)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            response = requests.get(base + "/api/v1/openapi.json", timeout=2)
            if response.status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{log.read_text(errors='replace')}")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
