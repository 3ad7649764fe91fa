"""好差评 in the statistics: the API, the CSV export and the dashboard count the ratings, the poor
ones and their answered follow-ups, per process."""

from __future__ import annotations

from typing import Any

from tests.helpers import submit_permit


def test_a_poor_rating_is_counted_in_the_stats_csv_and_dashboard(api: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    assert api.post(f"/api/v1/cases/{number}/withdraw", "acme", json={"reason": "调整"}).status_code == 200
    rated = api.post(f"/api/v1/cases/{number}/rating", "acme", json={"level": 1, "comment": "慢"})
    assert rated.status_code == 201, rated.get_json()
    other = submit_permit(api, "另一个")["number"]
    api.post(f"/api/v1/cases/{other}/withdraw", "acme", json={"reason": "调整"})
    assert api.post(f"/api/v1/cases/{other}/rating", "acme", json={"level": 4}).status_code == 201

    report = api.get("/api/v1/stats", "director").get_json()
    permit = next(p for p in report["processes"] if p["process"] == "construction_permit")
    assert permit["service_ratings"] == 2 and permit["poor_ratings"] == 1
    assert permit["service_rating_average"] == 2.5 and permit["poor_ratings_answered"] == 0

    csv = api.get("/api/v1/stats?format=csv", "director").get_data(as_text=True)
    assert "好差评数 / Service ratings" in csv.splitlines()[0]
    dashboard = pages("director").get("/dashboard").get_data(as_text=True)
    assert 'data-kpi="service_rating_average">2.5<' in dashboard.replace(" ", "")
