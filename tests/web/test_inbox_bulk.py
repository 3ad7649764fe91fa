"""The inbox page's bulk bar and "claim next": ticked tasks claimed each on its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import HumanTask, User
from tests.helpers import inbox_task, submit_permit


def test_bulk_claim_from_the_inbox_and_claim_next(api: Any, pages: Any, db: Any) -> None:
    ids = [inbox_task(api, "clerk", submit_permit(api, f"批量{i}")["number"])["id"] for i in range(3)]
    api.post(f"/api/v1/tasks/{ids[1]}/claim", "window_chief")
    clerk = pages("clerk")
    html = clerk.get("/inbox").get_data(as_text=True)
    assert 'id="bulk-form"' in html and f'name="ids" value="{ids[0]}"' in html and "Claim next" in html
    done = clerk.post(
        "/inbox/bulk", {"action": "claim", "ids": [str(ids[0]), str(ids[1])]}, follow_redirects=True
    )
    text = done.get_data(as_text=True)
    assert "1 of 2 tasks done." in text and f"tasks {ids[1]}." in text
    opened = clerk.post("/inbox/claim-next")
    assert opened.headers["Location"].endswith(f"/tasks/{ids[2]}")
    db.expire_all()
    owners = dict(
        db.execute(
            select(HumanTask.id, User.username)
            .join(User, User.id == HumanTask.assignee_id)
            .where(HumanTask.id.in_(ids))
        )
        .tuples()
        .all()
    )
    db.rollback()
    assert owners == {ids[0]: "clerk", ids[1]: "window_chief", ids[2]: "clerk"}
