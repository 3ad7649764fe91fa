"""The case search finds a long phrase by its rarest part first (services/search_text.py
`Query.leader`): the part is always inside the phrase, so matching stays exact."""

from __future__ import annotations

from app.services.search_text import Query


def test_a_long_segment_is_led_by_the_three_characters_around_its_rarest_pair() -> None:
    query = Query.parse("华桂工程有限公司 北湖")
    counts = {
        "华桂": 900.0,
        "桂工": 40.0,
        "工程": 1000.0,
        "程有": 1000.0,
        "有限": 1000.0,
        "限公": 1000.0,
        "公司": 1000.0,
    }
    lead = query.leader(counts)
    assert lead is not None and lead.parts == ("华桂工",)  # 桂工 is rarest, 华桂 the rarer neighbour
    assert all(part in "华桂工程有限公司" for part in lead.parts)
    # The rarest pair last: led by it and the pair before it.
    assert Query.parse("华桂工程有限公司").leader({**counts, "桂工": 50.0, "公司": 0.5}).parts == ("限公司",)  # type: ignore[union-attr]


def test_short_segments_and_any_of_queries_have_no_leader() -> None:
    assert Query.parse("北湖 滨江路").leader({}) is None
    assert Query.overlapping(["滨江路88号工地门口"]).leader({}) is None
    assert Query.parse("滨江路88号").long_grams() == ["滨江", "江路", "路8", "88", "8号"]
