"""The bureau's inbox page: a leader's "all" tab lists the tasks escalated to the bureau."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from tests.api.test_bureau_scope import _escalating_acceptance
from tests.helpers import fire_at, open_task


def test_the_bureau_inbox_page_lists_the_escalated_task(db: Any, pages: Any) -> None:
    case_id, level_one, level_two = _escalating_acceptance(db)
    fire_at(db, case_id, level_one)
    fire_at(db, case_id, level_two)
    fire_id = open_task(db, case_id, "Task_Acceptance").id
    db.rollback()
    with clock.travel_to(level_two + timedelta(minutes=30)):
        html = pages("director").get("/inbox?scope=all").get_data(as_text=True)
        assert f"/tasks/{fire_id}" in html and "Escalated to bureau" in html
        assert pages("director").get(f"/tasks/{fire_id}").status_code == 200
