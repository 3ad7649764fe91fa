"""The rq worker: `python worker.py` (any number of them, on any machine sharing the database and
Redis). It runs jobs and, with the built-in scheduler, the jobs scheduled for a later time."""

from __future__ import annotations

import atexit

from rq import Queue, Worker

from app import create_app
from app.jobs import close_embedded, redis_connection


def main() -> None:
    app = create_app()
    settings = app.extensions["permitflow.settings"]
    connection = redis_connection(settings)
    atexit.register(close_embedded)
    with app.app_context():
        worker = Worker([Queue(settings.queue_name, connection=connection)], connection=connection)
        worker.work(with_scheduler=True)


if __name__ == "__main__":
    main()
