"""超时默认 in the parallel review (processes/parallel_review.bpmn): an agency that has not decided
by the close of the working day after its due time (the overdue escalation came in between) is
recorded as 默认同意 (deemed consent), named; the lead (window) group and the
agency's supervisors are told; the review goes on. The clock is controlled."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import clock
from app.models import AuditEvent, Case, HumanTask, Notification, TaskState, User
from app.services import cases, platform
from app.services.demo import permit_application
from tests.helpers import complete_at, fire_at, open_task, user_named

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH)


def _reviewing(db: Any) -> Case:
    with clock.travel_to(at(16, 9)):
        case = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application("默认")
        ).case
        db.commit()
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    for bpmn_id, who in (("Task_PlanningReview", "planner"), ("Task_FireReview", "fire_officer")):
        complete_at(db, case, bpmn_id, who, {"decision": "approve"}, at(17, 10))
    return case


def test_an_agency_that_misses_its_limit_is_deemed_to_consent(db: Any) -> None:
    case = _reviewing(db)
    review = open_task(db, case, "Task_EnvironmentReview")
    due, review_id = review.due_at, review.id
    db.rollback()
    assert due is not None
    # Overdue at its due time (escalated), deemed to consent at the close of the next working day.
    fire_at(db, case, due + timedelta(minutes=1))
    assert open_task(db, case, "Task_EnvironmentReview").id == review_id
    deemed_at = platform.calendar(db).add_working_days(due, 1)
    db.rollback()
    fire_at(db, case, deemed_at - timedelta(minutes=5))
    assert open_task(db, case, "Task_EnvironmentReview").id == review_id
    fire_at(db, case, deemed_at + timedelta(minutes=1))

    db.expire_all()
    missed = db.get(HumanTask, review_id)
    assert missed is not None and missed.state == TaskState.CANCELLED and missed.outcome == "deemed_consent"
    stored = db.get(Case, case.id)
    assert stored is not None
    assert stored.data["environment_review"]["decision"] == "approve"
    assert stored.data["environment_review"]["deemed_consent"] is True
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "review.deemed_consent")
    )
    assert event is not None and event.detail["agency"] == "environment"
    told = set(
        db.scalars(
            select(User.username)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.case_id == case.id, Notification.kind == "review.deemed_consent")
        )
    )
    assert "clerk" in told  # the lead (window) group
    assert told - {"clerk", "window_chief"}  # and the environment agency's supervisor
    # The case shows it: the agency's step ended as deemed consent.
    view = cases.public_view(db, stored, with_data=False)
    assert any(s.outcome == "deemed_consent" and s.group == "environment" for s in view.timeline)
    # The review went on: every agency agreed, so the decision is open.
    assert open_task(db, case, "Task_Decision").state == TaskState.OPEN


def test_an_agency_that_decides_in_time_is_not_deemed(db: Any) -> None:
    case = _reviewing(db)
    review = open_task(db, case, "Task_EnvironmentReview")
    due = review.due_at
    db.rollback()
    assert due is not None
    complete_at(db, case, "Task_EnvironmentReview", "env_officer", {"decision": "approve"}, at(17, 11))
    fire_at(db, case, due + timedelta(days=3))
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "review.deemed_consent" not in actions
    db.rollback()
