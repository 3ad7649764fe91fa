"""`make run`'s embedded Redis stops when the run does (issue 15, finding 10): the owner process
stops its redis-server on SIGTERM, and when its parent is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def _env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return {**env, "PYTHONPATH": str(ROOT), "PERMITFLOW_INSTANCE": str(instance)}


def _server_pid(log: Path, seconds: float = 30) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if text.startswith("ready "):
            return int(text.split()[1])
        time.sleep(0.1)
    raise AssertionError(f"the embedded Redis did not start: {log.read_text() if log.exists() else ''}")


def _gone(pid: int, seconds: float = 15) -> bool:
    try:
        psutil.Process(pid).wait(timeout=seconds)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


def _kill_leftover(pid: int) -> None:
    if not _gone(pid, 0.1):
        os.kill(pid, signal.SIGKILL)


def test_sigterm_stops_the_embedded_server(tmp_path: Path) -> None:
    log = tmp_path / "owner.log"
    with log.open("w") as out:
        owner = subprocess.Popen(
            [sys.executable, "-m", "app.embedded_redis"], cwd=ROOT, env=_env(tmp_path), stdout=out
        )
    pid = _server_pid(log)
    try:
        assert "redis-server" in psutil.Process(pid).name()
        owner.send_signal(signal.SIGTERM)
        assert owner.wait(timeout=20) == 0
        assert _gone(pid), "redis-server outlived its owner"
        assert f"stopped embedded redis-server {pid}" in log.read_text()
    finally:
        owner.kill()
        _kill_leftover(pid)


def test_a_sigkilled_parent_still_stops_the_server(tmp_path: Path) -> None:
    """As when `make` itself is killed: the owner's parent-death signal stops the server."""
    log = tmp_path / "owner.log"
    shell = subprocess.Popen(
        ["bash", "-c", f'"{sys.executable}" -m app.embedded_redis > "{log}" & wait'],
        cwd=ROOT,
        env=_env(tmp_path),
        start_new_session=True,
    )
    pid = _server_pid(log)
    try:
        shell.send_signal(signal.SIGKILL)
        shell.wait(timeout=10)
        assert _gone(pid), "redis-server outlived the killed run"
    finally:
        _kill_leftover(pid)


def test_make_run_starts_the_owner_when_no_redis_url_is_set() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    # tests/test_make_run.py runs the recipe itself and presses Ctrl-C.
    assert "python -m app.embedded_redis" in recipe and "kill 0' INT TERM EXIT" in recipe
