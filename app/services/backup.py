"""Backups of the database and the stored files together, and their restore (issue 15, finding 11).

A backup is one ``.tar.gz``: ``manifest.json`` (format, schema revision, time, row counts, the
audit chain's head, every stored file with its SHA-256), ``tables/<table>.jsonl`` (every row of
every table, parents before children, except the database storage's own tables) and
``files/<key>`` (every stored file, from whichever storage backend is in use, streamed a chunk at
a time). The rows are read in one
read-only snapshot transaction (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so
they agree with each other; stored files are written once under random names and never changed,
so the files present after the snapshot include every file its rows name. The format is the same
for both databases: a SQLite backup restores into PostgreSQL and the other way round.

Restore goes into an empty database migrated to the same revision (``flask db upgrade``) and an
empty storage (of either backend), then checks what it restored: the audit chain (with the same
audit keys) and every attachment's size and SHA-256 against its row.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Date, Table, func, insert, select, text
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Attachment
from app.models.base import Base, UTCDateTime

from . import audit, storage
from .storage import Storage

FORMAT = "permitflow-backup/1"
# The database backend's file rows: backed up as files/<key>, so the format is the same for every
# backend and a backup restores into either.
FILE_TABLES = {"stored_object", "stored_chunk"}


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in FILE_TABLES]


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds."""

    format: str
    revision: str
    created_at: str
    rows: dict[str, int]
    files: dict[str, str]  # storage key -> SHA-256
    audit_head: dict[str, Any]


@dataclass
class RestoreReport:
    """What a restore wrote and what its checks found."""

    rows: dict[str, int]
    files: int
    audit_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _revision(session: Session) -> str:
    return str(session.scalar(text("SELECT version_num FROM alembic_version")) or "")


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "value") and not isinstance(value, dict | list | str | int | float | bool):
        return value.value  # enums are stored by value
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    decoded = {}
    for name, value in row.items():
        column_type = table.columns[name].type
        if value is not None and isinstance(column_type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column_type, Date):
            value = date.fromisoformat(value)
        decoded[name] = value
    return decoded


def _snapshot(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _add_stored(archive: tarfile.TarFile, store: Storage, session: Session, key: str) -> str | None:
    """Stream one stored file into the archive (through a temporary file: the size must be known
    before the content); its SHA-256, or None when it is gone."""
    pieces = store.chunks(key, session)
    if pieces is None:
        return None
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=storage.CHUNK * 4) as spool:
        size = 0
        for piece in pieces:
            digest.update(piece)
            spool.write(piece)
            size += len(piece)
        spool.seek(0)
        info = tarfile.TarInfo(f"files/{key}")
        info.size = size
        info.mtime = int(clock.now().timestamp())
        archive.addfile(info, spool)
    return digest.hexdigest()


def create_backup(session: Session, target: Path) -> BackupManifest:
    """Write a backup of every table and every stored file to ``target`` (a new file)."""
    store = storage.of(session)
    _snapshot(session)
    revision = _revision(session)
    count, head_id, head_hash = audit.chain_head(session)
    rows: dict[str, int] = {}
    files: dict[str, str] = {}
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as archive:
        for table in _tables():
            lines = [
                json.dumps({k: _encode(v) for k, v in row._mapping.items()}, ensure_ascii=False)
                for row in session.execute(select(table))
            ]
            rows[table.name] = len(lines)
            _add(archive, f"tables/{table.name}.jsonl", "\n".join(lines).encode())
        keys = {o.key for o in store.listing(session)} | set(store.legacy_files())
        for key in sorted(keys):
            digest = _add_stored(archive, store, session, key)
            if digest is not None:
                files[key] = digest
        head = {"count": count, "head_id": head_id, "head_hash": head_hash}
        manifest = BackupManifest(FORMAT, revision, clock.now().isoformat(), rows, files, head)
        _add(archive, "manifest.json", json.dumps(asdict(manifest), indent=1).encode())
    partial.replace(target)  # a backup cut short never looks like a complete one
    return manifest


def _read_manifest(archive: tarfile.TarFile) -> BackupManifest:
    try:
        member = archive.extractfile("manifest.json")
        assert member is not None
        manifest = BackupManifest(**json.loads(member.read()))
    except (KeyError, AssertionError, ValueError, TypeError):
        raise InvalidData("this file is not a PermitFlow backup (no readable manifest.json)") from None
    if manifest.format != FORMAT:
        raise InvalidData(f"unknown backup format {manifest.format!r} (this version reads {FORMAT})")
    return manifest


def _refuse_unless_empty(session: Session, manifest: BackupManifest, store: Storage) -> None:
    if manifest.revision != _revision(session):
        raise Conflict(
            f"the backup is of schema revision {manifest.revision}, the database is at "
            f"{_revision(session) or 'none'}: run `flask db upgrade` to the backup's revision first"
        )
    for table in _tables():
        if session.scalar(select(func.count()).select_from(table)):
            raise Conflict(f"the database is not empty (table {table.name} has rows): restore into a new one")
    if store.listing(session) or store.legacy_files():
        raise Conflict(f"the file storage ({store.name}) is not empty: restore into a new one")


def _restore_rows(session: Session, archive: tarfile.TarFile) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in _tables():
        member = archive.extractfile(f"tables/{table.name}.jsonl")
        raw = member.read().decode() if member is not None else ""
        rows = [_decode(table, json.loads(line)) for line in raw.splitlines() if line.strip()]
        if rows:
            session.execute(insert(table), rows)
        counts[table.name] = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        for table in _tables():
            if "id" in table.columns and counts[table.name]:
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table.name}"))'
                    )
                )
    return counts


class _Hashing:
    """A stream that hashes what is read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def _restore_files(
    session: Session, archive: tarfile.TarFile, manifest: BackupManifest, store: Storage
) -> list[str]:
    problems = []
    for key, digest in manifest.files.items():
        if key.startswith("/") or ".." in key.split("/"):
            problems.append(f"file {key} points outside the storage: not restored")
            continue
        member = archive.extractfile(f"files/{key}")
        reader = _Hashing(member if member is not None else io.BytesIO())
        store.write(session, key, reader)  # type: ignore[arg-type]
        if reader.digest.hexdigest() != digest:
            problems.append(f"file {key} in the backup does not match its SHA-256")
    return problems


def check_attachments(session: Session) -> list[str]:
    """Every attachment row's file is present with the size and SHA-256 the row records."""
    store = storage.of(session)
    problems = []
    for row in session.scalars(select(Attachment).order_by(Attachment.id)):
        pieces = store.chunks(f"{row.case_id}/{row.uid}", session)
        if pieces is None:
            problems.append(f"attachment {row.uid} of case {row.case_id}: the file is missing")
            continue
        digest, size = hashlib.sha256(), 0
        for piece in pieces:
            digest.update(piece)
            size += len(piece)
        if size != row.size or digest.hexdigest() != row.sha256:
            problems.append(f"attachment {row.uid} of case {row.case_id}: the file differs from its row")
    return problems


def restore_backup(session: Session, source: Path) -> RestoreReport:
    """Restore ``source`` into this (empty, migrated) database and storage; flushes, never
    commits. The report's problems name what did not check out (the caller decides to commit)."""
    with tarfile.open(source, "r:gz") as archive:
        manifest = _read_manifest(archive)
        store = storage.of(session)
        _refuse_unless_empty(session, manifest, store)
        counts = _restore_rows(session, archive)
        problems = _restore_files(session, archive, manifest, store)
    session.flush()
    report = RestoreReport(rows=counts, files=len(manifest.files), problems=problems)
    chain = audit.verify_chain(session)
    report.audit_checked = chain.checked
    if not chain.intact:
        report.problems.append(f"audit event {chain.broken_id}: {chain.why}")
    head = manifest.audit_head
    if (chain.checked, audit.chain_head(session)[2]) != (head["count"], head["head_hash"]):
        report.problems.append("the restored audit chain does not end where the backup's did")
    report.problems += check_attachments(session)
    return report
