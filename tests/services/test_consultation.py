"""加签 (consultation) through the step path: opinion tasks with their own limit, the asking task
held until they are answered or withdrawn, and the refusals (4xx, nothing stored changed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict, Forbidden, InvalidData
from app.models import HumanTask, Notification, TaskState
from app.services import case_procedures, platform, tasks
from tests.helpers import complete_at, open_task, user_named
from tests.services.test_procedures import actions, at, refused, submit


def _fire_review(db: Any) -> tuple[Any, HumanTask]:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    review = open_task(db, case, "Task_FireReview")
    with clock.travel_to(at(16, 11)):
        tasks.claim_task(db, user_named(db, "fire_officer"), review.id)
        db.commit()
    return case, review


def test_the_reviewer_decides_only_after_the_opinions(db: Any) -> None:
    case, review = _fire_review(db)
    officer = user_named(db, "fire_officer")
    with clock.travel_to(at(16, 14)):
        outcome = case_procedures.consult(
            db,
            officer,
            review.id,
            "疏散通道宽度是否符合人防要求？",
            users=["civil_officer"],
            groups=["planning"],
        )
        db.commit()
    asked = list(outcome.opened)
    assert [(t.candidate_group, t.assignee_id is not None) for t in asked] == [
        ("civil_defence", True),
        ("planning", False),
    ]
    due = platform.calendar(db).add_working_days(at(16, 14), 2)
    assert all(t.due_at == due and t.procedure == "consultation" for t in asked)
    civil = user_named(db, "civil_officer")
    mine = tasks.list_inbox(db, civil, tasks.InboxQuery(scope=tasks.InboxScope.MINE)).items
    assert asked[0].id in [t.id for t in mine]
    told = db.scalars(select(Notification.kind).where(Notification.user_id == civil.id)).all()
    assert "consultation.requested" in told
    approve = {"decision": "approve"}
    refused(db, case, Conflict, lambda: tasks.complete_task(db, officer, review.id, approve))
    with clock.travel_to(at(17, 9)):
        tasks.complete_task(db, civil, asked[0].id, {"opinion": "符合，建议加宽至1.4米"})
        db.commit()
    refused(db, case, Conflict, lambda: tasks.complete_task(db, officer, review.id, approve))  # planning
    with clock.travel_to(at(17, 10)):
        case_procedures.withdraw_consultation(db, officer, review.id)
        db.commit()
    db.expire_all()
    states = {t.id: (t.state, t.outcome) for t in case_procedures.consultations_of(db, review)}
    assert states == {
        asked[0].id: (TaskState.COMPLETED, "answered"),
        asked[1].id: (TaskState.CANCELLED, "withdrawn"),
    }
    complete_at(db, case, "Task_FireReview", "fire_officer", approve, at(17, 11))
    assert db.get(HumanTask, review.id).state == TaskState.COMPLETED
    trail = actions(db, case)
    assert trail.index("task.consultation_requested") < trail.index("task.consultation_withdrawn")
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == officer.id)).all()
    assert "consultation.answered" in kinds


def test_consultation_refusals_change_nothing(db: Any) -> None:
    case, review = _fire_review(db)
    officer, planner = user_named(db, "fire_officer"), user_named(db, "planner")

    def ask(user: Any, question: str = "意见？", **kw: Any) -> Any:
        return lambda: case_procedures.consult(db, user, review.id, question, **kw)

    refused(db, case, Forbidden, ask(planner, users=["env_officer"]))  # not the fire review's
    refused(db, case, InvalidData, ask(officer, users=["fire_officer"]))  # oneself
    refused(db, case, InvalidData, ask(officer, users=["nobody"]))
    refused(db, case, InvalidData, ask(officer, groups=["applicant"]))
    refused(db, case, InvalidData, ask(officer))  # nobody named
    refused(db, case, InvalidData, ask(officer, " ", users=["planner"]))
    refused(db, case, InvalidData, ask(officer, users=["planner"], time_limit="soon"))
    refused(db, case, Conflict, lambda: case_procedures.withdraw_consultation(db, officer, review.id))
    with clock.travel_to(at(16, 14)):
        outcome = case_procedures.consult(
            db, officer, review.id, "意见？", users=["planner"], time_limit="1wd"
        )
        db.commit()
    opinion = outcome.opened[0]
    assert opinion.due_at == platform.calendar(db).add_working_days(at(16, 14), 1)
    with pytest.raises(InvalidData):  # an opinion needs its text
        tasks.complete_task(db, planner, opinion.id, {"opinion": ""})
    db.rollback()
    # A consultation is no reviewing step: no 加签 from it.
    refused(
        db, case, Conflict, lambda: case_procedures.consult(db, planner, opinion.id, "?", users=["clerk"])
    )
