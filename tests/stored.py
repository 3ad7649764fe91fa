"""What the tests read of the app's file storage (services/storage.py), whichever backend it uses."""

from __future__ import annotations

from typing import Any

from app import edge
from app.services import storage


def keys(app: Any, prefix: str = "") -> list[str]:
    """The keys of every stored file under ``prefix``."""
    with edge.of(app).database.unit_of_work(write=False) as session:
        return [o.key for o in storage.of(session).listing(session, prefix)]


def content(app: Any, key: str) -> bytes | None:
    """A stored file's bytes, or None when it is not stored."""
    with edge.of(app).database.unit_of_work(write=False) as session:
        pieces = storage.of(session).chunks(key, session)
        return None if pieces is None else b"".join(pieces)


def lose(app: Any, key: str) -> None:
    """Remove a stored file behind the app's back (a lost file)."""
    with edge.of(app).database.unit_of_work() as session:
        storage.of(session).backend.delete(session, [key])
