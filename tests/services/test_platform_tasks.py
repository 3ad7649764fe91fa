"""Completing the tasks the platform opens for procedures (steps/platform_tasks.py): each runs its
procedure's consequence (an extension granted or refused, a rating answered, a 督办 or 加签 asker
told), closes the row and its own timers only, audits the completion and schedules the wake-up."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import select

from app import clock
from app.models import AuditEvent, Case, HumanTask, Notification, ServiceRating, TaskState, Timer
from app.services import case_procedures, deferred, steps, timers
from tests.helpers import open_task, user_named
from tests.services.test_procedures import _refuse, at, fresh, submit


def _event(db: Any, case: Case, action: str) -> AuditEvent:
    (event,) = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == action)
    )
    return event


def _told(db: Any, case: Case, kind: str) -> Notification:
    (note,) = db.scalars(
        select(Notification).where(Notification.case_id == case.id, Notification.kind == kind)
    )
    return note


def _complete(db: Any, task: HumanTask, actor: Any, data: dict[str, Any], when: Any) -> steps.StepOutcome:
    """Complete ``task`` at ``when`` and commit; the wake-ups deferred by the step are kept."""
    with clock.travel_to(when):
        command = steps.CompleteTask(task.id, data, actor, detail={"via": "test"})
        outcome = steps.advance(db, command)
        db.info["woken"] = [i for i in db.info.get(deferred._KEY, []) if isinstance(i, deferred.WakeCase)]
        db.commit()
    return outcome


def _extension(db: Any) -> tuple[Case, HumanTask]:
    case = submit(db)
    with clock.travel_to(at(16, 11)):
        task = case_procedures.request_extension(
            db, user_named(db, "clerk"), case.number, 5, "需现场核查"
        ).task
        db.commit()
    assert task is not None
    return case, task


def _live(db: Any, case: Case) -> list[Timer]:
    return list(
        db.scalars(
            select(Timer).where(
                Timer.case_id == case.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
            )
        )
    )


def test_an_approved_extension_moves_the_due_date_and_closes_only_its_task(db: Any) -> None:
    case, task = _extension(db)
    chief = user_named(db, "window_chief")
    with clock.travel_to(task.warn_at):  # its warning goes off first: a fired timer stays as it fired
        timers.fire_due(db, case.id)
        db.commit()
    own = {t.id for t in db.scalars(select(Timer).where(Timer.human_task_id == task.id))}
    others = {t.id for t in _live(db, case)} - own
    when = at(16, 14)
    outcome = _complete(db, task, chief, {"decision": "approve", "comment": "同意"}, when)
    assert (outcome.case.id, outcome.task.id) == (case.id, task.id)
    db.expire_all()
    done = db.get(HumanTask, task.id)
    assert done.state == TaskState.COMPLETED and done.outcome == "approve"
    assert done.completed_by_id == chief.id and done.completed_at == when
    assert done.submitted == {"decision": "approve", "comment": "同意"}
    rows = {t.id: t for t in db.scalars(select(Timer).where(Timer.case_id == case.id))}
    fired = [rows[i] for i in own if rows[i].fired_at is not None]
    assert fired and all(t.cancelled_at is None for t in fired)
    assert all(rows[i].cancelled_at == when for i in own if rows[i].fired_at is None)
    assert others and {t.id for t in _live(db, case)} >= others - own  # the case's other timers run on
    extended = fresh(db, case)
    assert extended.extension_days == 5
    event = _event(db, case, "case.extended")
    assert event.actor_id == chief.id
    assert event.detail == {"working_days": 5, "due_at": extended.due_at.isoformat()}
    note = _told(db, case, "case.extended")
    assert note.title == f"{case.number}：办理期限已延长"
    assert note.title_en == f"{case.number}: the time limit was extended"
    completed = [
        e
        for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed"))
        if e.case_id == case.id
    ]
    (event,) = [e for e in completed if e.detail.get("task_id") == task.id]
    assert event.actor_id == chief.id
    assert event.detail == {
        "task_id": task.id,
        "task": "procedure.extension_approval",
        "name": task.name,
        "outcome": "approve",
        "via": "test",
    }
    earliest = min(t.due_at for t in _live(db, case))
    assert [(w.case_id, w.at) for w in db.info.pop("woken")] == [(case.id, earliest.astimezone(UTC))]


def test_a_refused_extension_changes_no_date(db: Any) -> None:
    case, task = _extension(db)
    due = fresh(db, case).due_at
    chief = user_named(db, "window_chief")
    _complete(db, task, chief, {"decision": "refuse"}, at(16, 14))
    refused = fresh(db, case)
    assert not refused.extension_days and refused.due_at == due
    assert db.get(HumanTask, task.id).outcome == "refuse"
    event = _event(db, case, "case.extension_refused")
    assert event.actor_id == chief.id and event.detail == {"working_days": 5}
    assert db.scalars(select(Notification).where(Notification.kind == "case.extended")).all() == []


def test_a_follow_up_stores_the_reply_and_tells_the_applicant(db: Any) -> None:
    case = submit(db)
    _refuse(db, case)
    with clock.travel_to(at(18, 9)):
        follow_up = case_procedures.rate_case(db, user_named(db, "acme"), case.number, 1, "不清楚").task
        db.commit()
    assert follow_up is not None
    supervisor = user_named(db, "fire_chief")
    _complete(db, follow_up, supervisor, {"reply": "已电话说明"}, at(19, 9))
    db.expire_all()
    rating = db.scalar(select(ServiceRating).where(ServiceRating.case_id == case.id))
    assert rating.reply == "已电话说明" and rating.replied_at == at(19, 9)
    assert db.get(HumanTask, follow_up.id).outcome == "replied"
    note = _told(db, case, "rating.replied")
    assert note.title == f"{case.number}：差评回访答复"
    assert note.title_en == f"{case.number}: a reply to your rating"
    assert note.user_id == user_named(db, "acme").id and note.link == f"/track/{case.number}"


def test_a_supervision_reply_answers_who_ordered_it(db: Any) -> None:
    case = submit(db)
    chief = user_named(db, "window_chief")
    with clock.travel_to(at(16, 10)):
        reply = case_procedures.order_supervision(db, chief, case.number, "请今日内受理", None).task
        db.commit()
    assert reply is not None
    _complete(db, reply, user_named(db, "clerk"), {"reply": "已安排"}, at(16, 15))
    assert db.get(HumanTask, reply.id).outcome == "replied"
    note = _told(db, case, "supervision.replied")
    assert note.user_id == chief.id
    assert (note.title, note.title_en) == (
        f"督办已回复：{case.number}",
        f"Supervision answered: {case.number}",
    )
    assert (note.body, note.body_en, note.link) == ("已安排", "已安排", f"/tasks/{reply.id}")


def test_an_opinion_given_answers_the_asker(db: Any) -> None:
    case = submit(db)
    acceptance = open_task(db, case, "Task_Acceptance")
    clerk = user_named(db, "clerk")
    with clock.travel_to(at(16, 10)):
        steps.advance(db, steps.ClaimTask(acceptance.id, clerk))
        outcome = steps.advance(
            db, steps.ConsultTask(acceptance.id, clerk, "是否需要现场核查？", users=("planner",))
        )
        db.commit()
    (opinion,) = outcome.opened
    _complete(db, opinion, user_named(db, "planner"), {"opinion": "需要"}, at(16, 15))
    assert db.get(HumanTask, opinion.id).outcome == "answered"
    note = _told(db, case, "consultation.answered")
    assert note.user_id == clerk.id
    assert (note.title, note.title_en) == (f"加签意见已回复：{case.number}", f"Opinion given: {case.number}")
    assert (note.body, note.body_en, note.link) == ("需要", "需要", f"/tasks/{acceptance.id}")
