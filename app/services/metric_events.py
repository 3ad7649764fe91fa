"""Task completions and timer lag counted once their transaction commits.

Every path that completes a task or fires a timer (the step path from a request, a wake-up job,
the sweep, the CLI) flushes the row it changed, so one listener on the session factory sees them
all: what a flush changed is noted in ``session.info`` and counted after the commit. A rollback
drops the notes (a savepoint's rollback only its own: services/session_queues.py), so nothing rolled
back is counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.models import HumanTask, TaskState, Timer

from . import session_queues

_KEY = "metric_events"

Noted = tuple[str, str, float]  # ("task", process key, 0) or ("timer", kind, seconds late)


def _added(obj: Any, name: str) -> Any:
    history = inspect(obj).attrs[name].history
    return history.added[0] if history.added else None


def _lag(due_at: datetime, fired_at: datetime) -> float:
    return max(0.0, (fired_at - due_at).total_seconds())


def _noted(session: Session) -> list[Noted]:
    found: list[Noted] = []
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Timer):
            fired = _added(obj, "fired_at")
            if fired is not None and obj.due_at is not None:
                found.append(("timer", str(obj.kind.value), _lag(obj.due_at, fired)))
        elif isinstance(obj, HumanTask) and _added(obj, "state") == TaskState.COMPLETED:
            found.append(("task", obj.process_key, 0.0))
    return found


def observe(items: list[Noted]) -> None:
    """Count what committed."""
    for what, label, seconds in items:
        if what == "timer":
            metrics.TIMER_LAG.labels(kind=label).observe(seconds)
        else:
            metrics.TASKS_COMPLETED.labels(process=label).inc()


def install(session_factory: sessionmaker[Session]) -> None:
    """Count the completions and firings of this factory's sessions once they commit."""

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        # Before the flush: its history (what it is about to write) is still there to read.
        found = _noted(session)
        if found:
            session.info.setdefault(_KEY, []).extend(found)

    def after_commit(session: Session) -> None:
        if session_queues.really_committed(session):  # not a savepoint released inside it
            observe(session.info.pop(_KEY, []))

    event.listen(session_factory, "before_flush", before_flush)
    event.listen(session_factory, "after_commit", after_commit)
    session_queues.install(session_factory, _KEY)  # a rolled-back savepoint drops only its notes
