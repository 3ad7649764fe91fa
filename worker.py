"""Background processes.

    python worker.py          an rq worker with its scheduler (run any number, on any machine)
    python worker.py --cron   queues the periodic sweep (run any number: one leads, see app/jobs/cron.py)

Both build the app (settings from the environment) and run jobs inside its app context, log in
the format ``PERMITFLOW_LOG_FORMAT`` names, and with ``PERMITFLOW_METRICS_PORT`` serve Prometheus
metrics at ``http://<host>:<port>/metrics`` (one port per process; see the README). The rq
worker runs in a child process under a small supervisor, which kills and replaces it when a case
step runs longer than the script budget plus ``PERMITFLOW_WORKER_GRACE`` (see app/jobs/watchdog.py).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
from functools import partial

from flask import Flask

from app import create_app, edge, log_format, metrics_scrape
from app.config import Settings
from app.extensions import redis_connection
from app.jobs import job_queue, watchdog
from app.jobs.cron import run_cron


def _observed(app: Flask) -> None:
    """This process's log format and, when a port is set, its metrics exporter."""
    state = edge.of(app)
    settings = state.settings
    log_format.configure(settings.log_format)
    if settings.metrics_port:
        registry = metrics_scrape.scrape_registry(
            state.database, state.redis, settings.queue_name, settings.metrics_multiproc_dir
        )
        metrics_scrape.serve(registry, settings.metrics_port)


def _run_sweeps() -> None:
    app = create_app()
    _observed(app)
    settings = edge.of(app).settings
    with app.app_context():
        run_cron(settings, redis_connection(settings))


def _work(watch: watchdog.CaseWatch, overrun: watchdog.Overrun | None, *, burst: bool) -> None:
    app = create_app()
    _observed(app)  # in the child: a replaced child binds the port its killed predecessor freed
    # What building the app made lives as long as the process: kept out of the cyclic garbage
    # collector's scans. Unfrozen, its full collections took 0.2 s of the 0.46 s of CPU a batch
    # of 300 timer firings cost (measured in a worker child, 2026-12-02).
    gc.freeze()
    settings = edge.of(app).settings
    connection = redis_connection(settings)
    with app.app_context():
        if overrun is not None:
            watchdog.recover(connection, settings.queue_name, overrun)
        # Jobs run in this process rather than in a fork per job: a forked "work horse" starts
        # cold every time (new database connection, statements compiled again) and was measured
        # at ~200 ms per timer against ~6 ms warm. A crash or SIGKILL mid-job still only loses
        # that job's uncommitted transaction; the sweep fires the timer again.
        worker = watchdog.WatchedWorker([job_queue(settings)], connection=connection)
        worker.watch = watch
        worker.work(with_scheduler=True, burst=burst)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cron", action="store_true", help="run the periodic sweep scheduler instead")
    parser.add_argument("--burst", action="store_true", help="run queued jobs, then exit")
    args = parser.parse_args(argv)
    if args.cron:
        _run_sweeps()
        return 0
    # Read before any app exists: the supervisor itself holds no connection and runs no job.
    settings = Settings.from_env()
    supervisor = watchdog.Supervisor(
        multiprocessing.get_context("fork"),
        partial(_work, burst=args.burst),
        limit=settings.script_time_budget + settings.worker_step_grace,
    )
    return supervisor.run(burst=args.burst)


if __name__ == "__main__":
    raise SystemExit(main())
