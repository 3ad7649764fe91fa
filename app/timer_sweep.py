"""Firing due timers case by case, each case under its own lock, in batches of cases per
transaction: the wake-up jobs, the periodic sweep and `flask timers sweep` all do it this way. It
sits beside the edges, not in one of them, because edges never import each other."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from app import clock, metrics, step_watch
from app.db import Database
from app.errors import NotFound
from app.services import held_flush, notifications, timers

log = logging.getLogger(__name__)

# Cases fired per transaction (one commit, one seal of the audit chain, one round trip to Redis
# for what they schedule), and per job of a peak; each case's lock is held until that commit
# (about 0.15 s for 100 bench cases). In-process, 400 bench cases cost 1.4-1.55 ms of CPU a case
# in batches of 50, 1.2-1.3 in batches of 100 or 200 (the batch's fixed statements shared).
BATCH = 100


def fire_case_timers(database: Database, case_id: int) -> int:
    """Fire the case's due timers in a transaction of their own; 0 when the case is gone."""
    try:
        with step_watch.stepping(case_id), database.unit_of_work() as session:  # see app/jobs/watchdog.py
            return timers.fire_due(session, case_id)
    except NotFound:
        return 0


def fire_cases(database: Database, case_ids: Iterable[int]) -> int:
    """Fire the due timers of each case, :data:`BATCH` cases per transaction (one commit, one seal
    of the audit chain), each case under its own lock: the batch's locks and reads are a few
    statements for all its cases, its rows are written in one flush at its end. A batch in which
    a case fails is rolled back whole and its cases are fired one by one, each in a transaction of
    its own, so that the failing case is logged and keeps nothing while the others fire. (No
    savepoint per case: two more round trips a case, paid for a failure that is rare.) Returns how
    many timers fired."""
    ids = list(case_ids)
    fired = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        alone = batch
        try:
            with database.unit_of_work() as session:
                notifications.remember_group_members(session)  # notified groups read once a batch
                locked = timers.lock_batch(session, batch)
                with held_flush.held(session):  # the batch's rows written together at its end
                    fired_here = sum(_fire_in_batch(session, case_id) for case_id in locked)
            fired += fired_here
            # Locked by another transaction (PostgreSQL's SKIP LOCKED) or gone: fired alone,
            # each waiting for its own lock now that this batch's locks are released.
            alone = sorted(set(batch) - set(locked))
        except Exception:  # the batch did not commit: nothing of it is kept, so fire each alone
            log.exception("a batch of %d cases failed; firing them one by one", len(batch))
        fired += sum(_fire_alone(database, case_id) for case_id in alone)
    return fired


def _fire_in_batch(session: Session, case_id: int) -> int:
    try:
        with step_watch.stepping(case_id):  # see app/jobs/watchdog.py
            return timers.fire_due(session, case_id)
    except NotFound:
        return 0


def _fire_alone(database: Database, case_id: int) -> int:
    try:
        return fire_case_timers(database, case_id)
    except Exception:
        log.exception("firing timers of case %s failed", case_id)
        return 0


def cases_due_within(
    database: Database, start: datetime, end: datetime, *, part: tuple[int, int] | None = None
) -> list[int]:
    """Cases with an unfired timer due in ``[start, end)`` and no later than now; with ``part``
    ``(k, n)`` only those whose id is ``k`` modulo ``n``."""
    with database.unit_of_work(write=False) as session:
        return timers.due_case_ids(session, min(end, clock.now()), start=start, part=part)


def sweep_due_timers(database: Database) -> int:
    """Fire every due, unfired timer of every case: what a lost job or a flushed Redis missed.
    Counted in the metrics (runs, time, timers it had to fire)."""
    with metrics.SWEEP_DURATION.time():
        with database.unit_of_work(write=False) as session:
            case_ids = timers.due_case_ids(session, clock.now())
        fired = fire_cases(database, case_ids)
    metrics.SWEEP_FIRED.inc(fired)
    return fired
