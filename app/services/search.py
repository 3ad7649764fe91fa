"""The case search (全文检索): staff search every case they may read by any of its text, ranked,
highlighted, filtered by process, status and date; the inbox and the public disclosure search
ask the same index (services/search_index.py, services/search_text.py).

Ranking: a query is matched on the index (GIN on PostgreSQL, FTS5 on SQLite), then the newest
:data:`CANDIDATES` matches (newest case first) are ranked by relevance (PostgreSQL ``ts_rank``,
SQLite the occurrences in the text: a match in the number, project or company names outweighs one in
the body) and
paged. A query that matches more (two characters of a district's name) ranks its newest matches
and says that there are more: the cost stays that of ranking :data:`CANDIDATES` rows, whatever
the number of cases.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, cast, column, false, func, literal_column, select, table
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_

from app.db import FOLD_FUNCTION
from app.errors import Forbidden
from app.models import Case, CaseSearch, CaseStatus, User

from . import platform
from .case_access import readable_cases
from .search_text import Query, highlight, pairs

# Case numbers: a process prefix, the local date and six digits (services/case_numbers.py). One is
# looked up by its unique index: its digit pairs are in nearly every case's grams.
CASE_NUMBER = re.compile(r"[A-Za-z]{1,8}\d{14}")
CANDIDATES = 500
MAX_PER_PAGE = 50
FTS = table("case_search_fts", column("rowid"))
FTS_MATCH: ColumnElement[str] = literal_column("case_search_fts")
# SQLite's weights of an occurrence in head and in body: as ts_rank's default A (1.0) against B (0.4).
HEAD_WEIGHT, BODY_WEIGHT = 2.5, 1.0


@dataclass(frozen=True)
class SearchQuery:
    q: str
    process: str | None = None
    status: CaseStatus | None = None
    submitted_from: date | None = None  # local dates, both included
    submitted_to: date | None = None
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class SearchHit:
    number: str
    process: str
    project_name: str | None
    status: CaseStatus
    submitted_at: datetime
    highlight: Markup  # escaped text, the matches in <mark>


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    total: int  # at most CANDIDATES
    total_exact: bool  # False: more cases match than were ranked
    page: int
    per_page: int


def search_cases(session: Session, viewer: User, query: SearchQuery) -> SearchPage:
    """A page of the cases ``viewer`` may read that match ``query``, best first."""
    if not viewer.is_staff:
        raise Forbidden("the case search is for agency staff")
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, min(query.page, CANDIDATES // per_page + 1))
    parsed = Query.parse(query.q)
    if not parsed.parts:
        return SearchPage([], 0, True, page, per_page)
    conditions = [readable_cases(viewer), *_filters(session, query)]
    if CASE_NUMBER.fullmatch(query.q.strip()):
        exact = select(Case.id).where(Case.number == query.q.strip().upper(), *conditions)
        ids = list(session.scalars(exact))
        return SearchPage(hits(session, parsed, ids), len(ids), True, page, per_page)
    ranked, total = ranked_ids(session, parsed, conditions, limit=per_page, offset=(page - 1) * per_page)
    found = hits(session, parsed, ranked)
    return SearchPage(found, min(total, CANDIDATES), total <= CANDIDATES, page, per_page)


def _filters(session: Session, query: SearchQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.process:
        found.append(Case.process_key == query.process)
    if query.status is not None:
        found.append(Case.status == query.status)
    if query.submitted_from is None and query.submitted_to is None:
        return found
    tz = platform.calendar(session).tz
    if query.submitted_from is not None:
        found.append(Case.submitted_at >= datetime.combine(query.submitted_from, time(), tz))
    if query.submitted_to is not None and query.submitted_to < date.max:  # 9999-12-31: no end
        end = datetime.combine(query.submitted_to + timedelta(days=1), time(), tz)
        found.append(Case.submitted_at < end)
    return found


def candidates(
    session: Session, parsed: Query, conditions: list[Any], *, head_only: bool = False
) -> Select[Any]:
    """The newest matching case ids (at most CANDIDATES + 1) with their relevance, ``score``
    (higher is better), under ``conditions`` on ``case``."""
    wanted = [c for c in conditions if not isinstance(c, True_)]  # staff read every case: no join
    lead = parsed.leader(_pair_counts(session, parsed.long_grams()))
    if session.get_bind().dialect.name == "sqlite":
        if lead:
            # The index finds the rare part; the whole query is checked on those rows only: as a
            # phrase in FTS5 it would walk the pairs every case holds (有限, 公司: 40 ms at
            # 1,000,000 cases for a company's name, against 2 ms).
            newest = (
                select(FTS.c.rowid)
                .where(FTS_MATCH.match(lead.fts()))
                .join(CaseSearch, CaseSearch.case_id == FTS.c.rowid)
                .where(*_contains(parsed, head_only=head_only))
            )
        else:
            newest = select(FTS.c.rowid).where(FTS_MATCH.match(parsed.fts(head_only=head_only)))
        if wanted:
            newest = newest.join(Case, Case.id == FTS.c.rowid).where(*wanted)
        ids = newest.order_by(FTS.c.rowid.desc()).limit(CANDIDATES + 1).subquery()
        # Not FTS5's bm25: before its first row it counts every match of every phrase in the
        # whole index (at 1,000,000 cases tens of milliseconds for a company's name); the
        # occurrences in the candidates' own text rank them alike, at the cost of ranking them.
        return select(CaseSearch.case_id, _occurrences(parsed).label("score")).join(
            ids, ids.c.rowid == CaseSearch.case_id
        )
    tsquery = cast(parsed.tsquery(head_only=head_only), TSQUERY)
    newest = select(CaseSearch.case_id)
    if wanted:
        newest = newest.join(Case, Case.id == CaseSearch.case_id).where(*wanted)
    if lead:
        # The index finds the rare part; the whole query is checked on those rows only (as a
        # function call, which the planner does not send to the index).
        matched = [
            CaseSearch.grams.op("@@")(cast(lead.tsquery(), TSQUERY)),
            func.ts_match_vq(CaseSearch.grams, tsquery),
        ]
    else:
        matched = [CaseSearch.grams.op("@@")(tsquery)]
    # Ranked once chosen: ts_rank reads a row's grams, for the candidates only.
    order = _newest_order(session, lead or parsed)
    chosen = newest.where(*matched).order_by(order).limit(CANDIDATES + 1).subquery()
    return select(CaseSearch.case_id, func.ts_rank(CaseSearch.grams, tsquery).label("score")).join(
        chosen, chosen.c.case_id == CaseSearch.case_id
    )


def _newest_order(session: Session, finding: Query) -> Any:
    """How PostgreSQL is to find the newest matches of ``finding``: walking the cases newest first
    until enough match (cheap when many do: a district's two characters), or taking every match
    from the bigram index and keeping the newest (cheap when few do). The planner cannot tell the
    two apart for a pair outside its most common ones, and walked a million cases for a rare pair
    (hundreds of ms); the crossover is at about sqrt(CANDIDATES x cases) matches. ``case_id + 0``
    hides the order of the primary key from the planner, so that it takes the index's matches."""
    shares = platform.of(session).pair_statistics.current(session)
    # One character is a prefix of many pairs: as common as can be.
    segments = [pairs(p) if len(p) > 1 else [] for p in finding.parts]
    expected = shares.expected_matches(segments, any_of=finding.any)
    if expected >= math.sqrt(CANDIDATES * shares.rows) and shares.rows > 0:
        return CaseSearch.case_id.desc()
    return (CaseSearch.case_id + 0).desc()


PROBE_LIMIT = 1000


def _pair_counts(session: Session, grams: list[str]) -> dict[str, float]:
    """How often each of ``grams`` occurs, enough to tell the rare from the common (one
    statement): PostgreSQL's statistics of the index column (the most common pairs and their
    shares; any other pair is rarer), SQLite counting each pair's cases up to PROBE_LIMIT."""
    if not grams:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        probes = [
            select(func.count())
            .select_from(select(FTS.c.rowid).where(FTS_MATCH.match(f'"{g}"')).limit(PROBE_LIMIT).subquery())
            .scalar_subquery()
            for g in grams
        ]
        row = session.execute(select(*probes)).one()
        return {g: float(n) for g, n in zip(grams, row, strict=True)}
    shares = platform.of(session).pair_statistics.current(session)
    return {g: shares.shares[g] for g in grams if g in shares.shares}


def _contains(parsed: Query, *, head_only: bool) -> list[ColumnElement[bool]]:
    """Each segment of ``parsed`` in the case's text, folded as the index folds it: what the
    index's phrase of the segment's pairs matches (a segment holds letters and digits only, so
    it never spans two of the text's segments)."""

    def within(column: Any, part: str) -> ColumnElement[bool]:
        return func.instr(getattr(func, FOLD_FUNCTION)(column), part) > 0

    return [
        within(CaseSearch.head, p) if head_only else (within(CaseSearch.head, p) | within(CaseSearch.body, p))
        for p in parsed.parts
    ]


def _occurrences(parsed: Query) -> ColumnElement[float]:
    """How often the searched segments occur in a case's text, those in ``head`` weighted as
    HEAD_WEIGHT: SQLite's relevance (letters compared in lower case; the index folds width and
    case too, so a match written in full-width letters ranks as if it were absent)."""

    def count(text: Any, part: str) -> Any:
        lowered = func.lower(text)
        return (func.length(lowered) - func.length(func.replace(lowered, part, ""))) / float(len(part))

    terms = [
        HEAD_WEIGHT * count(CaseSearch.head, p) + BODY_WEIGHT * count(CaseSearch.body, p)
        for p in parsed.parts
    ]
    return functools.reduce(operator.add, terms)


def ranked_ids(
    session: Session, parsed: Query, conditions: list[Any], *, limit: int, offset: int = 0
) -> tuple[list[int], int]:
    """One page of matching case ids, best first, and how many matched (CANDIDATES + 1: more)."""
    found = candidates(session, parsed, conditions).subquery()
    rows = session.execute(
        select(found.c.case_id, func.count().over().label("total"))
        .order_by(found.c.score.desc(), found.c.case_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [int(r.case_id) for r in rows], (int(rows[0].total) if rows else 0)


def hits(session: Session, parsed: Query, ids: list[int]) -> list[SearchHit]:
    """The cases of ``ids`` in that order, with their highlights: the columns a hit shows, never
    the whole case (its serialized workflow state) nor the grams."""
    columns = (Case.id, Case.number, Case.process_key, Case.project_name, Case.status, Case.submitted_at)
    stmt = select(*columns, CaseSearch.head, CaseSearch.body).join(CaseSearch, CaseSearch.case_id == Case.id)
    rows = {row.id: row for row in session.execute(stmt.where(Case.id.in_(ids)))}
    return [
        SearchHit(
            row.number,
            row.process_key,
            row.project_name,
            row.status,
            row.submitted_at,
            highlight(parsed, [row.head, row.body]),
        )
        for row in (rows[i] for i in ids if i in rows)
    ]


def matching_cases(session: Session, q: str, *, head_only: bool = False) -> Any:
    """The ids of every case matching ``q`` (a subquery for ``IN``: the inbox's and the public
    disclosure's filter, which add their own conditions); none when ``q`` holds no letter or digit."""
    parsed = Query.parse(q)
    if not parsed.parts:
        return select(CaseSearch.case_id).where(false())
    if session.get_bind().dialect.name == "sqlite":
        return select(FTS.c.rowid).where(FTS_MATCH.match(parsed.fts(head_only=head_only)))
    tsquery = cast(parsed.tsquery(head_only=head_only), TSQUERY)
    return select(CaseSearch.case_id).where(CaseSearch.grams.op("@@")(tsquery))
