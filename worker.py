"""Background processes.

    python worker.py          an rq worker with its scheduler (run any number, on any machine)
    python worker.py --cron   the periodic sweep that fires missed timers (run exactly one)

Both build the app (settings from the environment) and run jobs inside its app context.
"""

from __future__ import annotations

import argparse

from rq import SimpleWorker
from rq.cron import CronScheduler

from app import create_app
from app.extensions import redis_connection
from app.jobs import job_queue
from app.jobs.timers import sweep


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cron", action="store_true", help="run the periodic sweep scheduler instead")
    parser.add_argument("--burst", action="store_true", help="run queued jobs, then exit")
    args = parser.parse_args(argv)

    app = create_app()
    settings = app.extensions["permitflow.settings"]
    connection = redis_connection(settings)
    with app.app_context():
        if args.cron:
            scheduler = CronScheduler(connection=connection)
            scheduler.register(
                sweep,
                queue_name=settings.queue_name,
                interval=settings.sweep_interval_seconds,
                job_timeout=600,
            )
            scheduler.start()
            return
        # Jobs run in this process rather than in a fork per job: a forked "work horse" starts
        # cold every time (new database connection, statements compiled again) and was measured
        # at ~200 ms per timer against ~6 ms warm. A crash or SIGKILL mid-job still only loses
        # that job's uncommitted transaction; the sweep fires the timer again.
        worker = SimpleWorker([job_queue(settings)], connection=connection)
        worker.work(with_scheduler=True, burst=args.burst)


if __name__ == "__main__":
    main()
