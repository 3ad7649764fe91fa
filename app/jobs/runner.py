"""How a job reaches the platform: the worker runs jobs inside an app context."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from app.db import Database

T = TypeVar("T")


def in_transaction(fn: Callable[[Session], T], *, write: bool = True) -> T:
    """Run ``fn`` in one transaction of its own (one database session per job step)."""
    database: Database = current_app.extensions["permitflow.db"]
    with database.unit_of_work(write=write) as session:
        return fn(session)
