"""The dashboard's drill-down: each tile and chart bar links to the cases or tasks behind its figure,
with the same filters; the list has as many rows as the figure says."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app import clock
from tests.web.test_dashboard import NOW, PERIOD, _charts, _tiles, scenario  # noqa: F401  (fixture)


def _rows(html: str) -> list[str]:
    body = re.search(r'<table class="tasks[^"]*drill-list">.*?<tbody>(.*?)</tbody>', html, re.S)
    return re.findall(r'href="/track/([A-Z0-9]+)"', body.group(1)) if body else []


def _links(html: str) -> dict[str, str]:
    found = re.findall(r'href="(/dashboard/list\?[^"]+)"[^>]*data-kpi="([a-z_]+)"', html)
    return {metric: href.replace("&amp;", "&") for href, metric in found}


@pytest.mark.usefixtures("scenario")
def test_every_tile_lists_what_it_counts(pages: Any) -> None:
    browser = pages("director")
    with clock.travel_to(NOW):
        html = browser.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
        tiles, links = _tiles(html), _links(html)
        assert set(links) == {"cases_received", "cases_completed", "overdue_now", "escalated"}
        for metric, href in links.items():
            assert parse_qs(urlsplit(href).query)["from"] == ["2026-10-01"]
            listed = browser.get(href)
            assert listed.status_code == 200, metric
            assert len(_rows(listed.get_data(as_text=True))) == int(tiles[metric]), metric
        received = _rows(browser.get(links["cases_received"]).get_data(as_text=True))
        assert sorted(received) == ["DASH0001", "DASH0002", "DASH0003", "DASH0005"]
        # The escalated tile: the fire review done late with a level-1 escalation.
        assert _rows(browser.get(links["escalated"]).get_data(as_text=True)) == ["DASH0001"]
        assert _rows(
            browser.get(f"/dashboard/list?metric=cases_rejected&{PERIOD}").get_data(as_text=True)
        ) == ["DASH0002"]


@pytest.mark.usefixtures("scenario")
def test_chart_bars_carry_their_own_filter_and_lists_keep_the_page_filters(pages: Any) -> None:
    browser = pages("director", language="zh_CN")
    with clock.travel_to(NOW):
        charts = _charts(browser.get(f"/dashboard?{PERIOD}").get_data(as_text=True))
        assert charts["drill"]["url"] == "/dashboard/list" and charts["drill"]["args"]["from"] == "2026-10-01"
        assert {p["drill"]["process"] for p in charts["processes"]} == {
            "construction_permit",
            "complaint_handling",
        }
        assert {g["drill"]["group"] for g in charts["groups"]} >= {"window", "fire"}
        # The bar of the fire group's overdue tasks (what dashboard.js opens on a click).
        html = browser.get(f"/dashboard/list?metric=overdue&group=fire&{PERIOD}").get_data(as_text=True)
        assert _rows(html) == ["DASH0001"] and "消防审查" in html and "超期" in html
        step = browser.get(
            f"/dashboard/list?metric=tasks_completed&process=construction_permit&step=Task_Acceptance&{PERIOD}"
        )
        assert sorted(_rows(step.get_data(as_text=True))) == ["DASH0001", "DASH0002"]


def test_bad_drill_downs_are_named_and_strangers_refused(pages: Any) -> None:
    browser = pages("director")
    wrong = browser.get("/dashboard/list?metric=nonsense")
    assert wrong.status_code == 400 and "There is no such figure." in wrong.get_data(as_text=True)
    wrong = browser.get("/dashboard/list?metric=overdue&from=2026-13-01")
    assert wrong.status_code == 400 and "YYYY-MM-DD" in wrong.get_data(as_text=True)
    assert pages("clerk").get("/dashboard/list?metric=overdue").status_code == 403
