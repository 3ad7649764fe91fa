"""Moving stored files between backends (`flask storage migrate --to database|s3`), including the
files earlier versions kept under ``<instance>/uploads``: each file is copied a chunk at a time,
committed, checked, and only then removed from where it was."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.config import Settings

from .storage import DatabaseBackend, Storage, build


@dataclass(frozen=True)
class MoveReport:
    moved: int
    already: int
    legacy: int


def other_storage(settings: Settings, engine: object, target: str) -> tuple[Storage, Storage]:
    """(source, target): the backend named ``target`` and the other one (with the legacy folder)."""
    from dataclasses import replace

    if target not in {"database", "s3"}:
        raise ValueError("--to takes database or s3")
    destination = build(replace(settings, storage=target), engine)  # type: ignore[arg-type]
    if target == "database" and not settings.s3_bucket:
        # No object store set up: only the old upload folder's files move.
        return Storage(destination.backend, destination.legacy), destination
    source_kind = "s3" if target == "database" else "database"
    return build(replace(settings, storage=source_kind), engine), destination  # type: ignore[arg-type]


def move_files(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    source: Storage,
    target: Storage,
    *,
    source_reachable: bool = True,
) -> MoveReport:
    """Copy every file of ``source`` (and of the legacy folder) into ``target``, then remove it
    from ``source``. One transaction per file: an interrupted move resumes where it stopped."""
    with unit_of_work() as session:
        keys = [o.key for o in source.listing(session)] if source_reachable else []
        present = {o.key for o in target.listing(session)}
    legacy = [k for k in source.legacy_files() if k not in keys]
    moved = already = 0
    for key in [*keys, *legacy]:
        if key not in present:
            with unit_of_work() as session:
                target.copy_from(session, source, key)
            moved += 1
        else:
            already += 1
        with unit_of_work() as session:
            if key in keys:
                source.backend.delete(session, [key])
        source.remove_legacy(key)
    return MoveReport(moved, already, len(legacy))


__all__ = ["DatabaseBackend", "MoveReport", "move_files", "other_storage"]
