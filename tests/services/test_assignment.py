"""Who holds an open task (steps/assignment.py): claim, release and reassign through the step path,
with each refusal naming its reason and changing nothing, and each change audited once."""

from __future__ import annotations

from typing import Any

import pytest

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Case, HumanTask
from app.services import steps
from tests.helpers import case_events, open_task, user_named
from tests.services.test_procedures import MONDAY, refusal, refused, submit


def _task(db: Any) -> tuple[Case, HumanTask]:
    case = submit(db)
    return case, open_task(db, case, "Task_Acceptance")


def _run(db: Any, command: steps.Command) -> None:
    with clock.travel_to(MONDAY):
        steps.advance(db, command)
        db.commit()


def test_a_claim_is_the_first_claimers_and_audited_once(db: Any) -> None:
    case, task = _task(db)
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    _run(db, steps.ClaimTask(task.id, clerk))
    db.refresh(task)
    assert task.assignee_id == clerk.id and task.claimed_at == MONDAY
    _run(db, steps.ClaimTask(task.id, clerk))  # claiming one's own task again changes nothing
    assert len(case_events(db, case, "task.claimed")) == 1
    assert case_events(db, case, "task.claimed")[0].detail == {"task_id": task.id, "task": "Task_Acceptance"}
    with pytest.raises(Conflict, match="^the task is claimed by someone else$"):
        steps.advance(db, steps.ClaimTask(task.id, chief))
    db.rollback()


def test_only_the_holder_or_a_supervisor_releases_a_task(db: Any) -> None:
    case, task = _task(db)
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    _run(db, steps.ReleaseTask(task.id, clerk))  # nobody holds it: nothing to release, nothing audited
    assert case_events(db, case, "task.unclaimed") == []
    _run(db, steps.ClaimTask(task.id, clerk))
    refused(db, case, Conflict, lambda: steps.advance(db, steps.ReleaseTask(task.id, chief)))
    supervisor = steps.ReleaseTask(task.id, chief, may_release_others=lambda t: t.id == task.id)
    _run(db, supervisor)
    db.refresh(task)
    assert task.assignee_id is None and task.claimed_at is None
    (event,) = case_events(db, case, "task.unclaimed")
    assert event.actor_id == chief.id


def test_a_task_is_reassigned_to_a_member_of_its_group(db: Any) -> None:
    case, task = _task(db)
    chief = user_named(db, "window_chief")
    for who in ("nobody", "acme", "planner"):
        refused(
            db,
            case,
            InvalidData,
            lambda who=who: steps.advance(db, steps.ReassignTask(task.id, chief, to_user=who)),
        )
    inactive = user_named(db, "clerk")
    inactive.is_active = False
    db.commit()
    refused(
        db, case, InvalidData, lambda: steps.advance(db, steps.ReassignTask(task.id, chief, to_user="clerk"))
    )
    inactive.is_active = True
    db.commit()
    _run(db, steps.ReassignTask(task.id, chief, to_user="clerk", reason="熟悉此项目" * 500))
    db.refresh(task)
    assert task.assignee_id == inactive.id and task.claimed_at == MONDAY and task.candidate_group == "window"
    (event,) = case_events(db, case, "task.reassigned")
    assert event.detail["from_user_id"] is None and event.detail["from_group"] == "window"
    assert event.detail["to_user"] == "clerk" and event.detail["to_group"] == "window"
    assert event.detail["reason"] == ("熟悉此项目" * 500)[:2000]


def test_a_task_is_moved_to_another_group_unassigned(db: Any) -> None:
    case, task = _task(db)
    chief, clerk = user_named(db, "window_chief"), user_named(db, "clerk")
    _run(db, steps.ClaimTask(task.id, clerk))
    for group in ("no_such_group", "applicant"):
        refused(
            db,
            case,
            InvalidData,
            lambda group=group: steps.advance(db, steps.ReassignTask(task.id, chief, to_group=group)),
        )
    _run(db, steps.ReassignTask(task.id, chief, to_group="planning"))
    db.refresh(task)
    assert task.candidate_group == "planning" and task.assignee_id is None and task.claimed_at is None
    (event,) = case_events(db, case, "task.reassigned")
    assert event.detail["from_user_id"] == clerk.id and event.detail["to_group"] == "planning"
    assert "reason" not in event.detail


def test_a_closed_task_cannot_be_claimed(db: Any) -> None:
    case, task = _task(db)
    clerk = user_named(db, "clerk")
    _run(db, steps.CompleteTask(task.id, {"decision": "accept"}, clerk))
    refused(db, case, Conflict, lambda: steps.advance(db, steps.ClaimTask(task.id, clerk)))


# What each command hands back and what its refusals say (the API shows both): exact messages, the
# field they name, the outcome's case and task, and who the audit trail names.


def test_each_assignment_command_hands_back_its_case_and_task(db: Any) -> None:
    case, task = _task(db)
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    with clock.travel_to(MONDAY):
        for command in (
            steps.ClaimTask(task.id, clerk),
            steps.ReleaseTask(task.id, clerk),
            steps.ReassignTask(task.id, chief, to_user="clerk"),
        ):
            outcome = steps.advance(db, command)
            assert (outcome.case.id, outcome.task.id) == (case.id, task.id)
        db.commit()
    (claimed,) = case_events(db, case, "task.claimed")
    assert claimed.actor_id == clerk.id
    (reassigned,) = case_events(db, case, "task.reassigned")
    assert reassigned.actor_id == chief.id
    assert reassigned.detail["task_id"] == task.id and reassigned.detail["task"] == "Task_Acceptance"


def test_a_release_by_another_says_the_task_is_held(db: Any) -> None:
    case, task = _task(db)
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    _run(db, steps.ClaimTask(task.id, clerk))
    err = refusal(db, case, Conflict, steps.ReleaseTask(task.id, chief))
    assert str(err) == "the task is claimed by someone else"


def test_reassignment_refusals_name_the_field(db: Any) -> None:
    case, task = _task(db)
    chief = user_named(db, "window_chief")
    unknown = {"user": ["no such active staff member"]}
    for who in ("nobody", "acme"):
        err = refusal(db, case, InvalidData, steps.ReassignTask(task.id, chief, to_user=who))
        assert (err.message, err.errors) == ("no such active staff member", unknown)
    err = refusal(db, case, InvalidData, steps.ReassignTask(task.id, chief, to_user="planner"))
    assert err.message == "the user is not a member of the task's group"
    assert err.errors == {"user": ["is not a member of the task's group"]}
    for group in ("no_such_group", "applicant"):
        err = refusal(db, case, InvalidData, steps.ReassignTask(task.id, chief, to_group=group))
        assert (err.message, err.errors) == ("no such group", {"group": ["no such group"]})
