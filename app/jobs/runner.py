"""How a job reaches the platform: the worker runs jobs inside an app context."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app import edge

T = TypeVar("T")


def in_transaction(fn: Callable[[Session], T], *, write: bool = True) -> T:
    """Run ``fn`` in one transaction of its own (one database session per job step)."""
    with edge.db().unit_of_work(write=write) as session:
        return fn(session)
