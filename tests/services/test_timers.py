"""SLA warning, overdue, escalation and BPMN timers, with time moved through app.clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEvent, Case, HumanTask, Notification, TaskState, Timer, TimerKind, User
from app.services import cases, processes, tasks
from app.services.demo import permit_application
from tests.engine.bpmn_factory import boundary_timer_process, write
from tests.helpers import fire_at, plain, user_named

SH = ZoneInfo("Asia/Shanghai")


def _submit(db: Any, at: datetime, name: str = "时限测试") -> Case:
    with clock.travel_to(at):
        started = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application(name)
        )
        db.commit()
    return started.case


def _task(db: Any, case: Case, bpmn_id: str) -> HumanTask:
    db.expire_all()
    task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == bpmn_id))
    assert task is not None
    return task


def _notified(db: Any, kind: str) -> list[str]:
    rows = db.execute(
        select(User.username)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == kind)
    )
    return sorted(r[0] for r in rows)


def _audit(db: Any, action: str) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_review_limit_spans_national_day_and_the_make_up_saturday(db: Any) -> None:
    case = _submit(db, datetime(2026, 9, 29, 9, 0, tzinfo=SH))
    with clock.travel_to(datetime(2026, 9, 30, 10, 0, tzinfo=SH)):
        tasks.complete_task(
            db, user_named(db, "clerk"), _task(db, case, "Task_Acceptance").id, {"decision": "accept"}
        )
        db.commit()
    review = _task(db, case, "Task_FireReview")
    # 5 working days from the next day: 8, 9, 10 (make-up Saturday), 12, 13 October.
    assert review.due_at == datetime(2026, 10, 13, 17, 30, tzinfo=SH)
    # Warning when only the last working day is left: the close of 12 October.
    assert review.warn_at == datetime(2026, 10, 12, 17, 30, tzinfo=SH)


def test_warning_overdue_and_level_two_escalation_fire_at_their_moments(db: Any) -> None:
    start = datetime(2026, 11, 16, 9, 0, tzinfo=SH)  # Monday; acceptance has 1 working day
    case = _submit(db, start)
    acceptance = _task(db, case, "Task_Acceptance")
    assert acceptance.due_at == datetime(2026, 11, 17, 17, 30, tzinfo=SH)
    warn_at = acceptance.warn_at
    assert warn_at is not None

    assert fire_at(db, case, warn_at - timedelta(seconds=1)) == 0
    assert fire_at(db, case, warn_at + timedelta(seconds=1)) == 1
    assert _notified(db, "reminder") == ["clerk", "window_chief"]  # the group: nobody claimed it

    assert fire_at(db, case, acceptance.due_at - timedelta(minutes=1)) == 0
    assert fire_at(db, case, acceptance.due_at + timedelta(seconds=1)) == 1
    task = _task(db, case, "Task_Acceptance")
    assert task.escalation_level == 1
    assert _notified(db, "escalation.1") == ["window_chief"]
    assert _notified(db, "task.overdue") == ["clerk", "window_chief"]  # who works on it: the group
    level2 = db.scalar(
        select(Timer).where(Timer.human_task_id == task.id, Timer.kind == TimerKind.ESCALATION)
    )
    # 2 further working days overdue: the close of Thursday 19 November.
    assert level2.due_at == datetime(2026, 11, 19, 17, 30, tzinfo=SH)

    assert fire_at(db, case, datetime(2026, 11, 19, 17, 29, tzinfo=SH)) == 0
    assert fire_at(db, case, datetime(2026, 11, 19, 17, 31, tzinfo=SH)) == 1
    assert _task(db, case, "Task_Acceptance").escalation_level == 2
    assert _notified(db, "escalation.2") == ["deputy", "director"]
    assert _audit(db, "task.escalated") == 2

    # Running the firing again (a duplicate job) changes nothing.
    assert fire_at(db, case, datetime(2026, 11, 20, 9, 0, tzinfo=SH)) == 0
    assert _audit(db, "task.escalated") == 2
    assert db.scalar(select(func.count()).select_from(Notification)) == 7


def test_completing_a_task_cancels_its_sla_timers(db: Any) -> None:
    case = _submit(db, datetime(2026, 11, 16, 9, 0, tzinfo=SH))
    with clock.travel_to(datetime(2026, 11, 16, 10, 0, tzinfo=SH)):
        tasks.complete_task(
            db, user_named(db, "clerk"), _task(db, case, "Task_Acceptance").id, {"decision": "accept"}
        )
        db.commit()
    acceptance = _task(db, case, "Task_Acceptance")
    rows = db.scalars(select(Timer).where(Timer.human_task_id == acceptance.id)).all()
    assert rows and all(t.cancelled_at is not None and t.fired_at is None for t in rows)
    assert fire_at(db, case, datetime(2026, 11, 18, 9, 0, tzinfo=SH)) == 0
    assert _task(db, case, "Task_Acceptance").escalation_level == 0


def test_paused_clock_is_not_counted(db: Any) -> None:
    case = _submit(db, datetime(2026, 11, 16, 9, 0, tzinfo=SH))  # limit 7wd → due Wed 25 Nov
    assert case.due_at == datetime(2026, 11, 25, 17, 30, tzinfo=SH)
    with clock.travel_to(datetime(2026, 11, 16, 11, 0, tzinfo=SH)):
        tasks.complete_task(
            db,
            user_named(db, "clerk"),
            _task(db, case, "Task_Acceptance").id,
            {"decision": "correct", "correction_items": ["补充资金证明"]},
        )
        db.commit()
    correction = _task(db, case, "Task_Correction")
    # The applicant answers three working days later (Thu 19 Nov): the clock stood still.
    with clock.travel_to(datetime(2026, 11, 19, 15, 0, tzinfo=SH)):
        tasks.complete_task(db, user_named(db, "acme"), correction.id, {"response": "已补充"})
        db.commit()
    db.expire_all()
    case = db.get(Case, case.id)
    assert len(case.clock_pauses) == 1 and case.clock_pauses[0]["to"]
    assert case.due_at == datetime(2026, 11, 30, 17, 30, tzinfo=SH)  # 3 working days later
    case_timer = db.scalar(
        select(Timer).where(
            Timer.case_id == case.id, Timer.human_task_id.is_(None), Timer.kind == TimerKind.SLA_OVERDUE
        )
    )
    assert case_timer.due_at == case.due_at
    with clock.travel_to(datetime(2026, 11, 19, 16, 0, tzinfo=SH)):
        view = plain(cases.public_view(db, case, with_data=False))
    assert view["clock"]["working_days_used"] == 0 and view["clock"]["paused"] is False


@pytest.fixture
def escalating_process(app: Any, db: Any, tmp_path: Path) -> str:
    path = write(tmp_path, "escalating_review", boundary_timer_process("escalating_review", '"PT2H"'))
    with app.app_context():
        processes.deploy_processes(db, None, [path])
        db.commit()
    return "escalating_review"


def test_bpmn_boundary_timer_escalates_and_the_task_stays_open(db: Any, escalating_process: str) -> None:
    start = datetime(2026, 11, 17, 9, 0, tzinfo=SH)
    with clock.travel_to(start):
        case = cases.start_case(db, user_named(db, "acme"), escalating_process, {}).case
        db.commit()
    timer = db.scalar(select(Timer).where(Timer.case_id == case.id, Timer.kind == TimerKind.BPMN))
    assert timer.due_at == start + timedelta(hours=2) and timer.level == 1 and timer.human_task_id
    assert fire_at(db, case, start + timedelta(hours=1)) == 0
    assert fire_at(db, case, start + timedelta(hours=2, seconds=1)) == 1
    review = _task(db, case, "Task_Review")
    assert review.state is TaskState.OPEN and review.escalation_level == 1
    assert _notified(db, "escalation.1") == ["window_chief"]
    with clock.travel_to(start + timedelta(hours=3)):
        done = tasks.complete_task(db, user_named(db, "clerk"), review.id, {})
        db.commit()
    assert done.status.value == "closed"
