"""The administrative procedures' exact refusals and records (steps/procedures.py), through the
step path: the words and fields of each 4xx, the clock pause as stored, what the audit trail and
the notifications say and to whom, and the task each procedure opens."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict, InvalidData, TooManyRequests
from app.models import AuditEvent, Case, CaseStatus, HumanTask, Notification, ServiceRating, Timer, TimerKind
from app.services import notifications, platform, steps
from tests.helpers import complete_at, open_task, user_named
from tests.services.test_procedures import _refuse, at, fresh, refusal, submit


def _run(db: Any, command: steps.Command, when: Any) -> steps.StepOutcome:
    with clock.travel_to(when):
        outcome = steps.advance(db, command)
        db.commit()
    return outcome


def _event(db: Any, case: Case, action: str) -> AuditEvent:
    (event,) = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == action)
    )
    return event


def _notes(db: Any, case: Case, kind: str) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.case_id == case.id, Notification.kind == kind)
            .order_by(Notification.user_id)
        )
    )


def _ids(users: Any) -> list[int]:
    return sorted({u.id for u in users})


def test_a_suspension_stores_its_pause_notice_and_record(db: Any) -> None:
    case = submit(db)
    clerk = user_named(db, "clerk")
    err = refusal(db, case, InvalidData, steps.SuspendCase(case.id, clerk, "x" * 50))
    codes = "expert_review, hearing, testing, appraisal"
    assert err.message == f"'{'x' * 40}' is not a reason for suspending: use one of {codes}"
    assert err.errors == {"reason_code": [f"one of {codes}"]}
    err = refusal(db, case, InvalidData, steps.SuspendCase(case.id, clerk, "hearing", "长" * 2001))
    assert (err.message, err.errors) == ("note is too long", {"note": ["at most 2000 characters"]})
    when = at(16, 10)
    outcome = _run(db, steps.SuspendCase(case.id, clerk, "hearing", "  听证  " + "长" * 1990), when)
    assert outcome.case.id == case.id and outcome.task is None
    note = "听证  " + "长" * 1990
    assert fresh(db, case).clock_pauses[-1] == {
        "from": when.astimezone(UTC).isoformat(),
        "to": None,
        "reason": "hearing",
        "kind": "suspension",
        "code": "hearing",
        "note": note,
        "by": "clerk",
    }
    (notice,) = db.scalars(
        select(Timer).where(Timer.case_id == case.id, Timer.kind == TimerKind.SUSPENSION_NOTICE)
    )
    assert notice.due_at == platform.calendar(db).add_working_days(when, 20) and notice.created_at == when
    event = _event(db, case, "case.suspended")
    assert event.actor_id == clerk.id and event.detail == {"reason_code": "hearing", "note": note}
    (told,) = _notes(db, case, "case.suspended")
    assert told.user_id == user_named(db, "acme").id and told.link == f"/track/{case.number}"
    assert (told.title, told.title_en) == (
        f"{case.number}：办理时限已中止（挂起）",
        f"{case.number}: the time limit is suspended",
    )
    err = refusal(db, case, Conflict, steps.SuspendCase(case.id, clerk, "testing"))
    assert str(err) == "the case is already suspended"


def test_a_resumption_ends_the_pause_and_cancels_the_notice(db: Any) -> None:
    case = submit(db)
    clerk = user_named(db, "clerk")
    err = refusal(db, case, Conflict, steps.ResumeCase(case.id, clerk))
    assert str(err) == "the case is not suspended"
    earlier = {"from": at(16, 9).isoformat(), "to": None, "kind": "correction"}  # not a suspension
    fresh(db, case).clock_pauses = [earlier]
    db.commit()
    _run(db, steps.SuspendCase(case.id, clerk, "hearing"), at(16, 10))
    when = at(17, 10)
    outcome = _run(db, steps.ResumeCase(case.id, clerk, " 听证结束 "), when)
    assert outcome.case.id == case.id
    resumed = fresh(db, case)
    assert (
        resumed.clock_pauses[0] == earlier
        and resumed.clock_pauses[-1]["to"] == when.astimezone(UTC).isoformat()
    )
    (notice,) = db.scalars(
        select(Timer).where(Timer.case_id == case.id, Timer.kind == TimerKind.SUSPENSION_NOTICE)
    )
    assert notice.cancelled_at == when
    event = _event(db, case, "case.resumed")
    assert event.actor_id == clerk.id
    assert event.detail == {"note": "听证结束", "due_at": resumed.due_at.isoformat()}
    (told,) = _notes(db, case, "case.resumed")
    assert (told.title, told.title_en) == (
        f"{case.number}：办理时限恢复计算",
        f"{case.number}: the time limit runs again",
    )


def test_a_withdrawal_tells_the_staff_that_had_the_case(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    acme = user_named(db, "acme")
    err = refusal(db, case, InvalidData, steps.WithdrawCase(case.id, acme, " "))
    assert (err.message, err.errors) == ("reason is required", {"reason": ["is required"]})
    outcome = _run(db, steps.WithdrawCase(case.id, acme, " 项目取消 "), at(17, 9))
    assert outcome.case.id == case.id and fresh(db, case).status == CaseStatus.WITHDRAWN
    event = _event(db, case, "case.withdrawn")
    assert event.actor_id == acme.id and event.detail == {"reason": "项目取消"}
    told = _notes(db, case, "case.withdrawn")
    groups = ("environment", "fire", "planning")
    expected = [u for g in groups for u in notifications.group_members(db, g)]
    assert expected and _ids(u for u in told for u in [db.get(type(acme), u.user_id)]) == _ids(expected)
    assert {(n.title, n.title_en, n.body, n.body_en) for n in told} == {
        (f"申请人已撤回：{case.number}", f"Withdrawn by the applicant: {case.number}", "项目取消", "项目取消")
    }
    err = refusal(db, case, Conflict, steps.WithdrawCase(case.id, acme, "再撤"))
    assert str(err) == "the case was already withdrawn"


def test_only_a_running_case_is_withdrawn_suspended_or_extended(db: Any) -> None:
    case = submit(db)
    _refuse(db, case)
    acme, clerk = user_named(db, "acme"), user_named(db, "clerk")
    status = fresh(db, case).status.value
    err = refusal(db, case, Conflict, steps.WithdrawCase(case.id, acme, "理由"))
    assert str(err) == f"the case is {status}: only a case not yet decided can be withdrawn"
    err = refusal(db, case, Conflict, steps.SuspendCase(case.id, clerk, "hearing"))
    assert str(err) == f"the case is {status}: the clock can be suspended only while it is in progress"
    err = refusal(db, case, Conflict, steps.RequestExtension(case.id, clerk, 2, "理由"))
    assert str(err) == f"the case is {status}: an extension can be asked for only while it is in progress"
    err = refusal(db, case, Conflict, steps.UrgeCase(case.id, acme))
    assert str(err) == f"the case is {status}: a task can be urged only while it is in progress"
    err = refusal(db, case, Conflict, steps.OrderSupervision(case.id, user_named(db, "window_chief"), "快"))
    assert str(err) == f"the case is {status}: a supervision order can be issued only while it is in progress"


@pytest.mark.parametrize("days", [0, 11, True, "3"])
def test_an_extension_asks_for_a_whole_number_of_days(db: Any, days: Any) -> None:
    case = submit(db)
    err = refusal(
        db, case, InvalidData, steps.RequestExtension(case.id, user_named(db, "clerk"), days, "理由")
    )
    assert err.message == "working_days must be a whole number from 1 to 10"
    assert err.errors == {"working_days": ["from 1 to 10"]}


def test_an_extension_goes_to_the_supervisors_of_the_askers_group(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    fire_officer = user_named(db, "fire_officer")
    _run(db, steps.ClaimTask(open_task(db, case, "Task_FireReview").id, fire_officer), at(16, 11))
    when = at(16, 12)
    outcome = _run(db, steps.RequestExtension(case.id, fire_officer, 10, " 需现场核查 "), when)
    task = db.get(HumanTask, outcome.task.id)
    assert task.candidate_group == "fire" and task.procedure == "extension_approval"
    assert (task.name, task.name_en) == ("延期审批（10个工作日）", "Extension approval (10 working days)")
    assert task.time_limit == "1wd" and task.due_at == platform.calendar(db).add_working_days(when, 1)
    assert task.context == {
        "procedure": "extension_approval",
        "supervisors_only": True,
        "working_days": 10,
        "reason": "需现场核查",
        "requested_by": "fire_officer",
        "note": "需现场核查",
    }
    event = _event(db, case, "case.extension_requested")
    assert event.actor_id == fire_officer.id
    assert event.detail == {"working_days": 10, "reason": "需现场核查", "task_id": task.id}
    told = _notes(db, case, "extension.requested")
    supervisors = notifications.group_members(db, "fire", supervisors_only=True)
    assert supervisors and sorted(n.user_id for n in told) == _ids(supervisors)
    assert {(n.title, n.title_en, n.body, n.body_en, n.link) for n in told} == {
        (
            f"延期申请待审批：{case.number}",
            f"Extension to approve: {case.number}",
            "需现场核查",
            "需现场核查",
            f"/tasks/{task.id}",
        )
    }
    err = refusal(db, case, Conflict, steps.RequestExtension(case.id, fire_officer, 1, "再延"))
    assert str(err) == "an extension was already asked for this case: only one per case"


def test_urging_tells_the_holder_and_the_supervisors_once_a_working_day(db: Any) -> None:
    case = submit(db)
    acme, clerk = user_named(db, "acme"), user_named(db, "clerk")
    acceptance = open_task(db, case, "Task_Acceptance")
    with clock.travel_to(acceptance.warn_at - timedelta(minutes=1)):
        err = refusal(db, case, Conflict, steps.UrgeCase(case.id, acme))
    assert str(err) == "催办 is possible once a task of the case is past its warning time"
    _run(db, steps.ClaimTask(acceptance.id, clerk), at(16, 9, 30))
    when = acceptance.warn_at
    outcome = _run(db, steps.UrgeCase(case.id, acme), when)  # exactly at the warning time
    assert outcome.case.id == case.id
    told = _notes(db, case, "case.urged")
    supervisors = notifications.group_members(db, "window", supervisors_only=True)
    assert sorted(n.user_id for n in told) == _ids([clerk, *supervisors])
    assert {(n.title, n.title_en, n.link) for n in told} == {
        (
            f"申请人催办：{case.number} {acceptance.name}",
            f"The applicant urges: {case.number} {acceptance.name_en}",
            f"/tasks/{acceptance.id}",
        )
    }
    event = _event(db, case, "case.urged")
    assert event.actor_id == acme.id and event.detail == {"tasks": [acceptance.id]}
    with clock.travel_to(when + timedelta(hours=1)):
        err = refusal(db, case, TooManyRequests, steps.UrgeCase(case.id, acme))
    assert str(err) == "the case was already urged today: once per working day"


def test_urging_waits_for_a_working_day_and_tells_the_group_of_an_unheld_task(db: Any) -> None:
    case = submit(db)
    acme = user_named(db, "acme")
    acceptance = open_task(db, case, "Task_Acceptance")
    cal = platform.calendar(db)
    day = cal.local_date(acceptance.warn_at) + timedelta(days=1)
    while cal.is_workday(day):
        day += timedelta(days=1)
    with clock.travel_to(cal.close_of(day) - timedelta(hours=6)):
        err = refusal(db, case, TooManyRequests, steps.UrgeCase(case.id, acme))
    assert str(err) == "催办 is taken on working days: try again on the next working day"
    _run(db, steps.UrgeCase(case.id, acme), acceptance.warn_at)
    members = notifications.group_members(db, "window")
    assert sorted({n.user_id for n in _notes(db, case, "case.urged")}) == _ids(members)


def test_a_supervision_order_goes_to_the_earliest_due_staff_task(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    chief = user_named(db, "window_chief")
    err = refusal(db, case, InvalidData, steps.OrderSupervision(case.id, chief, " "))
    assert (err.message, err.errors) == ("text is required", {"text": ["is required"]})
    with clock.travel_to(at(16, 11)):
        err = refusal(db, case, InvalidData, steps.OrderSupervision(case.id, chief, "快", date(2026, 11, 15)))
    assert (err.message, err.errors) == (
        "the reply's due date is in the past",
        {"due": ["must be today or later"]},
    )
    reviews = [
        open_task(db, case, b) for b in ("Task_PlanningReview", "Task_FireReview", "Task_EnvironmentReview")
    ]
    target = reviews[1]
    target.due_at = min(r.due_at for r in reviews) - timedelta(hours=1)  # the fire review is due first
    db.commit()
    fire_officer = user_named(db, "fire_officer")
    _run(db, steps.ClaimTask(target.id, fire_officer), at(16, 12))
    today = date(2026, 11, 16)
    outcome = _run(db, steps.OrderSupervision(case.id, chief, " 请今日答复 ", today), at(16, 13))
    reply = db.get(HumanTask, outcome.task.id)
    assert reply.due_at == platform.calendar(db).close_of(today) and reply.time_limit is None
    assert (reply.candidate_group, reply.assignee_id) == ("fire", fire_officer.id)
    assert (reply.name, reply.name_en) == (
        f"督办回复：{target.name}",
        f"Reply to supervision: {target.name_en}",
    )
    assert reply.context == {
        "procedure": "supervision_reply",
        "text": "请今日答复",
        "ordered_by": "window_chief",
        "task_id": target.id,
        "note": "请今日答复",
    }
    event = _event(db, case, "case.supervision_ordered")
    assert event.actor_id == chief.id
    assert event.detail == {"text": "请今日答复", "task_id": target.id, "reply_task_id": reply.id}
    (told,) = _notes(db, case, "supervision.ordered")
    assert told.user_id == fire_officer.id and told.link == f"/tasks/{reply.id}"
    assert (told.title, told.title_en, told.body, told.body_en) == (
        f"督办：{case.number} {target.name}",
        f"Supervision order: {case.number} {target.name_en}",
        "请今日答复",
        "请今日答复",
    )


def test_a_supervision_order_without_a_date_uses_the_default_limit_and_the_group(db: Any) -> None:
    case = submit(db)
    chief = user_named(db, "window_chief")
    when = at(16, 10)
    outcome = _run(db, steps.OrderSupervision(case.id, chief, "请受理"), when)
    reply = db.get(HumanTask, outcome.task.id)
    assert reply.time_limit == "1wd" and reply.assignee_id is None
    assert reply.due_at == platform.calendar(db).add_working_days(when, 1)
    told = _notes(db, case, "supervision.ordered")
    assert sorted(n.user_id for n in told) == _ids(notifications.group_members(db, "window"))


def test_a_rating_is_checked_and_stored_once(db: Any) -> None:
    case = submit(db)
    _refuse(db, case)
    acme = user_named(db, "acme")
    for level in (0, 6, True, "3"):
        err = refusal(db, case, InvalidData, steps.RateService(case.id, acme, level))
        assert err.message == "level must be 1 to 5 (5 = 非常满意)"
        assert err.errors == {"level": ["a whole number from 1 to 5"]}
    when = at(18, 9)
    outcome = _run(db, steps.RateService(case.id, acme, 3, " 一般 " + "字" * 600), when)
    assert outcome.task is None and outcome.case.id == case.id
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    comment = ("一般 " + "字" * 600)[:500]
    assert (rating.level, rating.comment, rating.rated_by_id, rating.created_at) == (
        3,
        comment,
        acme.id,
        when,
    )
    assert rating.process_key == "construction_permit" and rating.group == "fire"
    event = _event(db, case, "case.rated")
    assert event.actor_id == acme.id
    assert event.detail == {"level": 3, "comment": comment, "follow_up_task_id": None}
    err = refusal(db, case, Conflict, steps.RateService(case.id, acme, 5))
    assert str(err) == "the case was already rated: a case is rated once"


def test_a_poor_rating_is_followed_up_by_a_supervisor(db: Any) -> None:
    case = submit(db)
    _refuse(db, case)
    acme = user_named(db, "acme")
    when = at(18, 9)
    outcome = _run(db, steps.RateService(case.id, acme, 2), when)  # 2 is still poor
    task = db.get(HumanTask, outcome.task.id)
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    assert rating.comment is None and rating.follow_up_task_id == task.id
    assert (task.name, task.name_en, task.time_limit) == ("差评回访", "Follow-up of a poor rating", "5wd")
    supervisors = notifications.group_members(db, "fire", supervisors_only=True)
    assert task.assignee_id == supervisors[0].id
    assert task.context == {
        "procedure": "follow_up",
        "supervisors_only": True,
        "rating_id": rating.id,
        "level": 2,
        "note": None,
    }
    assert _event(db, case, "case.rated").detail == {"level": 2, "comment": "", "follow_up_task_id": task.id}
    told = _notes(db, case, "rating.poor")
    assert sorted(n.user_id for n in told) == _ids(supervisors)
    assert {(n.title, n.title_en, n.body, n.body_en, n.link) for n in told} == {
        (
            f"差评待回访：{case.number}",
            f"Poor rating to follow up: {case.number}",
            "",
            "",
            f"/tasks/{task.id}",
        )
    }


def test_an_approved_case_is_rated_for_the_group_that_decided_last(db: Any) -> None:
    case = submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    for bpmn_id, who, minute in (
        ("Task_FireReview", "fire_officer", 10),
        ("Task_EnvironmentReview", "env_officer", 11),
        ("Task_PlanningReview", "planner", 12),
    ):
        complete_at(db, case, bpmn_id, who, {"decision": "approve"}, at(17, 10, minute))
    complete_at(db, case, "Task_Decision", "permit_officer", {"decision": "approve"}, at(18, 10))
    assert fresh(db, case).status == CaseStatus.APPROVED
    decision = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Decision")
    )
    _run(db, steps.RateService(case.id, user_named(db, "acme"), 5), at(19, 9))
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    assert rating.group == decision.candidate_group
