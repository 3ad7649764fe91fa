"""Two machines, one truth (issue 21): two real gunicorn nodes with their own instance folders on
one PostgreSQL, one Redis and one file storage (the database; then S3 on the moto stand-in),
each with a worker and a cron process. A file uploaded on A downloads on B; a version deployed
over the API on A is what a case started on B runs; a certificate issued on A verifies on B; a
timer scheduled by A fires once via B's worker; A killed mid-run loses nothing."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select

from app import edge
from app.config import Settings
from app.jobs.sweep_leader import lease_key
from app.models import AuditEvent, Case, HumanTask
from app.services import processes
from tests.api.test_certificates import approved_permit
from tests.ci_guard import not_applicable
from tests.conftest import ROOT
from tests.engine.bpmn_factory import boundary_timer_process, write
from tests.helpers import submit_permit
from tests.s3_stand_in import s3_stand_in
from tests.test_gunicorn import _free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
KEY = "two_node_review"
# Each run its own process name: the versions of an earlier run (the other storage) stay stored.
RUN = uuid.uuid4().hex[:8]
PDF = b"%PDF-1.4\n" + b"two nodes " * 4000 + b"\n%%EOF\n"


class Response:
    """What the shared test helpers read of a response (``status_code``, ``get_json``)."""

    def __init__(self, raw: requests.Response) -> None:
        self.raw, self.status_code, self.data = raw, raw.status_code, raw.content

    def get_json(self) -> Any:
        return self.raw.json()


class Node:
    """One web node over HTTP, with the API client's interface (so the shared helpers drive it)."""

    def __init__(self, base: str, tokens: Any) -> None:
        self.base, self.tokens, self.http = base, tokens, requests.Session()

    def _headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.token(user)}"} if user else {}

    def get(self, path: str, user: str | None = None, **kw: Any) -> Response:
        return Response(self.http.get(self.base + path, headers=self._headers(user), timeout=60, **kw))

    def post(self, path: str, user: str | None = None, **kw: Any) -> Response:
        return Response(self.http.post(self.base + path, headers=self._headers(user), timeout=60, **kw))


def _env(app: Any, redis_url: str, queue: str, instance: Path, storage: dict[str, str]) -> dict[str, str]:
    """The test app's settings as every machine's environment (the same keys everywhere), with
    this machine's own instance folder."""
    settings = edge.of(app).settings
    env = dict(os.environ)
    for field in dataclasses.fields(Settings):
        value = getattr(settings, field.name)
        if value != field.default and isinstance(value, str | int | float | bool):
            env[field.metadata["setting"].env] = str(value).lower() if isinstance(value, bool) else str(value)
    env.update(
        {
            "DATABASE_URL": edge.of(app).database.url,
            "REDIS_URL": redis_url,
            "PERMITFLOW_INSTANCE": str(instance),
            "PERMITFLOW_QUEUE": queue,
            "PERMITFLOW_SWEEP_INTERVAL": "1",
            "PERMITFLOW_SWEEP_LEASE": "1",
            **storage,
        }
    )
    return env


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _machine(name: str, env: dict[str, str], port: int, logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", "1", "--timeout", "30", "-b", f"127.0.0.1:{port}"]
    return {
        "web": _spawn([*gunicorn, "wsgi:app"], env, logs / f"{name}-web.log"),
        "worker": _spawn([sys.executable, "worker.py"], env, logs / f"{name}-worker.log"),
        "cron": _spawn([sys.executable, "worker.py", "--cron"], env, logs / f"{name}-cron.log"),
    }


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(folder.glob("*.log")))


def _wait_up(node: Node, procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert all(p.poll() is None for p in procs.values()), _logs(logs)
        try:
            if node.get("/api/v1/processes").status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, _logs(logs)
        time.sleep(0.2)


def _stop(procs: dict[str, subprocess.Popen[bytes]], sig: signal.Signals) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
    for proc in procs.values():
        proc.wait(timeout=30)


@pytest.fixture(params=["database", "s3"])
def storage(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "database":
        yield {"PERMITFLOW_STORAGE": "database"}
        return
    with s3_stand_in() as server:
        yield server.env()


def test_two_nodes_share_files_versions_keys_timers_and_survive_one_dying(
    app: Any, db: Any, api: Any, redis_url: str, tmp_path: Path, storage: dict[str, str]
) -> None:
    if db.get_bind().dialect.name != "postgresql":
        not_applicable("two machines share one PostgreSQL")
    # A slow first version: its timer would not fire within the test; the deploy on A speeds it up.
    with app.app_context():
        processes.deploy_processes(db, None, [write(tmp_path, KEY, _timed('"PT1H"'))])
        db.commit()
    queue = f"two-nodes-{uuid.uuid4().hex[:8]}"
    ports = _free_port(), _free_port()
    machines = [
        _machine(name, _env(app, redis_url, queue, tmp_path / f"{name}-instance", storage), port, tmp_path)
        for name, port in zip("ab", ports, strict=True)
    ]
    a, b = (Node(f"http://127.0.0.1:{port}", api) for port in ports)
    try:
        for node, procs in zip((a, b), machines, strict=True):
            _wait_up(node, procs, tmp_path)
        _files_versions_and_keys(a, b, db)
        _kill_a_mid_run(a, b, db, machines[0], redis_url, queue, machines[1], tmp_path)
    finally:
        for procs in machines:
            _stop(procs, signal.SIGTERM)
        redis.Redis.from_url(redis_url).delete(lease_key(queue))


def _timed(duration: str) -> str:
    return boundary_timer_process(KEY, duration).replace(
        f'name="{KEY}"', f'name="{KEY} {RUN}-{uuid.uuid4().hex[:6]}"', 1
    )


def _files_versions_and_keys(a: Node, b: Node, db: Any) -> None:
    number = submit_permit(a, "双节点项目")["number"]
    files = {"file": ("contract.pdf", PDF, "application/pdf")}
    uploaded = a.post(
        f"/api/v1/cases/{number}/attachments", "acme", data={"kind": "construction_contract"}, files=files
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    downloaded = b.get(uploaded.get_json()["links"]["download"].removeprefix(a.base), "acme")
    assert downloaded.status_code == 200 and downloaded.data == PDF

    started_from = a.get(f"/api/v1/processes/{KEY}", "analyst").get_json()["version"]
    xml = _timed('"PT2S"')
    body = {"bpmn": xml, "base": started_from}
    deployed = a.post(f"/api/v1/processes/{KEY}/versions", "analyst", json=body)
    assert deployed.status_code == 201, deployed.get_json()
    new_version = deployed.get_json()["version"]
    assert b.get(f"/api/v1/processes/{KEY}", "analyst").get_json()["version"] == new_version
    # A deploy on B from the version A has replaced is refused, naming A's.
    late = b.post(f"/api/v1/processes/{KEY}/versions", "analyst", json=body)
    assert late.status_code == 409 and new_version[:12] in late.get_json()["message"]
    started = b.post("/api/v1/cases", "acme", json={"process": KEY, "data": {}})
    assert started.status_code == 201, started.get_json()
    case_version = db.scalar(
        select(Case.process_version_id).where(Case.number == started.get_json()["number"])
    )
    assert processes.current_version(db, KEY).id == case_version
    db.rollback()

    permit = approved_permit(a, "双节点证照项目")
    [doc] = a.get(f"/api/v1/cases/{permit}", "acme").get_json()["documents"]
    verified = b.get(f"/api/v1/verify/{doc['number']}").get_json()
    assert verified["genuine"] is True and verified["number"] == doc["number"]


def _kill_a_mid_run(
    a: Node,
    b: Node,
    db: Any,
    machine_a: dict[str, subprocess.Popen[bytes]],
    redis_url: str,
    queue: str,
    machine_b: dict[str, subprocess.Popen[bytes]],
    logs: Path,
) -> None:
    # A schedules the timer (its wake-up goes to Redis when the start commits); A's worker dies
    # with it before the two seconds pass, so B's worker has to fire it.
    timer_case = a.post("/api/v1/cases", "acme", json={"process": KEY, "data": {}}).get_json()["number"]
    answered: list[str] = []

    def keep_starting() -> None:
        while True:
            try:
                response = a.post("/api/v1/cases", "acme", json={"process": KEY, "data": {}})
            except requests.RequestException:
                return
            if response.status_code == 201:
                answered.append(response.get_json()["number"])

    burst = threading.Thread(target=keep_starting)
    burst.start()
    while len(answered) < 3:
        time.sleep(0.05)
    _stop(machine_a, signal.SIGKILL)
    burst.join(timeout=30)

    for number in [timer_case, *answered]:  # every answered start is there, seen from B
        assert b.get(f"/api/v1/cases/{number}", "acme").status_code == 200, number
    case_id = db.scalar(select(Case.id).where(Case.number == timer_case))
    db.rollback()
    deadline = time.monotonic() + 20
    while _escalations(db, case_id) == 0:
        assert time.monotonic() < deadline, _logs(logs)
        time.sleep(0.2)
    connection = redis.Redis.from_url(redis_url)
    while connection.get(lease_key(queue)) is None or f"/{machine_b['cron'].pid}/" not in str(
        connection.get(lease_key(queue))
    ):
        assert time.monotonic() < deadline, _logs(logs)  # B's cron leads now
        time.sleep(0.2)
    time.sleep(2.5)  # two more sweeps by B: nothing fires twice
    assert _escalations(db, case_id) == 1
    level = db.scalar(select(HumanTask.escalation_level).where(HumanTask.case_id == case_id))
    db.rollback()
    assert level == 1
    assert all(p.poll() is None for p in machine_b.values()), _logs(logs)


def _escalations(db: Any, case_id: int) -> int:
    n = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "task.escalated", AuditEvent.case_id == case_id)
    )
    db.rollback()
    return int(n or 0)
