"""加签 (steps/consultation.py) in detail, through the step path: what an opinion task holds and who
is told, what the request records, the bounds of a request (at most 10 asked, a 2000-character
question, the default time limit), each refusal's reason and field, and that withdrawing cancels
only the unanswered opinions of the asking task, with their timers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Case, CaseStatus, HumanTask, Notification, TaskState, Timer, TimerKind, User
from app.services import platform, steps, tasks
from tests.helpers import case_events, open_task, user_named
from tests.services.test_consultation import _fire_review
from tests.services.test_procedures import at, refusal

QUESTION = "疏散通道宽度是否符合人防要求？"


def _ask(db: Any, review: HumanTask, question: Any = QUESTION, who: str = "fire_officer", **kw: Any) -> Any:
    user = user_named(db, who)
    return steps.ConsultTask(review.id, user, question, check=tasks.may_complete_check(user), **kw)


def _notices(db: Any, case: Any) -> list[tuple[str, str, str, str, str, str, str | None]]:
    rows = db.scalars(
        select(Notification)
        .where(Notification.case_id == case.id, Notification.kind == "consultation.requested")
        .order_by(Notification.id)
    )
    return [(_username(db, n.user_id), n.title, n.title_en, n.body, n.body_en, n.kind, n.link) for n in rows]


def _username(db: Any, user_id: int) -> str:
    user = db.get(User, user_id)
    assert user is not None
    return user.username


def test_each_colleague_or_group_asked_gets_an_opinion_task_and_a_notice(db: Any) -> None:
    case, review = _fire_review(db)
    command = _ask(
        db,
        review,
        f"  {QUESTION}\n",
        users=("civil_officer", " civil_officer ", " "),
        groups=("planning", "planning "),
        time_limit=" 3d ",
    )
    with clock.travel_to(at(16, 14)):
        outcome = steps.advance(db, command)
        db.commit()
    assert outcome.case.id == case.id and outcome.task is not None and outcome.task.id == review.id
    civil, planning = outcome.opened
    officer = user_named(db, "fire_officer")
    for row, group, assignee in ((civil, "civil_defence", "civil_officer"), (planning, "planning", None)):
        assert row.procedure == "consultation" and row.state is TaskState.OPEN
        assert (row.name, row.name_en) == ("加签意见：消防审查", "Opinion asked for: Fire review")
        assert row.candidate_group == group and row.time_limit == "3d"
        assert row.assignee_id == (user_named(db, assignee).id if assignee else None)
        assert row.context == {
            "procedure": "consultation",
            "asking_task_id": review.id,
            "asked_by": "fire_officer",
            "question": QUESTION,
            "note": QUESTION,
        }
    (requested,) = case_events(db, case, "task.consultation_requested")
    assert requested.actor_id == officer.id
    assert requested.detail == {
        "task_id": review.id,
        "question": QUESTION,
        "time_limit": "3d",
        "asked": [
            {"task_id": civil.id, "group": "civil_defence", "user": "civil_officer"},
            {"task_id": planning.id, "group": "planning", "user": None},
        ],
    }
    title = f"加签征求意见：{case.number} 消防审查"
    title_en = f"Your opinion is asked for: {case.number} Fire review"
    common = (title, title_en, QUESTION, QUESTION, "consultation.requested")
    assert _notices(db, case) == [
        ("civil_officer", *common, f"/tasks/{civil.id}"),
        ("planner", *common, f"/tasks/{planning.id}"),
        ("planning_chief", *common, f"/tasks/{planning.id}"),
    ]
    # The asking task waits for them.
    err = refusal(db, case, Conflict, steps.CompleteTask(review.id, {"decision": "approve"}, officer))
    assert err.message == (
        "2 opinion(s) asked for (加签) are not answered yet: wait for them or withdraw the request"
    )


def test_the_default_limit_and_the_bounds_of_a_request(db: Any) -> None:
    case, review = _fire_review(db)
    default = platform.of(db).settings.consultation_time_limit
    groups = ("window", "planning", "environment", "civil_defence", "construction")
    groups += ("inspection", "complaint_desk", "publisher", "notice_review", "bureau")
    for kw in ({"users": ("planner",)}, {"users": ("planner",), "time_limit": "  "}):
        with clock.travel_to(at(16, 14)):
            (opinion,) = steps.advance(db, _ask(db, review, **kw)).opened
        assert opinion.time_limit == default and opinion.due_at is not None
        db.rollback()
    with clock.travel_to(at(16, 14)):
        assert len(steps.advance(db, _ask(db, review, "问" * 2000, groups=groups)).opened) == 10
    db.rollback()
    too_many = refusal(db, case, InvalidData, _ask(db, review, groups=groups, users=("planner",)))
    assert (too_many.message, too_many.errors) == (
        "at most 10 opinions per request",
        {"users": ["at most 10"]},
    )
    too_long = refusal(db, case, InvalidData, _ask(db, review, "问" * 2001, users=("planner",)))
    assert (too_long.message, too_long.errors) == (
        "question is too long",
        {"question": ["at most 2000 characters"]},
    )


def _refused(db: Any, case: Any, command: Any, error: type[Exception] = InvalidData) -> tuple[str, Any]:
    err = refusal(db, case, error, command)
    return err.message, err.errors


def test_each_refusal_names_its_reason_and_field(db: Any) -> None:
    case, review = _fire_review(db)

    def ask(**kw: Any) -> tuple[str, Any]:
        question = kw.pop("question", QUESTION)
        return _refused(db, case, _ask(db, review, question, **kw))

    assert ask(users=("nobody",)) == ("no active staff member 'nobody'", {"users": ["unknown: nobody"]})
    assert ask(users=("acme",)) == ("no active staff member 'acme'", {"users": ["unknown: acme"]})
    long = "x" * 70
    assert ask(users=(long,)) == (
        f"no active staff member '{long[:64]}'",
        {"users": [f"unknown: {long[:64]}"]},
    )
    assert ask(users=("fire_officer",)) == ("ask a colleague, not yourself", {"users": ["not yourself"]})
    assert ask(users=("analyst",)) == ("'analyst' belongs to no group", {"users": ["no group: analyst"]})
    for slug in ("applicant", "nowhere", "g" * 70):
        assert ask(groups=(slug,)) == (f"no group '{slug[:64]}'", {"groups": [f"unknown: {slug[:64]}"]})
    nobody = ("name at least one colleague or group to ask", {"users": ["name someone to ask"]})
    assert ask() == nobody and ask(users=(" ",), groups=("",)) == nobody
    required = ("question is required", {"question": ["is required"]})
    assert ask(question=" ", users=("planner",)) == required
    assert ask(question=None, users=("planner",)) == required
    hint = {"time_limit": ["e.g. 2wd (working days), 3d or 4h"]}
    assert ask(users=("planner",), time_limit="soon") == ("'soon' is not a time limit", hint)
    assert ask(users=("planner",), time_limit="z" * 30) == (f"'{'z' * 20}' is not a time limit", hint)
    # An inactive colleague is no one to ask (the flag is rolled back with the refusal).
    user_named(db, "civil_officer").is_active = False
    db.flush()
    with pytest.raises(InvalidData, match="^no active staff member 'civil_officer'$"):
        steps.advance(db, _ask(db, review, users=("civil_officer",)))
    db.rollback()
    assert user_named(db, "civil_officer").is_active
    # Nor is anyone asked on a case that no longer runs (here: stopped on an error).
    db.get(Case, case.id).status = CaseStatus.ERROR
    db.flush()
    with pytest.raises(Conflict, match="^the case is error: opinions are asked only while it runs$"):
        steps.advance(db, _ask(db, review, users=("planner",)))
    db.rollback()
    officer = user_named(db, "fire_officer")
    nothing = steps.WithdrawConsultation(review.id, officer, tasks.may_complete_check(officer))
    assert _refused(db, case, nothing, Conflict)[0] == (
        "no opinion asked from this task is waiting: nothing to withdraw"
    )
    with clock.travel_to(at(16, 14)):
        (opinion,) = steps.advance(db, _ask(db, review, users=("planner",))).opened
        db.commit()
    from_opinion = _refused(db, case, _ask(db, opinion, who="planner", users=("clerk",)), Conflict)
    assert from_opinion[0] == "opinions (加签) are asked from a reviewing step, not from this task"


def _timers(db: Any, task_id: int) -> list[Any]:
    return list(db.scalars(select(Timer.cancelled_at).where(Timer.human_task_id == task_id)))


def test_withdrawing_cancels_only_the_unanswered_opinions_of_the_asking_task(db: Any) -> None:
    case, review = _fire_review(db)
    env = open_task(db, case, "Task_EnvironmentReview")
    with clock.travel_to(at(16, 14)):
        civil, planning = steps.advance(
            db, _ask(db, review, users=("civil_officer",), groups=("planning",))
        ).opened
        (other,) = steps.advance(db, _ask(db, env, who="env_officer", users=("clerk",))).opened
        db.commit()
    live = len(_timers(db, planning.id))
    civil_id, planning_id, other_id = civil.id, planning.id, other.id
    assert _timers(db, planning_id) and _timers(db, review.id)
    # Timers of the opinion that already went off or were stopped stay as they were.
    for went, stopped in ((at(16, 15), None), (None, at(16, 15))):
        db.add(
            Timer(
                case_id=case.id,
                kind=TimerKind.SLA_WARNING,
                human_task_id=planning_id,
                due_at=at(16, 15),
                fired_at=went,
                cancelled_at=stopped,
                created_at=at(16, 14),
            )
        )
    db.commit()
    with clock.travel_to(at(17, 9)):
        tasks.complete_task(db, user_named(db, "civil_officer"), civil_id, {"opinion": "符合"})
        db.commit()
    officer = user_named(db, "fire_officer")
    command = steps.WithdrawConsultation(review.id, officer, tasks.may_complete_check(officer))
    with clock.travel_to(at(17, 10)):
        outcome = steps.advance(db, command)
        db.commit()
    assert outcome.case.id == case.id and outcome.task is not None and outcome.task.id == review.id
    db.expire_all()
    withdrawn = db.get(HumanTask, planning_id)
    assert (withdrawn.state, withdrawn.outcome, withdrawn.completed_at) == (
        TaskState.CANCELLED,
        "withdrawn",
        at(17, 10),
    )
    assert sorted(_timers(db, planning_id), key=str) == [at(16, 15), *[at(17, 10)] * live, None]
    assert db.get(HumanTask, civil_id).state is TaskState.COMPLETED
    assert db.get(HumanTask, other_id).state is TaskState.OPEN  # asked from another task
    assert set(_timers(db, other_id)) == {None} and set(_timers(db, review.id)) == {None}
    (event,) = case_events(db, case, "task.consultation_withdrawn")
    assert event.actor_id == officer.id
    assert event.detail == {"task_id": review.id, "withdrawn": [planning_id]}
