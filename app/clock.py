"""The one clock of the platform.

Every "now" in PermitFlow (services, engine timers, SLA, tokens) comes from :func:`now`, so a test
can freeze or move time with :func:`travel_to` / :func:`advance` and never sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (must be timezone-aware)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward by ``delta``."""
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock (call freeze() first)")
    freeze(_frozen + delta)
    return now()


def unfreeze() -> None:
    """Let the clock run with real time again."""
    global _frozen
    _frozen = None


@contextmanager
def travel_to(at: datetime) -> Iterator[None]:
    """Freeze the clock at ``at`` for the duration of a ``with`` block."""
    previous = _frozen
    freeze(at)
    try:
        yield
    finally:
        globals()["_frozen"] = previous
