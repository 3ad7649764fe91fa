"""A case's public number and its query code (shown once to the applicant, stored only as a keyed hash)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case

from . import platform

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


def hash_code(session: Session, number: str, code: str) -> str:
    secret = platform.of(session).settings.secret_key.encode()
    return hmac.new(secret, f"{number}:{code.upper()}".encode(), hashlib.sha256).hexdigest()


def code_matches(session: Session, case: Case, code: str) -> bool:
    return hmac.compare_digest(case.query_code_hash, hash_code(session, case.number, code.strip()))


def new_code() -> str:
    """A fresh query code: 8 characters of an alphabet that reads aloud without confusion."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


@lru_cache(maxsize=4)
def _taken(beside: ColumnElement[Any] | None) -> Select[Any]:
    """Whether a number is taken, and ``beside`` in the same statement (built once for each of the
    few module-level columns callers pass)."""
    taken = exists().where(Case.number == bindparam("number")).label("taken")
    return select(taken) if beside is None else select(taken, beside)


def new_number(
    session: Session, prefix: str, *, beside: ColumnElement[Any] | None = None
) -> tuple[str, str, Any]:
    """A free case number (prefix, local date, six digits), a fresh query code, and the value of
    ``beside`` (a scalar the caller needs anyway, read in the same round trip; else None)."""
    day = platform.of(session).base_calendar.local_date(clock.now()).strftime("%Y%m%d")
    code = new_code()
    connection = session.connection()  # Core: a case is flushed as soon as it is created
    statement = _taken(beside)
    for _ in range(20):
        number = f"{prefix}{day}{secrets.randbelow(10**6):06d}"
        row = connection.execute(statement, {"number": number}).one()
        if not row[0]:
            return number, code, row[1] if beside is not None else None
    raise RuntimeError("could not allocate a case number")


def prefix(process_key: str) -> str:
    """The initials of the process key (construction_permit → CP) when the BPMN names none."""
    initials = "".join(part[0] for part in process_key.split("_") if part).upper()
    return (initials or "PF")[:4]
