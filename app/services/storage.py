"""Stored files (uploads, drafts) behind one interface, with two backends chosen by
``PERMITFLOW_STORAGE``: ``database`` (the default: chunked rows of ``stored_object`` /
``stored_chunk``, so one database backup covers everything and any number of machines see the same
files) and ``s3`` (S3-compatible object storage: app/services/storage_s3.py).

A file is named by its key (``<case id>/<uid>``, ``drafts/<draft uid>/<uid>``) and written and read
a chunk at a time: no backend holds a whole file in memory. Files follow the caller's transaction:
the database backend writes and deletes inside it; the object store deletes what a rolled-back
transaction wrote and what a committed one discarded, once it has ended (:func:`install`).

Files written under ``<instance>/uploads/<key>`` by earlier versions are read from there when the
backend does not hold them (``legacy``), until `flask storage migrate` moves them in.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.db import write_intent
from app.models import StoredChunk, StoredObject

from . import platform

CHUNK = 256 * 1024
_DOOMED = "storage.doomed"  # keys (or prefixes ending in "/") to delete once the transaction commits
_WRITTEN = "storage.written"  # keys written in the transaction: deleted if it rolls back


@dataclass(frozen=True)
class Listed:
    key: str
    size: int


class Backend(Protocol):
    """What a storage backend does. ``session`` is the caller's unit of work."""

    name: str
    transactional: bool  # whether writes and deletes roll back with the session

    def write(self, session: Session, key: str, stream: BinaryIO) -> int: ...
    def chunks(self, key: str, session: Session | None = None) -> Iterator[bytes] | None: ...
    def exists(self, session: Session, key: str) -> bool: ...
    def delete(self, session: Session, keys: list[str]) -> None: ...
    def listing(self, session: Session, prefix: str = "") -> list[Listed]: ...
    def ping(self, session: Session) -> None: ...


def read_pieces(stream: BinaryIO) -> Iterator[bytes]:
    while piece := stream.read(CHUNK):
        yield piece


class DatabaseBackend:
    """Files as rows: ``stored_object`` (key, size) and its ``stored_chunk`` rows of 256 KiB."""

    name = "database"
    transactional = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # downloads stream after the request's session has ended

    def write(self, session: Session, key: str, stream: BinaryIO) -> int:
        self.delete(session, [key])
        session.execute(insert(StoredObject).values(key=key, size=0, chunks=0, created_at=clock.now()))
        size = seq = 0
        for piece in read_pieces(stream):
            session.execute(insert(StoredChunk).values(key=key, seq=seq, data=piece))
            size, seq = size + len(piece), seq + 1
        row = session.get(StoredObject, key)
        assert row is not None
        row.size, row.chunks = size, seq
        session.flush()
        return size

    def chunks(self, key: str, session: Session | None = None) -> Iterator[bytes] | None:
        count = self._count(session, key) if session is not None else self._read_count(key)
        if count is None:
            return None
        return self._session_chunks(session, key, count) if session else self._own_chunks(key, count)

    @staticmethod
    def _count(session: Session, key: str) -> int | None:
        return session.scalar(select(StoredObject.chunks).where(StoredObject.key == key))

    def _read_count(self, key: str) -> int | None:
        token = write_intent.set(False)
        try:
            with self.engine.connect() as conn:
                return conn.scalar(select(StoredObject.chunks).where(StoredObject.key == key))
        finally:
            write_intent.reset(token)

    @staticmethod
    def _chunk(key: str, seq: int) -> object:
        return select(StoredChunk.data).where(StoredChunk.key == key, StoredChunk.seq == seq)

    def _session_chunks(self, session: Session, key: str, count: int) -> Iterator[bytes]:
        for seq in range(count):
            yield bytes(session.scalar(self._chunk(key, seq)) or b"")  # type: ignore[call-overload]

    def _own_chunks(self, key: str, count: int) -> Iterator[bytes]:
        # One chunk per statement: nothing bigger than a chunk is ever in memory.
        token = write_intent.set(False)
        try:
            with self.engine.connect() as conn:
                for seq in range(count):
                    yield bytes(conn.scalar(self._chunk(key, seq)) or b"")  # type: ignore[call-overload]
        finally:
            write_intent.reset(token)

    def exists(self, session: Session, key: str) -> bool:
        return self._count(session, key) is not None

    def delete(self, session: Session, keys: list[str]) -> None:
        for key in keys:
            match = StoredObject.key.startswith(key) if key.endswith("/") else StoredObject.key == key
            chunk_match = StoredChunk.key.startswith(key) if key.endswith("/") else StoredChunk.key == key
            session.execute(delete(StoredChunk).where(chunk_match))
            session.execute(delete(StoredObject).where(match))

    def listing(self, session: Session, prefix: str = "") -> list[Listed]:
        query = select(StoredObject.key, StoredObject.size).order_by(StoredObject.key)
        if prefix:
            query = query.where(StoredObject.key.startswith(prefix))
        return [Listed(k, int(s)) for k, s in session.execute(query)]

    def ping(self, session: Session) -> None:
        session.execute(select(StoredObject.key).limit(1))


class Storage:
    """The app's storage: its backend, and the legacy upload folder of earlier versions read as a
    fallback (read only; `flask storage migrate` moves its files into the backend)."""

    def __init__(self, backend: Backend, legacy: Path | None = None) -> None:
        self.backend = backend
        self.legacy = legacy

    @property
    def name(self) -> str:
        return self.backend.name

    def _legacy_path(self, key: str) -> Path | None:
        if self.legacy is None:
            return None
        path = (self.legacy / key).resolve()
        return path if self.legacy.resolve() in path.parents and path.is_file() else None

    def write(self, session: Session, key: str, stream: BinaryIO) -> int:
        """Store ``stream`` under ``key`` (replacing it), a chunk at a time; undone if the
        transaction rolls back."""
        if not session.in_transaction():
            session.begin()  # so that a rollback of a session that wrote nothing else is seen
        size = self.backend.write(session, key, stream)
        if not self.backend.transactional:
            session.info.setdefault(_WRITTEN, []).append(key)
        return size

    def copy(self, session: Session, source: str, target: str) -> None:
        pieces = self.chunks(source, session)
        if pieces is None:
            raise FileNotFoundError(source)
        self.write(session, target, stream_of(pieces))

    def copy_from(self, session: Session, other: Storage, key: str) -> None:
        """Write ``key`` of another storage (or its legacy folder) into this one."""
        pieces = other.chunks(key, session)
        if pieces is None:
            raise FileNotFoundError(key)
        self.write(session, key, stream_of(pieces))

    def remove_legacy(self, key: str) -> None:
        self._remove_legacy([key])

    def chunks(self, key: str, session: Session | None = None) -> Iterator[bytes] | None:
        """The file's content in chunks, or None when it is not stored. With ``session``, read in
        that transaction (what it wrote included); without, through a connection of its own (a
        download streams after its request's session has ended)."""
        found = self.backend.chunks(key, session)
        if found is not None:
            return found
        path = self._legacy_path(key)
        return _file_pieces(path) if path is not None else None

    def exists(self, session: Session, key: str) -> bool:
        return self.backend.exists(session, key) or self._legacy_path(key) is not None

    def discard(self, session: Session, key: str) -> None:
        """Remove a file, or every file under a prefix ending in ``/``, when the transaction commits."""
        if self.backend.transactional:
            self.backend.delete(session, [key])
        session.info.setdefault(_DOOMED, []).append(key)

    def listing(self, session: Session, prefix: str = "") -> list[Listed]:
        return self.backend.listing(session, prefix)

    def legacy_files(self) -> list[str]:
        if self.legacy is None or not self.legacy.is_dir():
            return []
        return sorted(
            p.relative_to(self.legacy).as_posix()
            for p in self.legacy.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )

    def ping(self, session: Session) -> None:
        self.backend.ping(session)

    def after_commit(self, session: Session) -> None:
        session.info.pop(_WRITTEN, None)
        doomed = session.info.pop(_DOOMED, [])
        if not self.backend.transactional and doomed:
            _quietly(lambda: self.backend.delete(session, doomed))
        self._remove_legacy(doomed)

    def after_rollback(self, session: Session, previous: object = None) -> None:
        session.info.pop(_DOOMED, None)
        written = session.info.pop(_WRITTEN, [])
        if written:
            _quietly(lambda: self.backend.delete(session, written))

    def _remove_legacy(self, keys: Iterable[str]) -> None:
        if self.legacy is None:
            return
        for key in keys:
            path = self.legacy / key.rstrip("/")
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_file():
                path.unlink(missing_ok=True)


def _quietly(action: Callable[[], None]) -> None:
    """Cleaning up after a transaction never fails the request: a file left over is harmless (an
    unreachable object store must not turn a commit into an error)."""
    with contextlib.suppress(Exception):
        action()


def _file_pieces(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        yield from read_pieces(f)  # type: ignore[arg-type]


class _IterStream:
    """A readable stream over chunks (for copies and restores), one chunk in memory at a time."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def stream_of(pieces: Iterator[bytes]) -> BinaryIO:
    return _IterStream(pieces)  # type: ignore[return-value]


def build(settings: object, engine: Engine) -> Storage:
    """The storage the settings choose (``PERMITFLOW_STORAGE``), reading earlier versions' upload
    folder as a fallback."""
    from app.config import Settings

    assert isinstance(settings, Settings)
    legacy = Path(settings.instance_path) / "uploads"
    if settings.storage == "s3":
        from .storage_s3 import S3Backend

        return Storage(S3Backend.from_settings(settings), legacy)
    if settings.storage != "database":
        raise ValueError(f"PERMITFLOW_STORAGE must be database or s3, not {settings.storage!r}")
    return Storage(DatabaseBackend(engine), legacy)


def install(session_factory: sessionmaker[Session], storage: Storage) -> None:
    """Object-store files follow this factory's transactions (see the module docstring)."""
    event.listen(session_factory, "after_commit", storage.after_commit)
    # Soft: fired on every rollback, also of a session that wrote only to the object store.
    event.listen(session_factory, "after_soft_rollback", storage.after_rollback)


def of(session: Session) -> Storage:
    """The storage of the app whose database opened ``session``."""
    found = platform.of(session).storage
    if found is None:
        raise RuntimeError("this app has no storage")
    assert isinstance(found, Storage)
    return found


def remove_keys(session: Session, storage: Storage, keys: list[str]) -> None:
    """Delete now (used by the migration command once the copy is committed)."""
    storage.backend.delete(session, keys)


__all__ = ["CHUNK", "Backend", "DatabaseBackend", "Listed", "Storage", "build", "install", "of"]
