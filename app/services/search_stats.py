"""How common each pair of the search index is on PostgreSQL, from the planner's statistics of the
``grams`` column (``pg_stats``: its most common elements and their shares), kept for some minutes.

The search (services/search.py) asks it for two decisions: which part of a long query to find the
matches by (the rare one), and how to find a query's newest matches. Reading ``pg_stats`` costs
about 2 ms at 1,000,000 cases (the element array is converted to text), more than the search
itself; the figures move only when the table is analysed again, and a stale figure chooses a
slower plan, never a wrong answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from threading import Lock
from time import monotonic

from sqlalchemy import text
from sqlalchemy.orm import Session

STATS_TTL = 300.0
_STATISTICS = text(
    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, "
    "(SELECT reltuples FROM pg_class WHERE oid = 'case_search'::regclass) "
    "FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = 'case_search' "
    "AND s.attname = 'grams'"
)


@dataclass(frozen=True)
class PairShares:
    """The shares of the most common pairs; any other pair is rarer than ``floor``."""

    shares: dict[str, float]
    floor: float  # the least share among the most common pairs (0: no statistics yet)
    rows: float  # the index's rows as the planner counts them

    def share(self, gram: str) -> float:
        return self.shares.get(gram, self.floor / 2)

    def expected_matches(self, segments: list[list[str]], *, any_of: bool = False) -> float:
        """How many rows a query matches, roughly: each segment (its pairs) as common as its
        rarest pair, segments independent (all of them, or any of them)."""
        if self.rows <= 0 or not segments:
            return 0.0
        parts = [min(self.share(g) for g in grams) if grams else 1.0 for grams in segments]
        found = min(1.0, sum(parts)) if any_of else math.prod(parts)
        return found * self.rows


NO_STATISTICS = PairShares({}, 0.0, 0.0)


@dataclass
class PairStatistics:
    """:class:`PairShares` of the connected database, read again after :data:`STATS_TTL`."""

    _current: PairShares | None = None
    _loaded_at: float = -1e9
    _lock: Lock = field(default_factory=Lock, repr=False)

    def current(self, session: Session) -> PairShares:
        with self._lock:
            if self._current is None or monotonic() - self._loaded_at > STATS_TTL:
                self._current = _read(session)
                self._loaded_at = monotonic()
            return self._current


def _read(session: Session) -> PairShares:
    row = session.execute(_STATISTICS).first()
    if row is None or row[0] is None:
        return NO_STATISTICS
    elements, freqs, rows = list(row[0]), list(row[1]), float(row[2] or 0.0)
    shares = {gram: float(share) for gram, share in zip(elements, freqs, strict=False)}
    # After one share per element PostgreSQL keeps the least and the greatest of them.
    floor = float(freqs[len(elements)]) if len(freqs) > len(elements) else min(shares.values(), default=0.0)
    return PairShares(shares, floor, max(rows, 0.0))
