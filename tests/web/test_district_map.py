"""一张图: the dashboard's district map counts each district's open cases, overdue tasks and open
rectification orders (a case's district is its data's `district`), serves the city's GeoJSON from the
platform (the shipped demo city, or the file the setting names), and every figure drills down to
the list behind it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app import clock, edge
from app.services import demo_inspection
from app.web import common
from tests.helpers import submit_permit


def _order(api: Any, project: str, district: str) -> str:
    data = {**demo_inspection.rectification_order(project, "major"), "district": district}
    response = api.post("/api/v1/cases", "inspector", json={"process": "rectification_order", "data": data})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["number"])


@pytest.fixture
def spread(api: Any) -> dict[str, list[str]]:
    """Two open permits in 高新区 (one with its acceptance overdue), one in 南山区, and an open
    rectification order in 高新区."""
    with clock.travel_to(clock.now() - timedelta(days=10)):
        late = submit_permit(api, "高新区甲", district="gaoxin")["number"]
    return {
        "gaoxin": [late, submit_permit(api, "高新区乙", district="gaoxin")["number"]],
        "nanshan": [submit_permit(api, "南山区丙", district="nanshan")["number"]],
        "order": [_order(api, "高新区工地", "gaoxin")],
        "late": [late],
    }


def _map_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="district-map-data">(.*?)</script>', html, re.S)
    assert found, "no map data"
    return dict(json.loads(found.group(1)))


def _listed(html: str) -> list[str]:
    body = re.search(r'<table class="tasks[^"]*drill-list">.*?<tbody>(.*?)</tbody>', html, re.S)
    return sorted(set(re.findall(r'href="/track/([A-Z0-9-]+)"', body.group(1)))) if body else []


def test_each_district_counts_its_open_work_and_drills_down(pages: Any, spread: dict[str, list[str]]) -> None:
    director = pages("director")
    html = director.get("/dashboard").get_data(as_text=True)
    data = _map_data(html)
    assert data["geo"] == "/dashboard/districts.geojson"
    districts = {d["code"]: d for d in data["districts"]}
    # Every district of the shipped demo city is on the map, with or without open work.
    assert set(districts) == {"dongcheng", "xicheng", "nanshan", "beihu", "gaoxin", "jingkai"}
    assert districts["gaoxin"]["name"] == "Gaoxin (High-tech Zone)"
    assert districts["gaoxin"]["values"] == {"open_cases": 3, "overdue_tasks": 1, "open_orders": 1}
    assert districts["nanshan"]["values"] == {"open_cases": 1, "overdue_tasks": 0, "open_orders": 0}
    assert districts["beihu"]["values"] == {"open_cases": 0, "overdue_tasks": 0, "open_orders": 0}
    assert 'data-district="gaoxin"' in html and "District map" in html

    links = districts["gaoxin"]["links"]
    assert _listed(director.get(links["open_cases"]).get_data(as_text=True)) == sorted(
        spread["gaoxin"] + spread["order"]
    )
    assert _listed(director.get(links["open_orders"]).get_data(as_text=True)) == spread["order"]
    late = director.get(links["overdue_tasks"]).get_data(as_text=True)
    assert _listed(late) == spread["late"] and "Gaoxin (High-tech Zone)" in late
    assert _listed(director.get(districts["nanshan"]["links"]["open_orders"]).get_data(as_text=True)) == []


def test_the_geojson_is_the_platforms_own_or_the_citys_file(
    pages: Any, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    director = pages("director", language="zh_CN")
    shipped = director.get("/dashboard/districts.geojson")
    assert shipped.status_code == 200 and shipped.mimetype == "application/geo+json"
    features = json.loads(shipped.get_data())["features"]
    assert {f["properties"]["code"] for f in features} >= {"beihu", "gaoxin"}
    city = tmp_path / "city.geojson"
    feature = {"type": "Feature", "properties": {"code": "lakeside", "name": "湖滨区"}, "geometry": None}
    city.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    settings = replace(edge.of(app).settings, district_map=str(city))
    monkeypatch.setattr(common, "settings", lambda: settings)
    assert json.loads(director.get("/dashboard/districts.geojson").get_data())["features"] == [feature]
    codes = [d["code"] for d in _map_data(director.get("/dashboard").get_data(as_text=True))["districts"]]
    assert codes == ["lakeside"]
    # Reviewers see no dashboard, so neither its map nor its GeoJSON.
    assert pages("planner").get("/dashboard/districts.geojson").status_code == 403
