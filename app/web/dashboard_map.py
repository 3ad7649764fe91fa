"""一张图 on the dashboard: the districts' open work (services/district_map.py) beside the city's
district GeoJSON (the demo city's in app/static/geo, or the file `PERMITFLOW_DISTRICT_MAP` names),
served from this platform so the map needs no online tiles. dashboard_map.js draws it with ECharts'
geo support; the table under it carries the same figures and links for every reader."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, url_for
from flask_babel import gettext

from app.models import User
from app.services import district_map
from app.services.district_map import DistrictFigures

from . import common
from .i18n import current_language

SHIPPED = Path(__file__).resolve().parent.parent / "static" / "geo" / "districts.geojson"
# The figures a district is coloured by, with the drill-down list of each (services/stats_drill.py).
MEASURES = {"open_cases": "cases_open", "overdue_tasks": "overdue_now", "open_orders": "cases_open_orders"}


@dataclass(frozen=True)
class DistrictRow:
    code: str
    name: str
    figures: dict[str, int]
    links: dict[str, str]


def geojson_path() -> Path:
    configured = common.settings().district_map
    return Path(configured) if configured else SHIPPED


@functools.lru_cache(maxsize=4)
def _names(path: str, _changed: int) -> dict[str, tuple[str, str]]:
    """Each feature's code and its Chinese and English names (read once per version of the file)."""
    features = json.loads(Path(path).read_text(encoding="utf-8")).get("features") or []
    names: dict[str, tuple[str, str]] = {}
    for feature in features:
        props = feature.get("properties") or {}
        code = str(props.get("code") or props.get("name") or "")
        if code:
            name = str(props.get("name") or code)
            names[code] = (name, str(props.get("name_en") or name))
    return names


def district_names() -> dict[str, str]:
    """The districts of the map, code → name in the page's language."""
    path = geojson_path()
    try:
        found = _names(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError):
        return {}
    english = current_language() == "en"
    return {code: (pair[1] if english else pair[0]) for code, pair in found.items()}


def measure_labels() -> dict[str, str]:
    return {
        "open_cases": gettext("Open cases"),
        "overdue_tasks": gettext("Overdue tasks"),
        "open_orders": gettext("Open rectification orders"),
    }


def _row(code: str, name: str, figures: DistrictFigures | None) -> DistrictRow:
    values = {m: int(getattr(figures, m, 0) or 0) for m in MEASURES}
    links = {
        m: url_for("dashboard.drill_down", metric=metric, district=code) for m, metric in MEASURES.items()
    }
    return DistrictRow(code, name, values, links)


def map_view(user: User) -> dict[str, Any]:
    """What the map section shows and what dashboard_map.js draws (labels already translated)."""
    names = district_names()
    found = {f.district: f for f in district_map.district_figures(common.session(), user)}
    rows = [_row(code, name, found.get(code)) for code, name in names.items()]
    rows += [_row(code, code, f) for code, f in found.items() if code not in names]
    return {
        "rows": rows,
        "labels": measure_labels(),
        "script": {
            "geo": url_for("dashboard.districts_geojson"),
            "labels": {**measure_labels(), "empty": gettext("The district map could not be loaded.")},
            "districts": [
                {"code": r.code, "name": r.name, "values": r.figures, "links": r.links} for r in rows
            ],
        },
    }


def geojson_response() -> Response:
    """The city's district GeoJSON, for the map (cached by the browser for an hour)."""
    path = geojson_path()
    try:
        body = path.read_bytes()
    except OSError:
        return Response(status=404)
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
