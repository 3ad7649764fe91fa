"""A real gunicorn keeps answering while a case start runs a script that tries to hang it (issue 15,
finding 1): the start answers with the case in `error`, the same worker process serves the next
requests, and gunicorn never has to kill it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from app import edge
from app.services import processes
from tests.conftest import ROOT
from tests.engine.bpmn_factory import script_process, write

pytestmark = pytest.mark.slow

LOOP_IN_TRY = "n = 0\nwhile True:\n    try:\n        n = n + 1\n    except Exception:\n        pass"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(url: str, token: str | None = None, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
            return response.status, _body(response)
    except urllib.error.HTTPError as error:
        return error.code, _body(error)


def _body(response: Any) -> Any:
    raw = response.read()
    if "json" in (response.headers.get("Content-Type") or ""):
        return json.loads(raw)
    return raw.decode(errors="replace")[:2000]


def _gunicorn(app: Any, redis_url: str, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    settings = edge.of(app).settings
    env = {
        **os.environ,
        "DATABASE_URL": edge.of(app).database.url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": settings.secret_key,
        "PERMITFLOW_INSTANCE": str(tmp_path / "web-instance"),
        "PERMITFLOW_SCRIPT_BUDGET": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "--timeout", "30", "-b", f"127.0.0.1:{port}"]
    with (tmp_path / "gunicorn.log").open("w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(
            [*command, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    return sorted(child.pid for child in psutil.Process(server.pid).children())


def test_a_real_gunicorn_keeps_answering_while_a_script_tries_to_hang_it(
    app: Any, db: Any, api: Any, redis_url: str, tmp_path: Path
) -> None:
    with app.app_context():
        processes.deploy_processes(
            db, None, [write(tmp_path, "loop_start", script_process("loop_start", LOOP_IN_TRY))]
        )
        db.commit()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _gunicorn(app, redis_url, tmp_path, port)
    try:
        for _ in range(300):  # until it answers (at most a minute)
            try:
                if _request(base + "/api/v1/processes")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        workers = _worker_pids(server)
        assert len(workers) == 1
        token = api.token("acme")
        answers: list[tuple[int, Any]] = []
        starting = threading.Thread(
            target=lambda: answers.append(
                _request(base + "/api/v1/cases", token, {"process": "loop_start", "data": {}})
            )
        )
        starting.start()
        other = _request(base + "/api/v1/processes")  # on the one worker, before or after the start
        starting.join(timeout=60)
        assert answers, "the start never answered"
        status, body = answers[0]
        assert status == 201 and body["status"] == "error", body
        assert other[0] == 200
        assert _request(base + "/api/v1/processes")[0] == 200
        assert _worker_pids(server) == workers  # the same worker process: nothing was killed
        assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
