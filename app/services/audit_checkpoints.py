"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint is the chain's length, newest event id and hash at a moment, signed with the audit key
(HMAC-SHA256). They are appended, one JSON line each, to the file ``PERMITFLOW_AUDIT_CHECKPOINTS``
(default ``instance/audit-checkpoints.jsonl``): somewhere whoever can rewrite the database cannot
(another volume, an append-only or WORM location, or a log shipper's input), written every
``PERMITFLOW_AUDIT_CHECKPOINT_INTERVAL`` seconds by ``worker.py --cron`` and on demand by
``flask audit checkpoint``. ``flask audit verify`` holds the chain against every checkpoint, so a
deletion of the newest events (which a chain alone cannot show) is found.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app import clock

from . import platform
from .audit import AuditKeys, ChainBreak, Problem, audit_keys, chain_head


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at ``at``: ``count`` events, the newest ``head_id`` with ``head_hash``."""

    count: int
    head_id: int
    head_hash: str
    at: str
    key_id: str
    signature: str = ""

    def signed_content(self) -> bytes:
        return f"{self.count}\n{self.head_id}\n{self.head_hash}\n{self.at}\n{self.key_id}".encode()


class CheckpointError(Exception):
    """The checkpoint file holds a line that is not a genuine checkpoint; ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _sign(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, checkpoint.signed_content(), hashlib.sha256).hexdigest()


def checkpoint_path(session: Session) -> Path:
    return Path(platform.of(session).settings.audit_checkpoints)


def write_checkpoint(session: Session) -> Checkpoint:
    """Sign the chain's head now and append it to the checkpoint file."""
    keys = audit_keys(platform.of(session).settings)
    count, head_id, head_hash = chain_head(session)
    unsigned = Checkpoint(count, head_id, head_hash, clock.now().isoformat(), keys.current_id)
    checkpoint = Checkpoint(**{**asdict(unsigned), "signature": _sign(keys.current, unsigned)})
    path = checkpoint_path(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(checkpoint), sort_keys=True) + "\n"
    # O_APPEND: concurrent writers never interleave within a line this short.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return checkpoint


def _parse(number: int, line: str, keys: AuditKeys) -> Checkpoint:
    try:
        checkpoint = Checkpoint(**json.loads(line))
    except (ValueError, TypeError) as error:
        raise CheckpointError(
            Problem(ChainBreak.CHECKPOINT_UNREADABLE, {"line": number, "error": str(error)[:200]})
        ) from None
    key = keys.by_id.get(checkpoint.key_id)
    if key is None:
        facts = {"line": number, "key_id": str(checkpoint.key_id)[:40]}
        raise CheckpointError(Problem(ChainBreak.CHECKPOINT_UNKNOWN_KEY, facts))
    if not hmac.compare_digest(_sign(key, checkpoint), checkpoint.signature):
        raise CheckpointError(Problem(ChainBreak.CHECKPOINT_FORGED, {"line": number}))
    return checkpoint


def read_checkpoints(session: Session) -> list[Checkpoint]:
    """Every checkpoint of the file, each signature checked (none yet: an empty list)."""
    path = checkpoint_path(session)
    if not path.exists():
        return []
    keys = audit_keys(platform.of(session).settings)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_parse(n, line, keys) for n, line in enumerate(lines, 1) if line.strip()]
