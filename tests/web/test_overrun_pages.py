"""Statutory overrun on the pages: the inbox, My cases, the status page and the task page flag a
case past its overall limit; before the limit (and while its clock stands still) nothing does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.models import Case
from tests.helpers import inbox_task, submit_permit


def test_pages_flag_a_case_past_its_statutory_limit(api: Any, db: Any, pages: Any) -> None:
    number = submit_permit(api)["number"]
    due = db.scalar(select(Case.due_at).where(Case.number == number))
    db.rollback()
    task = inbox_task(api, "clerk", number)
    clerk, acme = pages("clerk"), pages("acme")
    marks = {
        (clerk, f"/inbox?q={number}"): "Case past its statutory limit",
        (acme, "/my/cases"): "Past the statutory limit",
        (acme, f"/track/{number}"): 'id="case-overrun"',
        (clerk, f"/tasks/{task['id']}"): 'id="case-overrun"',
    }
    with clock.travel_to(due - timedelta(minutes=5)):
        for (client, url), mark in marks.items():
            assert mark not in client.get(url).get_data(as_text=True), url
    with clock.travel_to(due + timedelta(minutes=5)):
        for (client, url), mark in marks.items():
            assert mark in client.get(url).get_data(as_text=True), url
        assert api.get(f"/api/v1/cases/{number}", "acme").get_json()["overrun"] is True
