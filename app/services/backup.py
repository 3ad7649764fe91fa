"""Backups of the database and the stored files together, and their restore (issue 15, finding 11).

A backup is one ``.tar.gz``: ``manifest.json`` (format, schema revision, time, row counts, the audit
chain's head, every stored file with its SHA-256), ``tables/<table>.jsonl`` (every row of every
table, parents before children) and ``files/…`` (the upload folder). The rows are read in one
read-only snapshot transaction (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so
they agree with each other; stored files are written once under random names and never changed,
so the files present after the snapshot include every file its rows name. The format is the same
for both databases: a SQLite backup restores into PostgreSQL and the other way round.

Restore goes into an empty database migrated to the same revision (``flask db upgrade``) and an
empty upload folder, then checks what it restored: the audit chain (with the same audit keys) and
every attachment's size and SHA-256 against its row.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, Table, func, insert, select, text
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Attachment
from app.models.base import Base, UTCDateTime

from . import audit

FORMAT = "permitflow-backup/1"


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds."""

    format: str
    revision: str
    created_at: str
    rows: dict[str, int]
    files: dict[str, str]  # path under the upload folder -> SHA-256
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


def create_backup(session: Session, upload_root: Path, target: Path) -> BackupManifest:
    """Write a backup of every table and every stored file to ``target`` (a new file)."""
    _snapshot(session)
    revision = _revision(session)
    count, head_id, head_hash = audit.chain_head(session)
    rows: dict[str, int] = {}
    files: dict[str, str] = {}
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as archive:
        for table in Base.metadata.sorted_tables:
            lines = [
                json.dumps({k: _encode(v) for k, v in row._mapping.items()}, ensure_ascii=False)
                for row in session.execute(select(table))
            ]
            rows[table.name] = len(lines)
            _add(archive, f"tables/{table.name}.jsonl", "\n".join(lines).encode())
        for path in sorted(p for p in upload_root.rglob("*") if p.is_file()) if upload_root.exists() else []:
            data = path.read_bytes()
            relative = path.relative_to(upload_root).as_posix()
            files[relative] = hashlib.sha256(data).hexdigest()
            _add(archive, f"files/{relative}", data)
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


def _refuse_unless_empty(session: Session, manifest: BackupManifest, upload_root: Path) -> None:
    if manifest.revision != _revision(session):
        raise Conflict(
            f"the backup is of schema revision {manifest.revision}, the database is at "
            f"{_revision(session) or 'none'}: run `flask db upgrade` to the backup's revision first"
        )
    for table in Base.metadata.sorted_tables:
        if session.scalar(select(func.count()).select_from(table)):
            raise Conflict(f"the database is not empty (table {table.name} has rows): restore into a new one")
    if upload_root.exists() and any(p.is_file() for p in upload_root.rglob("*")):
        raise Conflict(f"the upload folder {upload_root} is not empty: restore into a new one")


def _restore_rows(session: Session, archive: tarfile.TarFile) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        member = archive.extractfile(f"tables/{table.name}.jsonl")
        raw = member.read().decode() if member is not None else ""
        rows = [_decode(table, json.loads(line)) for line in raw.splitlines() if line.strip()]
        if rows:
            session.execute(insert(table), rows)
        counts[table.name] = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        for table in Base.metadata.sorted_tables:
            if "id" in table.columns and counts[table.name]:
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table.name}"))'
                    )
                )
    return counts


def _restore_files(archive: tarfile.TarFile, manifest: BackupManifest, upload_root: Path) -> list[str]:
    problems = []
    root = upload_root.resolve()
    for relative, digest in manifest.files.items():
        path = (root / relative).resolve()
        if root not in path.parents:
            problems.append(f"file {relative} points outside the upload folder: not restored")
            continue
        member = archive.extractfile(f"files/{relative}")
        data = member.read() if member is not None else b""
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"file {relative} in the backup does not match its SHA-256")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return problems


def check_attachments(session: Session, upload_root: Path) -> list[str]:
    """Every attachment row's file is present with the size and SHA-256 the row records."""
    problems = []
    for row in session.scalars(select(Attachment).order_by(Attachment.id)):
        path = upload_root / str(row.case_id) / row.uid
        if not path.is_file():
            problems.append(f"attachment {row.uid} of case {row.case_id}: the file is missing")
            continue
        data = path.read_bytes()
        if len(data) != row.size or hashlib.sha256(data).hexdigest() != row.sha256:
            problems.append(f"attachment {row.uid} of case {row.case_id}: the file differs from its row")
    return problems


def restore_backup(session: Session, upload_root: Path, source: Path) -> RestoreReport:
    """Restore ``source`` into this (empty, migrated) database and upload folder; flushes, never
    commits. The report's problems name what did not check out (the caller decides to commit)."""
    with tarfile.open(source, "r:gz") as archive:
        manifest = _read_manifest(archive)
        _refuse_unless_empty(session, manifest, upload_root)
        counts = _restore_rows(session, archive)
        problems = _restore_files(archive, manifest, upload_root)
    session.flush()
    report = RestoreReport(rows=counts, files=len(manifest.files), problems=problems)
    chain = audit.verify_chain(session)
    report.audit_checked = chain.checked
    if not chain.intact:
        report.problems.append(f"audit event {chain.broken_id}: {chain.why}")
    head = manifest.audit_head
    if (chain.checked, audit.chain_head(session)[2]) != (head["count"], head["head_hash"]):
        report.problems.append("the restored audit chain does not end where the backup's did")
    report.problems += check_attachments(session, upload_root)
    return report
