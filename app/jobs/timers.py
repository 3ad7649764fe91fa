"""Timer jobs: the per-case wake-up and the periodic sweep. Both are safe to run twice."""

from __future__ import annotations

import logging

from app import clock
from app.errors import NotFound
from app.services import timers

from . import watchdog
from .runner import in_transaction

log = logging.getLogger(__name__)


def wake_case(case_id: int) -> int:
    """Fire the case's due timers (job id `wake-<case id>`); the next wake-up is scheduled on commit."""
    try:
        with watchdog.stepping(case_id):  # a step that never ends gets the worker process killed
            return in_transaction(lambda session: timers.fire_due(session, case_id))
    except NotFound:
        return 0  # the case is gone


def sweep() -> int:
    """Fire every due, unfired timer of every case: what a lost job or a flushed Redis missed."""
    case_ids = in_transaction(lambda session: timers.due_case_ids(session, clock.now()), write=False)
    fired = 0
    for case_id in case_ids:
        try:
            fired += wake_case(case_id)
        except Exception:  # one broken case must not stop the sweep for the others
            log.exception("sweep: firing timers of case %s failed", case_id)
    return fired
