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
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import edge

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


# The shipped construction permit (with its called parallel_review): the steps of one case from
# acceptance to an approved permit, ``loops`` correction rounds first, as (bpmn id, user, data).
PERMIT_PROCESS = "construction_permit"


def permit_start_data(i: int) -> dict[str, Any]:
    from app.services.demo import permit_application

    return permit_application(f"基准测试项目{i:06d}")


def permit_steps(loops: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    approve = {"decision": "approve"}
    correction = [
        ("Task_Acceptance", "clerk", {"decision": "correct", "correction_items": ["施工合同缺少签章页"]}),
        ("Task_Correction", APPLICANT, {"response": "已补充签章页"}),
    ]
    return correction * loops + [
        ("Task_Acceptance", "clerk", {"decision": "accept"}),
        ("Task_PlanningReview", "planner", approve),
        ("Task_FireReview", "fire_officer", approve),
        ("Task_EnvironmentReview", "env_officer", approve),
        ("Task_Decision", "permit_officer", {"decision": "approve", "permit_valid_until": "2028-12-31"}),
    ]


def bench_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [(b, GROUP_USER[TASK_GROUP[b]], TASK_DATA[b]) for b in TASK_ORDER]


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


def prepare(
    app: Any, *, bpmn_paths: list[Path] | None = None, shipped: bool = False, with_shipped: bool = False
) -> None:
    """Migrate, add the demo groups and users, deploy the benchmark process (or, with
    ``shipped=True``, the processes shipped in ``processes/``, as ``flask deploy`` does; with
    ``with_shipped=True`` both)."""
    from alembic import command

    from app.cli import alembic_config
    from app.services import demo, processes

    database = edge.of(app).database
    with app.app_context():
        command.upgrade(alembic_config(database), "head")
        with database.unit_of_work() as session:
            demo.ensure_groups_and_users(session, PASSWORD)
        with database.unit_of_work() as session:
            if shipped:
                deployed = processes.deploy_processes(session, None)
                if not deployed:
                    raise RuntimeError("no shipped process was deployed")
                return
            deployed = processes.deploy_processes(session, None, bpmn_paths or [BENCH_BPMN])
            if not any(d.key == BENCH_PROCESS for d in deployed):
                raise RuntimeError(f"{BENCH_PROCESS} was not deployed: {deployed}")
        if with_shipped:
            with database.unit_of_work() as session:
                if not processes.deploy_processes(session, None):
                    raise RuntimeError("no shipped process was deployed")


@contextmanager
def bench_env(
    backend: str,
    *,
    redis_url: str = "",
    shipped_processes: bool = False,
    with_shipped: bool = False,
    **extra: Any,
) -> Iterator[BenchEnv]:
    """A fresh database of ``backend``, migrated, with demo users and the bench process deployed
    (``shipped_processes=True``: the processes of ``processes/`` instead; ``with_shipped=True``:
    both)."""
    with workdir(f"pf-bench-{backend}-") as work:
        instance = work / "instance"
        instance.mkdir()
        with fresh_database(backend, work) as url:
            app = create_bench_app(url, instance, redis_url, **extra)
            database = edge.of(app).database
            try:
                prepare(app, shipped=shipped_processes, with_shipped=with_shipped)
                yield BenchEnv(backend, app, url, instance, redis_url)
            finally:
                database.dispose()


# -- API clients -------------------------------------------------------------------------------


class SqlRecorder:
    """Counts (and, while ``capture`` is set, keeps) the SQL statements an engine sends while
    ``active``. In-process runs only: a gunicorn worker has an engine of its own."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        self.active = False
        self.capture = False
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if self.active:
            self.count += 1
            if self.capture:
                self.statements.append((statement, parameters))

    @contextmanager
    def recording(self, *, capture: bool = False) -> Iterator[SqlRecorder]:
        self.count, self.active, self.capture = 0, True, capture
        self.statements = []
        try:
            yield self
        finally:
            self.active = self.capture = False


_CSRF_FIELD = 'name="csrf_token" value="'


def page_client(app: Any, username: str, password: str = PASSWORD, language: str = "en") -> Any:
    """A Flask test client logged in to the pages like a browser: GET /login for the form's CSRF
    token, then POST the form (as tests/web/conftest.py does)."""
    client = app.test_client()
    if language:
        client.set_cookie("lang", language)
    html = client.get("/login").get_data(as_text=True)
    start = html.find(_CSRF_FIELD)
    if start < 0:
        raise RuntimeError("no CSRF token on /login")
    start += len(_CSRF_FIELD)
    token = html[start : html.index('"', start)]
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(
            f"login as {username}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        )
    return client


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


# -- Redis and rq workers ----------------------------------------------------------------------

REDIS_BASE = os.environ.get("PERMITFLOW_BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_CLAIM_KEY = "permitflow:test-run"  # the same claim the test suite makes (tests/conftest.py)


def clear_rq(redis_url: str) -> int:
    """Delete every ``rq:*`` key of ``redis_url``'s database (nothing else). Returns how many."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter("rq:*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])
        return len(keys)
    finally:
        client.close()


@contextmanager
def claimed_redis_db(base: str = REDIS_BASE) -> Iterator[str]:
    """The URL of a Redis database number 1..15 that no test run or benchmark is using, claimed
    with ``SET permitflow:test-run <id> NX`` as the tests do. Afterwards its ``rq:*`` keys are
    deleted and the claim released (only if still ours); the database is never flushed."""
    import redis

    run_id = f"bench-{uuid.uuid4().hex[:10]}"
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{base}/{number}")
        try:
            if client.set(REDIS_CLAIM_KEY, run_id, nx=True, ex=3 * 3600):
                break
        finally:
            client.close()
    else:
        raise RuntimeError("no free Redis database number (1..15) for this benchmark")
    url = f"{base}/{number}"
    try:
        clear_rq(url)
        yield url
    finally:
        clear_rq(url)
        client = redis.Redis.from_url(url)
        try:
            if client.get(REDIS_CLAIM_KEY) == run_id.encode():
                client.delete(REDIS_CLAIM_KEY)
        finally:
            client.close()


def kill_tree(pid: int, timeout: float = 10.0) -> None:
    """SIGKILL a process and everything under it. rq's work horse runs in a session of its own,
    so killing the process group would leave it running: each child is killed by its pid."""
    import contextlib

    import psutil

    try:
        parent = psutil.Process(pid)
        victims = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for proc in victims:  # the parent first, so that it cannot start a new horse meanwhile
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(victims, timeout=timeout)


class RqWorker:
    """``python worker.py`` (an rq worker with its scheduler) on the database and Redis of
    ``env``, in a process group of its own, its output in ``<instance>/<name>.log``."""

    def __init__(self, env: BenchEnv, name: str, *, extra_env: dict[str, str] | None = None) -> None:
        if not env.redis_url:
            raise ValueError("a worker needs the bench's REDIS_URL")
        self.name = name
        self.log = env.instance / f"{name}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT,
            env={**env.server_env(), **(extra_env or {})},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """rq's warm shutdown (SIGTERM); the whole tree is killed if it has not exited in time."""
        import contextlib

        import psutil

        children: list[psutil.Process] = []
        if self.process.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                children = psutil.Process(self.process.pid).children(recursive=True)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_tree(self.process.pid)
                self.process.wait(timeout=10)
        # A horse or scheduler the parent left behind (each runs in a session of its own);
        # psutil checks each one's start time, so a reused pid is never hit.
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.send_signal(signal.SIGKILL)
        psutil.wait_procs(children, timeout=10)
        self._log_file.close()


@contextmanager
def rq_workers(env: BenchEnv, count: int, *, timeout: float = 60.0) -> Iterator[list[RqWorker]]:
    """``count`` worker processes, up (registered with rq, a scheduler holding its lock) before
    this yields; stopped (or killed, with their horses and scheduler) afterwards."""
    import redis

    workers: list[RqWorker] = []
    try:
        for i in range(count):
            workers.append(RqWorker(env, f"worker-{i + 1}"))
        client = redis.Redis.from_url(env.redis_url)
        try:
            deadline = time.monotonic() + timeout
            while True:
                dead = [w for w in workers if not w.alive()]
                if dead:
                    raise RuntimeError(
                        f"{dead[0].name} exited with {dead[0].process.returncode}:\n"
                        + dead[0].log.read_text(errors="replace")[-3000:]
                    )
                registered = sum(1 for _ in client.scan_iter("rq:worker:*"))
                if registered >= count and any(True for _ in client.scan_iter("rq:scheduler-lock:*")):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"workers not up within {timeout} s ({registered} registered)")
                time.sleep(0.1)
        finally:
            client.close()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


# -- profiles and machine load ---------------------------------------------------------------------


def source_location(filename: str) -> str:
    """A profiled code location shortened to app/…, a site-packages path or stdlib/…."""
    app_dir = str(ROOT / "app") + "/"
    if filename.startswith(app_dir):
        return "app/" + filename[len(app_dir) :]
    marker = "site-packages/"
    if marker in filename:
        return filename.split(marker, 1)[1]
    if filename.startswith("~") or filename.startswith("<"):
        return filename
    stdlib = sysconfig.get_paths()["stdlib"] + "/"
    if filename.startswith(stdlib):
        return "stdlib/" + filename[len(stdlib) :]
    return filename


def load_average() -> str:
    """The machine's load averages, printed beside figures so noisy runs show."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- concurrent HTTP load --------------------------------------------------------------------------


def default_workers() -> int:
    """gunicorn sync workers for this machine: one per core plus one, so that a worker waiting on
    the database or the socket leaves no core idle (the load clients share the cores too)."""
    return (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str
    body: Any
    expect: int = 200


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies_ms: list[float]
    responses: list[Any]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else float("nan")


def run_load(base_url: str, requests_: list[Request], clients: int) -> LoadResult:
    """Send ``requests_`` with ``clients`` threads (each takes the next request when its last one is
    answered, as that many reviewers working flat out would). Plain ``http.client`` keeps the load
    generator's own CPU small: it shares the machine's cores with the server. Raises on the first
    unexpected status, after all threads stopped."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lock = threading.Lock()
    pending = list(reversed(range(len(requests_))))
    latencies: list[float] = [0.0] * len(requests_)
    responses: list[Any] = [None] * len(requests_)
    errors: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=120)
        try:
            while True:
                with lock:
                    if not pending or errors:
                        return
                    index = pending.pop()
                req = requests_[index]
                headers = {"Authorization": f"Bearer {req.token}", "Content-Type": "application/json"}
                payload = json.dumps(req.body).encode() if req.body is not None else None
                t0 = time.perf_counter()
                try:
                    conn.request(req.method, req.path, body=payload, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (http.client.HTTPException, OSError):
                    # gunicorn's sync workers close the connection after each response
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=120)
                    conn.request(req.method, req.path, body=payload, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                latencies[index] = (time.perf_counter() - t0) * 1000.0
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=120)
                if response.status != req.expect:
                    with lock:
                        errors.append(f"{req.method} {req.path}: {response.status} {data[:300]!r}")
                    return
                responses[index] = json.loads(data) if data else None
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} request(s) failed under {clients} clients; first: {errors[0]}")
    return LoadResult(clients, seconds, latencies, responses)


def open_tasks_by_bpmn_id(env: BenchEnv, case_numbers: list[str]) -> dict[str, list[tuple[int, str]]]:
    """The open tasks of these cases, read straight from the database (untimed bookkeeping, so the
    timed phase holds nothing but completions): bpmn id -> [(task id, case number)]."""
    from sqlalchemy import select

    from app.models import HumanTask, TaskState

    found: dict[str, list[tuple[int, str]]] = {}
    wanted = set(case_numbers)
    with edge.of(env.app).database.unit_of_work() as session:
        rows = session.execute(
            select(HumanTask.id, HumanTask.case_number, HumanTask.bpmn_id).where(
                HumanTask.state == TaskState.OPEN
            )
        )
        for task_id, number, bpmn_id in rows:
            if number in wanted:
                found.setdefault(bpmn_id, []).append((task_id, number))
    return found
