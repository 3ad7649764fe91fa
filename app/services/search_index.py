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
from typing import Any

from sqlalchemy import cast, select, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseSearch, User

from . import held_flush
from .credit_code import is_valid_credit_code
from .personal_data import REF_PREFIX
from .search_text import fts_grams, tsvector_literal

MAX_HEAD = 1000
MAX_BODY = 6000
# Values that are not text a person wrote: enum values and slugs, ids, dates, file references.
NOT_TEXT = re.compile(r"[a-z0-9_]*|[0-9a-f]{16,}|\d{4}-\d{2}-\d{2}([T ][\d:.+\-Z]*)?", re.IGNORECASE)
SKIPPED_KEYS = frozenset({"attachments", "evidence", "photo", "credit_code", "decision"})
HEAD_FIELDS = ("project_name", "project_code")


def case_text(session: Session, case: Case) -> tuple[str, str]:
    """The case's ``head`` and ``body`` text as the index keeps them."""
    data = case.data or {}
    head = [case.number] + [data[f] for f in HEAD_FIELDS if isinstance(data.get(f), str)]
    head += [name for name in _companies(data)]
    body: list[str] = []
    applicant = None
    memo: dict[int, Any] = session.info.get(_APPLICANTS, {})
    if case.applicant_id in memo:
        applicant = memo[case.applicant_id]
    elif case.applicant_id is not None:
        # Three columns in one statement (not the user with its groups: a second read of memberships).
        applicant = session.execute(_NAMES.where(User.id == case.applicant_id)).first()
    if applicant is not None:
        if applicant.company_name and is_valid_credit_code(applicant.credit_code):
            head.append(applicant.company_name)
        else:
            body.append(applicant.display_name)
    body += [value for value in _strings(data, top=True) if value not in head]
    return _joined(head, " · ", MAX_HEAD), _joined(body, "\n", MAX_BODY)


_NAMES = select(User.company_name, User.credit_code, User.display_name)
_APPLICANTS = "search_applicants"  # Session.info: applicant id -> _NAMES row, see read_ahead
_ROWS = "search_rows"  # Session.info: the index rows read ahead (the session holds them weakly)


def read_ahead(session: Session, cases: list[Case]) -> None:
    """Read the index rows and the applicants' names of many cases in two statements (a batch of
    timer firings), so that indexing each case after its step reads nothing more."""
    ids = [case.id for case in cases]
    session.info.setdefault(_ROWS, []).extend(
        session.scalars(select(CaseSearch).where(CaseSearch.case_id.in_(ids)))
    )
    users = {case.applicant_id for case in cases if case.applicant_id is not None}
    if users:
        memo = session.info.setdefault(_APPLICANTS, {})
        for row in session.execute(_NAMES.add_columns(User.id).where(User.id.in_(users))):
            memo[row.id] = row


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


def index_case(session: Session, case: Case) -> None:
    """Write the case's row of the index (and its grams) when its text changed. Flushes."""
    head, body = case_text(session, case)
    row = session.get(CaseSearch, case.id)
    if row is not None and row.head == head and row.body == body:
        return
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite and row is not None:
        _fts(session, "delete", case.id, row.head, row.body)
    if row is None:
        row = CaseSearch(case_id=case.id, head=head, body=body, indexed_at=clock.now())
        session.add(row)
    row.head, row.body, row.indexed_at = head, body, clock.now()
    if sqlite:
        _fts(session, "insert", case.id, head, body)
    else:
        row.grams = cast(tsvector_literal(head, body), TSVECTOR())  # type: ignore[assignment,arg-type]
    held_flush.flush(session)


def _fts(session: Session, action: str, case_id: int, head: str, body: str) -> None:
    """Add or remove a case's grams in the contentless FTS5 table (removing needs the same grams)."""
    values = {"id": case_id, "head": fts_grams(head), "body": fts_grams(body)}
    if action == "delete":
        statement = (
            "INSERT INTO case_search_fts(case_search_fts, rowid, head, body) "
            "VALUES ('delete', :id, :head, :body)"
        )
    else:
        statement = "INSERT INTO case_search_fts(rowid, head, body) VALUES (:id, :head, :body)"
    session.execute(text(statement), values)


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
