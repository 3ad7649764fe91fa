"""Administrative procedures through the step path, with the clock controlled: 挂起/恢复, 撤回, 延期,
催办, 督办 and 好差评, each with its refusals (a 4xx naming the reason, nothing stored changed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import clock
from app.errors import Conflict, Forbidden, InvalidData, TooManyRequests
from app.models import AuditEvent, Case, CaseStatus, HumanTask, Notification, ServiceRating, TaskState, Timer
from app.services import case_procedures, cases, platform, tasks
from app.services.demo import permit_application
from tests.helpers import complete_at, open_task, snapshot, user_named

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def submit(db: Any) -> Case:
    with clock.travel_to(MONDAY):
        case = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application("程序")
        ).case
        db.commit()
    return case


def fresh(db: Any, case: Case) -> Case:
    db.expire_all()
    found = db.get(Case, case.id)
    assert found is not None
    return found


def actions(db: Any, case: Case) -> list[str]:
    return list(
        db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    )


def refused(db: Any, case: Case, error: type[Exception], call: Any) -> None:
    """``call`` is refused with ``error`` and nothing stored about the case changes."""
    before = snapshot(db, case.number)
    with pytest.raises(error):
        call()
    db.rollback()
    assert snapshot(db, case.number) == before


def refusal(db: Any, case: Case, error: type[Exception], command: Any) -> Any:
    """The ``error`` that refuses the step-path ``command``, with nothing stored changed."""
    from app.services import steps

    caught: list[Any] = []

    def call() -> None:
        try:
            steps.advance(db, command)
        except error as err:
            caught.append(err)
            raise

    refused(db, case, error, call)
    return caught[0]


def test_suspension_moves_the_due_date_by_exactly_the_stop(db: Any) -> None:
    case = submit(db)
    due = fresh(db, case).due_at
    clerk = user_named(db, "clerk")
    with clock.travel_to(at(16, 10)):  # Monday
        case_procedures.suspend_case(db, clerk, case.number, "expert_review", "专家论证")
        db.commit()
    suspended = fresh(db, case)
    assert suspended.clock_pauses[-1]["kind"] == "suspension"
    assert suspended.clock_pauses[-1]["code"] == "expert_review"
    with clock.travel_to(at(19, 10)):  # Thursday: Tuesday, Wednesday, Thursday stood still
        case_procedures.resume_case(db, clerk, case.number)
        db.commit()
    resumed = fresh(db, case)
    cal = platform.calendar(db)
    assert resumed.due_at == cal.add_working_days(due, 3)
    assert resumed.clock_pauses[-1]["to"] is not None
    assert actions(db, case)[-2:] == ["case.suspended", "case.resumed"]
    told = db.scalars(select(Notification.kind).where(Notification.case_id == case.id)).all()
    assert {"case.suspended", "case.resumed"} <= set(told)


def test_suspension_refusals_change_nothing(db: Any) -> None:
    case = submit(db)
    clerk, planner = user_named(db, "clerk"), user_named(db, "planner")
    refused(db, case, Forbidden, lambda: case_procedures.suspend_case(db, planner, case.number, "hearing"))
    refused(db, case, InvalidData, lambda: case_procedures.suspend_case(db, clerk, case.number, "holiday"))
    refused(db, case, Conflict, lambda: case_procedures.resume_case(db, clerk, case.number))
    case_procedures.suspend_case(db, clerk, case.number, "hearing")
    db.commit()
    refused(db, case, Conflict, lambda: case_procedures.suspend_case(db, clerk, case.number, "testing"))


def test_a_long_suspension_tells_the_supervisors(db: Any) -> None:
    from app.services import timers

    case = submit(db)
    with clock.travel_to(at(16, 10)):
        case_procedures.suspend_case(db, user_named(db, "clerk"), case.number, "appraisal")
        db.commit()
    notice = db.scalar(
        select(Timer.due_at).where(Timer.case_id == case.id, Timer.kind == "suspension_notice")
    )
    assert notice == platform.calendar(db).add_working_days(at(16, 10), 20)
    db.rollback()
    with clock.travel_to(notice):
        timers.fire_due(db, case.id)
        db.commit()
    assert "case.suspension_overlong" in actions(db, case)
    chief = user_named(db, "window_chief")
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == chief.id)).all()
    assert "case.suspension_overlong" in kinds


def test_the_applicant_withdraws_once(db: Any) -> None:
    case = submit(db)
    acme, clerk = user_named(db, "acme"), user_named(db, "clerk")
    refused(db, case, Forbidden, lambda: case_procedures.withdraw_case(db, clerk, case.number, "不办了"))
    refused(db, case, InvalidData, lambda: case_procedures.withdraw_case(db, acme, case.number, "  "))
    with clock.travel_to(at(17, 9)):
        case_procedures.withdraw_case(db, acme, case.number, "项目取消")
        db.commit()
    done = fresh(db, case)
    assert done.status == CaseStatus.WITHDRAWN and done.completed_at is not None
    assert done.working_days is not None
    states = db.scalars(select(HumanTask.state).where(HumanTask.case_id == case.id)).all()
    assert set(states) == {TaskState.CANCELLED}
    unfired = db.scalar(
        select(func.count())
        .select_from(Timer)
        .where(Timer.case_id == case.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
    )
    assert unfired == 0
    refused(db, case, Conflict, lambda: case_procedures.withdraw_case(db, acme, case.number, "再撤一次"))


def test_an_extension_is_asked_once_and_approved_by_the_supervisor(db: Any) -> None:
    case = submit(db)
    due = fresh(db, case).due_at
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    refused(
        db, case, InvalidData, lambda: case_procedures.request_extension(db, clerk, case.number, 11, "太忙")
    )
    with clock.travel_to(at(16, 11)):
        task = case_procedures.request_extension(db, clerk, case.number, 5, "需现场核查").task
        db.commit()
    assert task is not None and task.procedure == "extension_approval"
    refused(db, case, Conflict, lambda: case_procedures.request_extension(db, clerk, case.number, 2, "再延"))
    with pytest.raises(Forbidden):  # the clerk is no supervisor
        tasks.complete_task(db, clerk, task.id, {"decision": "approve"})
    db.rollback()
    with clock.travel_to(at(16, 14)):
        tasks.complete_task(db, chief, task.id, {"decision": "approve", "comment": "同意"})
        db.commit()
    extended = fresh(db, case)
    assert extended.extension_days == 5
    assert extended.due_at == platform.calendar(db).add_working_days(due, 5)
    assert "case.extended" in actions(db, case)
    assert open_task(db, case, "Task_Acceptance").state == TaskState.OPEN  # the BPMN task is untouched


def test_urging_waits_for_the_warning_and_is_once_a_day(db: Any) -> None:
    case = submit(db)
    acme = user_named(db, "acme")
    warn_at = open_task(db, case, "Task_Acceptance").warn_at
    db.rollback()
    with clock.travel_to(at(16, 10)):
        refused(db, case, Conflict, lambda: case_procedures.urge_case(db, acme, case.number))
    with clock.travel_to(warn_at):
        case_procedures.urge_case(db, acme, case.number)
        db.commit()
        refused(db, case, TooManyRequests, lambda: case_procedures.urge_case(db, acme, case.number))
    clerk = user_named(db, "clerk")
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == clerk.id)).all()
    assert "case.urged" in kinds
    refused(db, case, Forbidden, lambda: case_procedures.urge_case(db, clerk, case.number))


def test_a_supervision_order_opens_a_reply_task(db: Any) -> None:
    case = submit(db)
    chief, planner, clerk = (user_named(db, n) for n in ("window_chief", "planner", "clerk"))
    refused(
        db, case, Forbidden, lambda: case_procedures.order_supervision(db, planner, case.number, "快", None)
    )
    with clock.travel_to(at(16, 10)):
        reply = case_procedures.order_supervision(db, chief, case.number, "请今日内受理", None).task
        db.commit()
    assert reply is not None and reply.candidate_group == "window" and reply.procedure == "supervision_reply"
    assert reply.due_at == platform.calendar(db).add_working_days(at(16, 10), 1)
    with clock.travel_to(at(16, 15)):
        tasks.complete_task(db, clerk, reply.id, {"reply": "已安排"})
        db.commit()
    assert db.get(HumanTask, reply.id).state == TaskState.COMPLETED
    assert open_task(db, case, "Task_Acceptance").state == TaskState.OPEN
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == chief.id)).all()
    assert "supervision.replied" in kinds


def _refuse(db: Any, case: Case) -> None:
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    reject = {"decision": "reject", "comment": "消防通道不足"}
    complete_at(db, case, "Task_PlanningReview", "planner", {"decision": "approve"}, at(17, 10))
    complete_at(db, case, "Task_FireReview", "fire_officer", reject, at(17, 11))
    complete_at(db, case, "Task_EnvironmentReview", "env_officer", {"decision": "approve"}, at(17, 12))


def test_a_poor_rating_opens_a_follow_up_for_the_deciding_group(db: Any) -> None:
    case = submit(db)
    acme = user_named(db, "acme")
    refused(db, case, Conflict, lambda: case_procedures.rate_case(db, acme, case.number, 5))
    _refuse(db, case)
    assert fresh(db, case).status.is_final
    db.rollback()
    clerk = user_named(db, "clerk")
    refused(db, case, Forbidden, lambda: case_procedures.rate_case(db, clerk, case.number, 5))
    refused(db, case, InvalidData, lambda: case_procedures.rate_case(db, acme, case.number, 6))
    with clock.travel_to(at(18, 9)):
        outcome = case_procedures.rate_case(db, acme, case.number, 1, "理由不清楚")
        db.commit()
    follow_up = outcome.task
    assert follow_up is not None and follow_up.procedure == "follow_up"
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    assert rating is not None and rating.level == 1 and rating.follow_up_task_id == follow_up.id
    assert follow_up.candidate_group == rating.group
    # Fire refused; environment approved after it: the refusing group's supervisor answers.
    assert rating.group == "fire" and follow_up.assignee_id == user_named(db, "fire_chief").id
    assert follow_up.due_at == platform.calendar(db).add_working_days(at(18, 9), 5)
    refused(db, case, Conflict, lambda: case_procedures.rate_case(db, acme, case.number, 2))
    supervisor = db.get(type(acme), follow_up.assignee_id)
    with clock.travel_to(at(19, 9)):
        tasks.complete_task(db, supervisor, follow_up.id, {"reply": "已电话说明不予许可理由"})
        db.commit()
    db.expire_all()
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    assert rating.reply == "已电话说明不予许可理由" and rating.replied_at is not None


def test_a_good_rating_opens_nothing(db: Any) -> None:
    case = submit(db)
    _refuse(db, case)
    with clock.travel_to(at(18, 9)):
        outcome = case_procedures.rate_case(db, user_named(db, "acme"), case.number, 4)
        db.commit()
    assert outcome.task is None
    assert db.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.procedure.is_not(None))) == 0


def _to_decision(db: Any, case: Case) -> None:
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    for bpmn_id, who in (
        ("Task_PlanningReview", "planner"),
        ("Task_FireReview", "fire_officer"),
        ("Task_EnvironmentReview", "env_officer"),
    ):
        complete_at(db, case, bpmn_id, who, {"decision": "approve"}, at(17, 10))


def test_the_decision_returns_the_case_to_acceptance(db: Any) -> None:
    from app.services import steps

    case = submit(db)
    _to_decision(db, case)
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    check = tasks.may_complete_check(officer)
    to_review = steps.ReturnTask(decision.id, officer, "Task_PlanningReview", "重审", check)
    refused(db, case, Conflict, lambda: steps.advance(db, to_review))
    no_reason = steps.ReturnTask(decision.id, officer, "Task_Acceptance", " ", check)
    refused(db, case, InvalidData, lambda: steps.advance(db, no_reason))
    planner = user_named(db, "planner")
    by_other = steps.ReturnTask(
        decision.id, planner, "Task_Acceptance", "x", tasks.may_complete_check(planner)
    )
    refused(db, case, Forbidden, lambda: steps.advance(db, by_other))
    with clock.travel_to(at(18, 9)):
        steps.advance(db, steps.ReturnTask(decision.id, officer, "Task_Acceptance", "材料需复核", check))
        db.commit()
    db.expire_all()
    assert db.get(HumanTask, decision.id).outcome == "returned"
    acceptance = open_task(db, case, "Task_Acceptance")
    assert acceptance.due_at == platform.calendar(db).add_working_days(at(18, 9), 1)
    assert "task.returned" in actions(db, case)
    # Done again, the case goes its way once more.
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(18, 10))
    assert open_task(db, case, "Task_PlanningReview").state == TaskState.OPEN


def test_a_reviewer_recalls_until_the_next_step_is_claimed(db: Any) -> None:
    from app.services import steps

    case = submit(db)
    clerk = user_named(db, "clerk")
    acceptance = open_task(db, case, "Task_Acceptance")
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    planner = user_named(db, "planner")
    refused(db, case, Forbidden, lambda: steps.advance(db, steps.RecallTask(acceptance.id, planner)))
    with clock.travel_to(at(16, 11)):
        steps.advance(db, steps.RecallTask(acceptance.id, clerk))
        db.commit()
    assert open_task(db, case, "Task_Acceptance").id == acceptance.id
    reviews = db.scalars(
        select(HumanTask.state).where(
            HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_PlanningReview"
        )
    ).all()
    assert set(reviews) == {TaskState.CANCELLED}
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 12))
    review = open_task(db, case, "Task_PlanningReview")
    with clock.travel_to(at(16, 13)):
        tasks.claim_task(db, planner, review.id)
        db.commit()
    refused(db, case, Conflict, lambda: steps.advance(db, steps.RecallTask(acceptance.id, clerk)))
