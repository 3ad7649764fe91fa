"""The bureau's inbox page: a leader's "all" tab lists the tasks escalated to the bureau."""

from __future__ import annotations

from typing import Any

from app import clock
from tests.api.test_bureau_scope import _at, _two_reviews
from tests.helpers import fire_at, open_task


def test_the_bureau_inbox_page_lists_the_escalated_task(db: Any, pages: Any) -> None:
    case_id = _two_reviews(db)
    fire_at(db, case_id, _at(23, 17, 31))
    fire_at(db, case_id, _at(26, 9))
    fire_id = open_task(db, case_id, "Task_FireReview").id
    db.rollback()
    with clock.travel_to(_at(26, 10)):
        html = pages("director").get("/inbox?scope=all").get_data(as_text=True)
        assert f"/tasks/{fire_id}" in html and "Escalated to bureau" in html
        assert pages("director").get(f"/tasks/{fire_id}").status_code == 200
