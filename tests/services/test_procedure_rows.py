"""The rows procedures write without an engine step (procedure_rows.py): a platform task as opened
(fields, SLA timers), a case closed without the engine, and the case's clock moved afterwards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import clock
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind
from app.services import platform, procedure_rows, timers
from tests.helpers import complete_at, user_named
from tests.services.test_procedures import at, fresh, submit


def _timers(db: Any, **where: Any) -> list[Timer]:
    return list(db.scalars(select(Timer).filter_by(**where).order_by(Timer.id)))


def open_reply(db: Any, case: Case, when: Any, group: str = "window", **kwargs: Any) -> HumanTask:
    """A 督办 reply task opened by the platform at ``when`` (committed)."""
    with clock.travel_to(when):
        row = procedure_rows.open_platform_task(
            db,
            fresh(db, case),
            procedure="supervision_reply",
            name="督办回复",
            name_en="Reply",
            group=group,
            **kwargs,
        )
        db.commit()
    return row


def test_a_platform_task_is_opened_with_its_limit_and_timers(db: Any) -> None:
    case = submit(db)
    clerk = user_named(db, "clerk")
    when = at(16, 10)
    row = open_reply(db, case, when, time_limit="2wd", assignee_id=clerk.id, context={"text": "请回复"})
    db.expire_all()
    row = db.get(HumanTask, row.id)
    due, warn = platform.calendar(db).due(when, "2wd")
    assert warn is not None and warn < due
    assert (row.due_at, row.warn_at, row.time_limit) == (due, warn, "2wd")
    assert (row.assignee_id, row.claimed_at, row.created_at) == (clerk.id, when, when)
    assert row.project_name == fresh(db, case).project_name and row.case_number == case.number
    assert (row.case_id, row.process_key, row.name, row.name_en, row.candidate_group) == (
        case.id,
        "construction_permit",
        "督办回复",
        "Reply",
        "window",
    )
    assert (row.form_key, row.bpmn_id, row.procedure) == ("procedure/supervision_reply",) + (
        "procedure.supervision_reply",
        "supervision_reply",
    )
    assert row.pauses_clock is False and row.escalation_level == 0 and row.state == TaskState.OPEN
    assert row.context == {"procedure": "supervision_reply", "text": "请回复"}
    own = _timers(db, human_task_id=row.id)
    assert [(t.kind, t.due_at, t.case_id, t.created_at) for t in own] == [
        (TimerKind.SLA_WARNING, warn, case.id, when),
        (TimerKind.SLA_OVERDUE, due, case.id, when),
    ]


def test_a_given_due_time_drops_a_warning_after_it_but_keeps_one_at_it(db: Any) -> None:
    case = submit(db)
    when = at(16, 10)
    due, warn = platform.calendar(db).due(when, "2wd")
    kept = open_reply(db, case, when, time_limit="2wd", due_at=warn)  # the warning falls at the due time
    assert (kept.assignee_id, kept.claimed_at) == (None, None)
    assert db.get(HumanTask, kept.id).warn_at == warn
    assert [t.kind for t in _timers(db, human_task_id=kept.id)] == [
        TimerKind.SLA_WARNING,
        TimerKind.SLA_OVERDUE,
    ]
    early = when.replace(hour=11)
    dropped = open_reply(db, case, when, time_limit="2wd", due_at=early)
    assert db.get(HumanTask, dropped.id).warn_at is None
    assert [(t.kind, t.due_at) for t in _timers(db, human_task_id=dropped.id)] == [
        (TimerKind.SLA_OVERDUE, early)
    ]
    no_limit = open_reply(db, case, when, time_limit=None, due_at=early)
    assert db.get(HumanTask, no_limit.id).warn_at is None
    assert len(_timers(db, human_task_id=no_limit.id)) == 1


def test_closing_a_case_cancels_only_its_open_tasks_and_ends_its_pauses(db: Any) -> None:
    case, other = submit(db), submit(db)
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    closed = {"from": at(16, 11).isoformat(), "to": at(16, 12).isoformat(), "kind": "suspension"}
    live = {"from": at(16, 13).isoformat(), "to": None, "kind": "suspension"}
    fresh(db, case).clock_pauses = [closed, live]
    db.commit()
    live_before = [t.id for t in _timers(db, case_id=case.id, fired_at=None, cancelled_at=None)]
    now = at(17, 9)
    with clock.travel_to(now):
        procedure_rows.close_case(db, fresh(db, case), CaseStatus.WITHDRAWN, now)
        db.commit()
    done = fresh(db, case)
    assert done.clock_pauses == [closed, {**live, "to": now.isoformat()}]
    assert (done.status, done.completed_at, done.updated_at) == (CaseStatus.WITHDRAWN, now, now)
    assert (done.stage, done.stage_en) == (None, None) and done.working_days is not None
    rows = {t.bpmn_id: t for t in db.scalars(select(HumanTask).where(HumanTask.case_id == case.id))}
    assert rows["Task_Acceptance"].state == TaskState.COMPLETED
    assert rows["Task_Acceptance"].completed_at == at(16, 10)  # a finished step keeps its own time
    cancelled = [t for t in rows.values() if t.bpmn_id != "Task_Acceptance"]
    assert cancelled and all(t.state == TaskState.CANCELLED and t.completed_at == now for t in cancelled)
    after = {t.id: t for t in _timers(db, case_id=case.id)}
    assert live_before and all(after[i].cancelled_at == now for i in live_before)
    others = db.scalars(select(HumanTask.state).where(HumanTask.case_id == other.id)).all()
    assert others == [TaskState.OPEN]
    assert [t.cancelled_at for t in _timers(db, case_id=other.id)] == [None] * len(
        _timers(db, case_id=other.id)
    )


def test_a_moved_clock_keeps_one_statutory_timer_even_after_it_fired(db: Any) -> None:
    case = submit(db)
    due = fresh(db, case).due_at
    statutory = {"case_id": case.id, "kind": TimerKind.SLA_OVERDUE, "human_task_id": None}
    with clock.travel_to(due):  # the statutory limit passes: its timer fires
        timers.fire_due(db, case.id)
        db.commit()
    assert [t.fired_at is not None for t in _timers(db, **statutory)] == [True]
    now = at(30, 9)
    with clock.travel_to(now):
        late = fresh(db, case)
        late.extension_days = 5
        procedure_rows.move_case_clock(db, late, now)
        db.commit()
    moved = fresh(db, case)
    assert moved.due_at == platform.calendar(db).add_working_days(due, 5) and moved.updated_at == now
    live = [t for t in _timers(db, **statutory) if t.fired_at is None]
    assert [(t.due_at, t.created_at, t.cancelled_at) for t in live] == [(moved.due_at, now, None)]
    with clock.travel_to(now.replace(hour=10)):  # moved again: the same timer follows, no second one
        moved.extension_days = 6
        procedure_rows.move_case_clock(db, moved, now.replace(hour=10))
        db.commit()
    live = [t for t in _timers(db, **statutory) if t.fired_at is None and t.cancelled_at is None]
    assert [t.due_at for t in live] == [fresh(db, case).due_at]
