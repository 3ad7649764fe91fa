"""Keeping the search index (models/search.py) of a case in step with the case.

The step path calls :func:`index_case` after every saved step (steps/effects.py, and the
procedures that change a case without the engine), in the step's transaction: a case is found by
what it holds now, or the step did not happen. A step that changes no text (a claim, a status
change) costs one primary-key read. ``flask search reindex`` (:func:`reindex`) builds the index
for cases from before it existed.

What is indexed: in ``head`` the number, project name and code and the names of companies (a
name beside a valid credit code, or the applicant's company): what public pages may show; in
``body`` everything else written in the case's forms - the location and address, descriptions,
opinions, answers, a citizen applicant's name. Personal values (``x-personal``) are sealed
references in the data and are never indexed: nobody finds a complainant by their phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, insert, select, text, update
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseSearch, User

from .credit_code import is_valid_credit_code
from .personal_data import REF_PREFIX
from .search_text import fts_grams, tsvector_literal

MAX_HEAD = 1000
MAX_BODY = 6000
# Values that are not text a person wrote: enum values and slugs, ids, dates, file references.
NOT_TEXT = re.compile(r"[a-z0-9_]*|[0-9a-f]{16,}|\d{4}-\d{2}-\d{2}([T ][\d:.+\-Z]*)?", re.IGNORECASE)
SKIPPED_KEYS = frozenset({"attachments", "evidence", "photo", "credit_code", "decision"})
HEAD_FIELDS = ("project_name", "project_code")


def case_text(case: Case, applicant: Any | None) -> tuple[str, str]:
    """The case's ``head`` and ``body`` text as the index keeps them; ``applicant`` holds the
    applicant's ``company_name``, ``credit_code`` and ``display_name`` (None without one)."""
    data = case.data or {}
    head = [case.number] + [data[f] for f in HEAD_FIELDS if isinstance(data.get(f), str)]
    head += [name for name in _companies(data)]
    body: list[str] = []
    if applicant is not None:
        if applicant.company_name and is_valid_credit_code(applicant.credit_code):
            head.append(applicant.company_name)
        else:
            body.append(applicant.display_name)
    body += [value for value in _strings(data, top=True) if value not in head]
    return _joined(head, " · ", MAX_HEAD), _joined(body, "\n", MAX_BODY)


def _joined(values: list[str], separator: str, limit: int) -> str:
    return separator.join(dict.fromkeys(v.strip() for v in values if v and v.strip()))[:limit]


def _companies(data: Any) -> Iterator[str]:
    """Names given beside a valid credit code (``{name, credit_code}``), anywhere in the data."""
    if isinstance(data, dict):
        name = data.get("name")
        if isinstance(name, str) and is_valid_credit_code(data.get("credit_code")):
            yield name
        for value in data.values():
            yield from _companies(value)
    elif isinstance(data, list):
        for value in data:
            yield from _companies(value)


def _strings(data: Any, *, top: bool = False) -> Iterator[str]:
    """The text values of the data, depth first, except what is not text (see NOT_TEXT)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SKIPPED_KEYS or (top and key in HEAD_FIELDS) or str(key).startswith("_"):
                continue
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
    elif isinstance(data, str) and not data.startswith(REF_PREFIX) and not NOT_TEXT.fullmatch(data):
        yield data


_SEARCH: Table = CaseSearch.__table__  # type: ignore[assignment]
_CASE: Table = Case.__table__  # type: ignore[assignment]
_USER: Table = User.__table__  # type: ignore[assignment]
# What the index needs besides the case: its applicant's three names (not the user with its
# groups) and the row as indexed so far, in one statement. The step path's lock reads the same
# columns beside the case row, joined the same way (steps/core.py).
KNOWN_BESIDE_CASE = (
    _USER.c.company_name,
    _USER.c.credit_code,
    _USER.c.display_name,
    _SEARCH.c.case_id.label("indexed"),
    _SEARCH.c.head,
    _SEARCH.c.body,
)
CASE_WITH_KNOWN = _CASE.outerjoin(_USER, _USER.c.id == _CASE.c.applicant_id).outerjoin(
    _SEARCH, _SEARCH.c.case_id == _CASE.c.id
)
_KNOWN_COLUMNS = select(*KNOWN_BESIDE_CASE, _CASE.c.id.label("case_id")).select_from(CASE_WITH_KNOWN)
_KNOWN = _KNOWN_COLUMNS.where(_CASE.c.id == bindparam("case_id"))
# The same for many cases at once (a batch of timer firings, see read_ahead).
_KNOWN_MANY = _KNOWN_COLUMNS.where(_CASE.c.id.in_(bindparam("case_ids", expanding=True)))
_AHEAD = "search_known_ahead"  # Session.info: (transaction, case id -> its _KNOWN row), see _ahead


def forget_ahead(session: Session) -> None:
    """Forget what was read ahead (a savepoint rolled back: it may have undone a write of the index)."""
    session.info.pop(_AHEAD, None)


def _ahead(session: Session) -> dict[int, Any]:
    """What was read ahead for :func:`index_case` in this transaction (only this one: after it
    ends, another may have rewritten the index)."""
    transaction = session.get_transaction()
    held = session.info.get(_AHEAD)
    if held is None or held[0] is not transaction:
        held = session.info[_AHEAD] = (transaction, {})
    return held[1]  # type: ignore[no-any-return]


_FTS_DELETE = text(
    "INSERT INTO case_search_fts(case_search_fts, rowid, head, body) VALUES ('delete', :id, :head, :body)"
)
_FTS_INSERT = text("INSERT INTO case_search_fts(rowid, head, body) VALUES (:id, :head, :body)")
# The index's row written, built once (issue 22); keyed by "on SQLite" (its grams are in FTS5).
_WRITTEN: dict[str, Any] = {
    "head": bindparam("new_head"),
    "body": bindparam("new_body"),
    "indexed_at": bindparam("at"),
}
_GRAMS = {"grams": cast(bindparam("new_grams", type_=String()), TSVECTOR())}
_COLUMNS = {True: _WRITTEN, False: _WRITTEN | _GRAMS}
_UPDATE = {
    sqlite: update(_SEARCH).where(_SEARCH.c.case_id == bindparam("id")).values(columns)
    for sqlite, columns in _COLUMNS.items()
}
_INSERT = {
    sqlite: insert(_SEARCH).values(case_id=bindparam("id"), **columns) for sqlite, columns in _COLUMNS.items()
}


def index_case(session: Session, case: Case) -> None:
    """Write the case's row of the index (and its grams) when its text changed.

    Core statements on the session's connection: the row is written and never read back as an
    object in a step, so the ORM's unit of work would only add cost (issue 22). The case row
    itself must be in the database (flushed) already."""
    connection = session.connection()
    ahead = _ahead(session)
    if case.id in ahead:  # read with its batch; used once (what this step writes makes it stale)
        known = ahead.pop(case.id)
    else:
        known = connection.execute(_KNOWN, {"case_id": case.id}).first()
    applicant = known if known is not None and known.display_name is not None else None
    head, body = case_text(case, applicant)
    indexed = known is not None and known.indexed is not None
    if known is not None and indexed and known.head == head and known.body == body:
        return
    sqlite = connection.dialect.name == "sqlite"
    values: dict[str, Any] = {"id": case.id, "new_head": head, "new_body": body, "at": clock.now()}
    if not sqlite:
        values["new_grams"] = tsvector_literal(head, body)
    if known is not None and indexed:
        if sqlite:  # removing a row's grams from the contentless table needs the same grams
            connection.execute(_FTS_DELETE, _grams(case.id, known.head, known.body))
        connection.execute(_UPDATE[sqlite], values)
    else:
        connection.execute(_INSERT[sqlite], values)
    if sqlite:
        connection.execute(_FTS_INSERT, _grams(case.id, head, body))


def read_ahead(session: Session, cases: list[Case]) -> None:
    """Read what :func:`index_case` reads for many cases in one statement (a batch of timer
    firings), so that indexing each case after its step reads nothing more."""
    if cases:
        rows = session.connection().execute(_KNOWN_MANY, {"case_ids": [case.id for case in cases]})
        _ahead(session).update((row.case_id, row) for row in rows)


@dataclass(frozen=True)
class Known:
    """What the index reads of a case besides the case (the shape of a row of ``_KNOWN``), for a
    case created in this transaction."""

    case_id: int
    company_name: str | None
    credit_code: str | None
    display_name: str | None
    indexed: int | None = None
    head: str | None = None
    body: str | None = None


def remember(session: Session, case_id: int, row: Any) -> None:
    """Keep ``row`` (with the columns of :data:`KNOWN_BESIDE_CASE`, read under the case's lock)
    for the step's :func:`index_case`, which then reads nothing: one statement fewer per step."""
    _ahead(session)[case_id] = row


def remember_new(session: Session, case: Case, applicant: User | None) -> None:
    """A case created in this transaction has no row in the index yet, and its applicant is at
    hand: its :func:`index_case` reads nothing."""
    names = (
        (applicant.company_name, applicant.credit_code, applicant.display_name) if applicant else (None,) * 3
    )
    _ahead(session)[case.id] = Known(case.id, *names)


def _grams(case_id: int, head: str, body: str) -> dict[str, Any]:
    return {"id": case_id, "head": fts_grams(head), "body": fts_grams(body)}


def reindex(session: Session, *, batch: int = 500) -> Iterator[int]:
    """Index every case (those from before the index, or all again); yields the count so far after
    each batch, which the caller commits."""
    done, last = 0, 0
    while True:
        cases = list(session.scalars(select(Case).where(Case.id > last).order_by(Case.id).limit(batch)))
        if not cases:
            return
        for case in cases:
            index_case(session, case)
        done, last = done + len(cases), cases[-1].id
        yield done
