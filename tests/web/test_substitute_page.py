"""The substitute page (委托): name one, see it, a clash refused with the reason, end it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app import clock


def test_name_and_end_a_substitute(pages: Any) -> None:
    planner = pages("planner")
    page = "/inbox/substitute"
    assert "No substitute is set." in planner.get(page).get_data(as_text=True)
    # The bureau's date (Asia/Shanghai), not UTC's: from 16:00 UTC on they differ.
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    form = {"for": "planner", "user": "env_officer", "from": today, "to": today, "process": ""}
    assert planner.post(page, form, page=page).status_code == 302
    html = planner.get(page).get_data(as_text=True)
    assert 'id="substitutions"' in html
    clash = planner.post(page, {**form, "user": "fire_officer"}, page=page)
    assert clash.status_code == 409 and "already set for part of this period" in clash.get_data(as_text=True)
    assert planner.post(f"{page}/end", {"for": "planner"}, page=page).status_code == 302
    assert "No substitute is set." in planner.get(page).get_data(as_text=True)
    assert pages("acme").get(page).status_code == 403
