"""Metrics across processes, as production runs them: a real gunicorn with two worker processes in
prometheus_client's multiprocess mode adds up both processes' counts whichever one answers the
scrape, and `worker.py --cron` serves its own exporter on PERMITFLOW_METRICS_PORT."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import edge
from tests.conftest import ROOT
from tests.test_gunicorn import _free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _env(app: Any, redis_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    settings = edge.of(app).settings
    return {
        **os.environ,
        "DATABASE_URL": edge.of(app).database.url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": settings.secret_key,
        "PERMITFLOW_INSTANCE": str(tmp_path / "instance"),
        "PERMITFLOW_QUEUE": settings.queue_name,
        **extra,
    }


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - our own server
        return answer.status, answer.read().decode()


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(log.read_text()[-3000:])


def _count(text: str, route: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "permitflow_http_request_duration_seconds_count"
                and sample.labels["route"] == route
            ):
                return sample.value
    return 0.0


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def test_two_gunicorn_processes_are_added_up_in_every_scrape(
    app: Any, redis_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    env = _env(app, redis_url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder))
    server = _start(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"], env, log
    )
    try:
        _wait(base + "/healthz", server, log)
        for _ in range(40):  # spread over both processes by the kernel
            assert _get(base + "/healthz")[0] == 200
        workers = psutil.Process(server.pid).children()
        assert len(workers) == 2
        counted = {_count(_get(base + "/metrics")[1], "/healthz") for _ in range(6)}
        # Every scrape, whichever process answers it, sees all 41 probes (the wait's one included
        # at least): the sum of both processes' files, never one process's share.
        assert len(counted) == 1 and counted.pop() >= 41
        written = {p.name.split("_")[0] for p in folder.glob("*.db")}
        assert written >= {"histogram"}
        assert len(list(folder.glob("histogram_*.db"))) == 2  # one file per process
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_cron_process_serves_its_own_exporter(app: Any, redis_url: str, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "cron.log"
    env = _env(app, redis_url, tmp_path, PERMITFLOW_METRICS_PORT=str(port), PERMITFLOW_SWEEP_INTERVAL="1")
    cron = _start([sys.executable, "worker.py", "--cron"], env, log)
    try:
        _wait(f"http://127.0.0.1:{port}/metrics", cron, log)
        text = _get(f"http://127.0.0.1:{port}/metrics")[1]
        names = {family.name for family in text_string_to_metric_families(text)}
        assert {
            "permitflow_timers_due_unfired",
            "permitflow_rq_jobs_queued",
            "permitflow_dependency_up",
        } <= names
    finally:
        cron.terminate()
        cron.wait(timeout=30)
