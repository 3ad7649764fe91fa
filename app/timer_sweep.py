"""Firing due timers one case per transaction: the wake-up job, the periodic sweep and
`flask timers sweep` all do it this way. It sits beside the edges, not in one of them, because
edges never import each other."""

from __future__ import annotations

import logging

from app import clock, step_watch
from app.db import Database
from app.errors import NotFound
from app.services import timers

log = logging.getLogger(__name__)


def fire_case_timers(database: Database, case_id: int) -> int:
    """Fire the case's due timers in a transaction of their own; 0 when the case is gone."""
    try:
        with step_watch.stepping(case_id), database.unit_of_work() as session:  # see app/jobs/watchdog.py
            return timers.fire_due(session, case_id)
    except NotFound:
        return 0


def sweep_due_timers(database: Database) -> int:
    """Fire every due, unfired timer of every case: what a lost job or a flushed Redis missed."""
    with database.unit_of_work(write=False) as session:
        case_ids = timers.due_case_ids(session, clock.now())
    fired = 0
    for case_id in case_ids:
        try:
            fired += fire_case_timers(database, case_id)
        except Exception:  # one broken case must not stop the sweep for the others
            log.exception("sweep: firing timers of case %s failed", case_id)
    return fired
