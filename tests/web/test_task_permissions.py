"""The task page's buttons and the API's answers come from one function, `task_permissions`, for
every role a user can have to a task: candidate, assignee, another member of the group, the
group's supervisor, a member of another group, and the applicant."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import HumanTask
from app.services import task_access
from app.services.task_access import TaskPermissions
from tests.helpers import inbox_task, snapshot, submit_permit, user_named

NONE = {"view": False, "claim": False, "release": False, "complete": False, "reassign": False}

# The Task_Acceptance of a new permit (group `window`: clerk, and window_chief supervising it),
# unclaimed, claimed by the clerk, or claimed by the chief. (state, user, role, what they may do)
MATRIX = [
    ("unclaimed", "clerk", "candidate", {**NONE, "view": True, "claim": True, "complete": True}),
    (
        "unclaimed",
        "window_chief",
        "supervisor",
        {**NONE, "view": True, "claim": True, "complete": True, "reassign": True},
    ),
    ("unclaimed", "planner", "other group", NONE),
    ("unclaimed", "acme", "applicant", NONE),
    ("clerk", "clerk", "assignee", {**NONE, "view": True, "release": True, "complete": True}),
    ("clerk", "window_chief", "supervisor", {**NONE, "view": True, "release": True, "reassign": True}),
    ("clerk", "planner", "other group", NONE),
    ("clerk", "acme", "applicant", NONE),
    ("window_chief", "clerk", "other member", {**NONE, "view": True}),
]

BUTTONS = {
    "claim": "Claim</button>",
    "release": "Release to the group</button>",
    "complete": "Submit and open the next task</button>",
    "reassign": "Reassign (supervisor)",
}


def _task(api: Any, claimed_by: str) -> tuple[str, int]:
    number = submit_permit(api)["number"]
    task_id = inbox_task(api, "clerk", number)["id"]
    if claimed_by != "unclaimed":
        assert api.post(f"/api/v1/tasks/{task_id}/claim", claimed_by).status_code == 200
    return number, task_id


def _permissions(db: Any, username: str, task_id: int) -> TaskPermissions:
    db.expire_all()
    allowed = task_access.task_permissions(db, user_named(db, username), db.get(HumanTask, task_id))
    db.rollback()
    return allowed


@pytest.mark.parametrize(
    ("state", "username", "role", "expected"), MATRIX, ids=[f"{m[0]}-{m[2]}" for m in MATRIX]
)
def test_page_buttons_and_api_answers_follow_the_permissions(
    api: Any, db: Any, pages: Any, state: str, username: str, role: str, expected: dict[str, bool]
) -> None:
    number, task_id = _task(api, state)
    allowed = _permissions(db, username, task_id)
    assert {action: getattr(allowed, action) for action in NONE} == expected, role

    page = pages(username).get(f"/tasks/{task_id}")
    detail = api.get(f"/api/v1/tasks/{task_id}", username)
    assert page.status_code == detail.status_code == (200 if allowed.view else 403)
    html = page.get_data(as_text=True)
    for action, button in BUTTONS.items():
        assert (button in html) is getattr(allowed, action), f"{role}: {action}"

    # What the permissions refuse, the API refuses too, and nothing changes. (Claiming one's own
    # task again, or releasing an unclaimed one, are allowed no-ops and left out.)
    before = snapshot(db, number)
    attempts = {
        "claim": (f"/api/v1/tasks/{task_id}/claim", {}),
        "release": (f"/api/v1/tasks/{task_id}/unclaim", {}),
        "complete": (f"/api/v1/tasks/{task_id}/complete", {"json": {"data": {"decision": "accept"}}}),
        "reassign": (f"/api/v1/tasks/{task_id}/reassign", {"json": {"user": "clerk"}}),
    }
    no_ops = {"claim": allowed.assignee, "release": state == "unclaimed" and allowed.view}
    for action, (path, kwargs) in attempts.items():
        if getattr(allowed, action) or no_ops.get(action):
            continue
        response = api.post(path, username, **kwargs)
        assert response.status_code in (403, 409), f"{role}: {action} -> {response.status_code}"
    assert snapshot(db, number) == before


def test_both_edges_ask_the_same_function(api: Any, pages: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever `task_permissions` answers is what the page shows and the API serves."""
    _number, task_id = _task(api, "unclaimed")
    everything = TaskPermissions(
        candidate=True,
        supervisor=True,
        assignee=False,
        view=True,
        claim=True,
        release=True,
        complete=True,
        reassign=True,
    )
    monkeypatch.setattr("app.services.tasks.task_permissions", lambda *_a: everything)
    html = pages("planner").get(f"/tasks/{task_id}").get_data(as_text=True)  # another group
    assert all(button in html for button in BUTTONS.values())
    assert api.get(f"/api/v1/tasks/{task_id}", "planner").status_code == 200

    nothing = TaskPermissions(**{**vars(everything), **NONE, "candidate": False, "supervisor": False})
    monkeypatch.setattr("app.services.tasks.task_permissions", lambda *_a: nothing)
    assert pages("clerk").get(f"/tasks/{task_id}").status_code == 403
    assert api.get(f"/api/v1/tasks/{task_id}", "clerk").status_code == 403
