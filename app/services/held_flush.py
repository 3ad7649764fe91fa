"""Flushes a batch of case steps holds back, so that its rows are written together.

A step flushes when it is done (``gateway.mirror``, the search index, a notification's id for its
e-mail job), so that what follows it sees its rows. A batch of timer firings runs fifty such steps
in one transaction (app/timer_sweep.py): flushed one by one, each case costs its own round trips
(`UPDATE timer`, `INSERT human_task`, `INSERT notification`...); held back to one flush at the end
of the batch, the unit of work sends each kind of row in one statement for the whole batch. A
query still flushes first (autoflush), so a step never reads stale rows; held back are only the
explicit flushes, and what needed the flushed ids runs after the batch's flush (:func:`after`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

_HELD = "flush_held"  # Session.info: the callbacks to run once the held flush is done


def flush(session: Session) -> None:
    """``session.flush()``, unless a batch holds flushes back (then it flushes at its end)."""
    if _HELD not in session.info:
        session.flush()


def holding(session: Session) -> bool:
    return _HELD in session.info


def after(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once this session's rows are flushed: now, or after the held flush."""
    held: list[Callable[[], None]] | None = session.info.get(_HELD)
    if held is None:
        session.flush()
        callback()
    else:
        held.append(callback)


@contextmanager
def held(session: Session) -> Iterator[None]:
    """Hold this session's explicit flushes back until the block ends, then flush once and run
    what waited for it. On an exception nothing is flushed (the caller rolls back)."""
    if _HELD in session.info:  # already held by an enclosing batch
        yield
        return
    callbacks: list[Callable[[], None]] = []
    session.info[_HELD] = callbacks
    try:
        yield
    finally:
        del session.info[_HELD]
    session.flush()
    for callback in callbacks:
        callback()
