"""How PostgreSQL finds a query's newest matches (services/search.py, services/search_stats.py):
walking the cases newest first when many match, taking the bigram index's matches when few do.
Both ways answer the same cases in the same order; only their cost differs."""

from __future__ import annotations

from time import monotonic
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from app.services import platform, search
from app.services.search_stats import PairShares, PairStatistics
from app.services.search_text import Query
from tests.ci_guard import not_applicable
from tests.helpers import submit_permit, user_named

SHARES = PairShares({"北湖": 0.08, "湖区": 0.08, "翠湖": 0.004}, floor=0.002, rows=1_000_000)


def test_a_query_is_as_common_as_its_rarest_pair_and_segments_are_independent() -> None:
    assert SHARES.share("北湖") == 0.08
    assert SHARES.share("不在统计里") == 0.001  # rarer than the least common listed pair
    assert SHARES.expected_matches([["北湖", "湖区"]]) == pytest.approx(80_000)
    assert SHARES.expected_matches([["北湖", "翠湖"]]) == pytest.approx(4_000)
    assert SHARES.expected_matches([["北湖"], ["翠湖"]]) == pytest.approx(320)
    assert SHARES.expected_matches([["北湖"], ["翠湖"]], any_of=True) == pytest.approx(84_000)
    assert SHARES.expected_matches([["北湖"]] * 20, any_of=True) == pytest.approx(1_000_000)  # at most all
    assert SHARES.expected_matches([[]]) == pytest.approx(1_000_000)  # one character: a prefix of many
    assert SHARES.expected_matches([]) == 0.0
    assert PairShares({}, 0.0, 0.0).expected_matches([["北湖"]]) == 0.0


def test_the_statistics_are_read_once_and_again_after_their_time(api: Any, db: Any) -> None:
    if db.get_bind().dialect.name == "sqlite":
        not_applicable("PostgreSQL's statistics")
    stats = PairStatistics()
    first = stats.current(db)
    for name in ("统计测试甲", "统计测试乙", "统计测试丙"):
        submit_permit(api, name)
    db.commit()
    db.execute(text("ANALYZE case_search"))
    assert stats.current(db) is first  # not read again before its time
    stats._loaded_at = monotonic() - 10_000
    again = stats.current(db)
    assert again is not first and again.rows >= 3
    assert again.share("统计") == pytest.approx(1.0, abs=0.5)  # in every case indexed here
    assert 0 < again.floor <= 1


def _use(db: Any, monkeypatch: Any, shares: PairShares) -> None:
    stats = PairStatistics(_current=shares, _loaded_at=monotonic() + 10_000)
    monkeypatch.setattr(platform.of(db), "pair_statistics", stats)


def _sql(db: Any, q: str) -> str:
    statement = search.candidates(db, Query.parse(q), [])
    return str(statement.compile(dialect=postgresql.dialect()))


def test_common_queries_walk_the_newest_cases_and_rare_ones_take_the_index(db: Any, monkeypatch: Any) -> None:
    if db.get_bind().dialect.name == "sqlite":
        not_applicable("the plan choice is PostgreSQL's (SQLite's FTS5 answers in rowid order)")
    _use(db, monkeypatch, SHARES)
    common, rare = _sql(db, "北湖"), _sql(db, "翠湖")
    assert "ORDER BY case_search.case_id DESC" in common and "case_id + " not in common
    assert "ORDER BY case_search.case_id + " in rare
    assert "case_id + " not in _sql(db, "北")  # one character: a prefix of very many pairs
    # sqrt(501 x 1,000,000) = 22,383: a share of 0.03 is above, 0.01 below.
    _use(db, monkeypatch, PairShares({"翠湖": 0.03}, 0.002, 1_000_000))
    assert "case_id + " not in _sql(db, "翠湖")
    _use(db, monkeypatch, PairShares({"翠湖": 0.01}, 0.002, 1_000_000))
    assert "case_id + " in _sql(db, "翠湖")
    _use(db, monkeypatch, PairShares({}, 0.0, 0.0))  # never analysed: the index's matches
    assert "case_id + " in _sql(db, "北湖")
    # The rank is computed on the chosen candidates, outside the statement that finds them.
    assert _sql(db, "翠湖").count("ts_rank") == 1 and "LIMIT" in _sql(db, "翠湖")


def test_both_ways_find_the_same_cases_in_the_same_order(api: Any, db: Any, monkeypatch: Any) -> None:
    if db.get_bind().dialect.name == "sqlite":
        not_applicable("the plan choice is PostgreSQL's")
    numbers = [
        submit_permit(api, name)["number"] for name in ("北湖翠湖苑", "翠湖花园", "北湖新城", "翠湖翠湖广场")
    ]
    planner = user_named(db, "planner")
    answers = []
    for shares in (PairShares({"翠湖": 0.9}, 0.5, 1_000_000), PairShares({}, 0.0, 0.0)):
        _use(db, monkeypatch, shares)
        page = search.search_cases(db, planner, search.SearchQuery(q="翠湖"))
        answers.append([hit.number for hit in page.items])
    assert answers[0] == answers[1]
    assert set(answers[0]) == {numbers[0], numbers[1], numbers[3]}
    assert answers[0][0] == numbers[3]  # twice in its name: ranked first


def test_a_long_query_found_by_its_rare_part_still_needs_the_whole_phrase(api: Any, db: Any) -> None:
    """Led by its rarest three characters (SQLite: the phrase then checked on those rows, folded
    as the index folds; PostgreSQL: ts_match_vq), a long segment matches exactly what the whole
    phrase matches, in either database."""
    whole = submit_permit(api, "青山ABC甲乙丙丁戊大楼")["number"]
    # 丙丁 is the rarest pair of 甲乙丙丁戊 (the others are in the fillers too): this case holds
    # the three characters the query is led by, not the phrase.
    part = submit_permit(api, "乙丙丁戊己广场")["number"]
    for name in ("甲乙花园", "乙丙新村", "丁戊小区") * 2:
        submit_permit(api, name)
    planner = user_named(db, "planner")

    def found(q: str) -> set[str]:
        page = search.search_cases(db, planner, search.SearchQuery(q=q))
        return {hit.number for hit in page.items}

    assert found("甲乙丙丁戊") == {whole}
    assert found("ａｂｃ甲乙丙丁戊") == {whole}  # full-width and upper case fold alike
    assert found("丙丁戊") == {whole, part}  # short: no leader, the index's phrase
    assert found("乙丙丁戊己") == {part}


def test_sqlites_folding_function_folds_as_the_index_does() -> None:
    from app.db import _fold
    from app.services.search_text import fold

    for written in ("ＡＢＣ翠湖", "Straße", "①②", "ﬁ", ""):
        assert _fold(written) == fold(written)
    assert _fold(None) is None
