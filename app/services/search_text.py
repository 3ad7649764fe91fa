"""Chinese-aware text for the search index: overlapping character pairs (bigrams).

Chinese has no spaces between words, and trigram indexes (pg_trgm, FTS5's ``trigram``) cannot
answer the most common query, two characters of a project name (``北湖``). So the index keeps
every pair of neighbouring letters or digits of a text: ``北湖城市`` gives ``北湖 湖城 城市``, and a
query of n characters is the phrase of its n-1 pairs at consecutive positions, which is exactly a
substring match. One character is a prefix query on the pairs. Runs of letters and digits are
segments (punctuation and spaces end them); a gap between segments keeps a phrase from matching
across them. Text and queries are folded alike (NFKC, case-folded), so ``ＡＢ`` finds ``ab``.

Everything here is plain text in, plain text out: services/search_index.py writes it, and
services/search.py asks with it on either database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

SEGMENT = re.compile(r"[^\W_]+")
# A token no query produces (three characters; queries ask for pairs or one-character prefixes),
# put between segments on SQLite so that phrases do not span them.
GAP = "〇〇〇"
MAX_SEGMENTS = 8
MAX_SEGMENT = 32
MAX_POSITION = 16383  # PostgreSQL keeps positions up to this
LEADER_GRAMS = 4  # a segment of this many pairs (5 characters) or more is found by a part of it


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def segments(text: str) -> list[str]:
    return SEGMENT.findall(fold(text))


def pairs(segment: str) -> list[str]:
    return [segment] if len(segment) < 2 else [segment[i : i + 2] for i in range(len(segment) - 1)]


def fts_grams(text: str) -> str:
    """The text as FTS5 tokens: the pairs of each segment, segments apart by :data:`GAP`."""
    return f" {GAP} ".join(" ".join(pairs(s)) for s in segments(text))


def tsvector_literal(head: str, body: str) -> str:
    """The tsvector of both texts as a literal (``'北湖':1A …``): ``head`` weighted A, ``body`` B,
    with one unused position between segments."""
    positions: dict[tuple[str, str], list[int]] = {}
    at = 1
    for weight, text in (("A", head), ("B", body)):
        for segment in segments(text):
            for gram in pairs(segment):
                positions.setdefault((gram, weight), []).append(min(at, MAX_POSITION))
                at += 1
            at += 1
    return " ".join(
        "'{}':{}".format(gram, ",".join(f"{p}{weight}" for p in dict.fromkeys(found)))
        for (gram, weight), found in positions.items()
    )


@dataclass(frozen=True)
class Query:
    """What was searched for, split into segments (empty: nothing to search)."""

    parts: tuple[str, ...]
    any: bool = False  # any of the parts (similar cases) instead of all of them

    @classmethod
    def parse(cls, text: str) -> Query:
        return cls(tuple(s[:MAX_SEGMENT] for s in segments(text[:200])[:MAX_SEGMENTS]))

    @classmethod
    def overlapping(cls, texts: list[str], width: int = 4, most: int = 12) -> Query:
        """Any of the ``width``-character windows of the texts (stepping by half a window): a
        case whose text shares more of them ranks higher."""
        windows: list[str] = []
        for text in texts:
            for segment in segments(text[:400]):
                step = max(1, width // 2)
                windows += [segment[i : i + width] for i in range(0, max(1, len(segment) - width + 1), step)]
        return cls(tuple(dict.fromkeys(w for w in windows if len(w) >= 2))[:most], any=True)

    def leader(self, counts: Mapping[str, float]) -> Query | None:
        """A narrower condition every match of this all-of query meets, to find the matches by:
        for each segment of LEADER_GRAMS pairs or more, its three characters around its rarest
        pair (``counts``: how often each pair occurs; absent: rare). None when there is none.

        Why: both indexes walk every pair of a phrase, so "华桂工程有限公司" read the lists of
        有限, 限公 and 公司 (nearly every case) - at 1,000,000 cases 13 ms on PostgreSQL, 30 ms on
        SQLite; led by 华桂工 0.4 and 13 ms. Matching stays exact: the phrase is still required."""
        if self.any:
            return None
        found = []
        for part in self.parts:
            grams = pairs(part)
            if len(grams) < LEADER_GRAMS:
                continue
            rarest = min(range(len(grams)), key=lambda i: counts.get(grams[i], 0.0))
            before = counts.get(grams[rarest - 1], 0.0) if rarest > 0 else float("inf")
            after = counts.get(grams[rarest + 1], 0.0) if rarest + 1 < len(grams) else float("inf")
            start = rarest if after <= before else rarest - 1
            found.append(part[start : start + 3])
        return Query(tuple(found)) if found else None

    def long_grams(self) -> list[str]:
        """The pairs of the segments :meth:`leader` may lead by (whose counts it wants)."""
        return list(dict.fromkeys(g for p in self.parts for g in pairs(p) if len(p) > LEADER_GRAMS))

    def tsquery(self, *, head_only: bool = False) -> str:
        """The PostgreSQL tsquery literal: each segment a phrase of its pairs, all of them."""
        weight = "A" if head_only else ""

        def one(part: str) -> str:
            if len(part) == 1:
                return f"'{part}':*{weight}"
            return " <-> ".join(f"'{gram}'{':' + weight if weight else ''}" for gram in pairs(part))

        return (" | " if self.any else " & ").join(f"({one(p)})" for p in self.parts)

    def fts(self, *, head_only: bool = False) -> str:
        """The FTS5 query: each segment a phrase of its pairs (one character: a prefix), all."""
        found = (" OR " if self.any else " AND ").join(
            f'"{p}" *' if len(p) == 1 else f'"{" ".join(pairs(p))}"' for p in self.parts
        )
        return f"{{head}} : ({found})" if head_only else found


SNIPPET = 40  # characters of context either side of the first match


def highlight(query: Query, texts: list[str]) -> Markup:
    """An escaped excerpt of the first text that contains a searched segment, every occurrence in
    it marked (``<mark>``); the first text's start when none does (a match across a fold)."""
    for text in texts:
        spans = _spans(query, text)
        if spans:
            start = max(0, spans[0][0] - SNIPPET)
            stop = min(len(text), spans[0][1] + SNIPPET)
            return _marked(text, [s for s in spans if s[0] >= start and s[1] <= stop], start, stop)
    first = next((t for t in texts if t), "")
    return Markup(escape(first[: 2 * SNIPPET]))


def _spans(query: Query, text: str) -> list[tuple[int, int]]:
    """Where the segments occur in ``text`` (original offsets), in order, not overlapping."""
    flat = fold(text)
    if len(flat) == len(text):  # the usual case: folding kept every offset (Chinese, lower case)
        origin = list(range(len(text)))
    else:
        origin = [i for i, ch in enumerate(text) for _ in fold(ch)]
        flat = "".join(fold(ch) for ch in text)
    found: list[tuple[int, int]] = []
    for part in query.parts:
        at = flat.find(part)
        while at != -1:
            found.append((origin[at], origin[at + len(part) - 1] + 1))
            at = flat.find(part, at + len(part))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(found):
        if merged and begin < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def _marked(text: str, spans: list[tuple[int, int]], start: int, stop: int) -> Markup:
    out = [Markup("…") if start > 0 else Markup("")]
    at = start
    for begin, end in spans:
        out.append(escape(text[at:begin]))
        out.append(Markup("<mark>{}</mark>").format(text[begin:end]))
        at = end
    out.append(escape(text[at:stop]))
    out.append(Markup("…") if stop < len(text) else Markup(""))
    return Markup("").join(out)
