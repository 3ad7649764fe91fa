"""FireTimers through the step path (steps/path.py `_fire`, `_fire_bpmn`): which timer rows fire
and when, how many the step says went off, what the timers of a case stopped on an error become, a
firing the engine refuses in the trail, and the case's next wake-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock, edge
from app.models import AuditEvent, Case, CaseStatus, Notification, Timer, TimerKind, User
from app.services import cases, deferred, processes, steps
from app.timer_sweep import sweep_due_timers
from tests.engine.bpmn_factory import (
    boundary_timer_process,
    timer_beside_script_process,
    timer_process,
    timer_then_script_process,
    write,
)
from tests.helpers import case_events, complete_at, fire_at, open_task, user_named

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 17, 9, 0, tzinfo=SH)  # Tuesday, a working day


def _deploy(app: Any, db: Any, folder: Path, key: str, xml: str) -> str:
    with app.app_context():
        processes.deploy_processes(db, None, [write(folder, key, xml)])
        db.commit()
    return key


def _start(db: Any, key: str) -> Case:
    with clock.travel_to(START):
        case = cases.start_case(db, user_named(db, "acme"), key, {}).case
        db.commit()
    return case


def _timers(db: Any, case: Case) -> list[Timer]:
    db.expire_all()
    return list(db.scalars(select(Timer).where(Timer.case_id == case.id).order_by(Timer.id)))


def _bpmn_timer(db: Any, case: Case) -> Timer:
    (timer,) = [t for t in _timers(db, case) if t.kind is TimerKind.BPMN]
    return timer


def _fire(db: Any, case: Case, when: datetime) -> tuple[int, list[Any]]:
    """Fire at ``when``: how many went off and the wake-ups deferred before the commit."""
    with clock.travel_to(when):
        outcome = steps.advance(db, steps.FireTimers(case.id))
        assert outcome.case.id == case.id
        fired = outcome.fired
    wakes = [i for i in db.info.get(deferred._KEY, []) if isinstance(i, deferred.WakeCase)]
    db.commit()
    return fired, wakes


@pytest.fixture
def escalating(app: Any, db: Any, tmp_path: Path) -> str:
    """A review (1 working day) with a non-interrupting boundary timer after 2 hours."""
    return _deploy(app, db, tmp_path, "fire_review", boundary_timer_process("fire_review", '"PT2H"'))


def test_the_sweep_fires_a_bpmn_timer_at_its_due_time_itself(app: Any, db: Any, escalating: str) -> None:
    case = _start(db, escalating)
    due = _bpmn_timer(db, case).due_at
    assert due == START + timedelta(hours=2)
    db.rollback()
    database = edge.of(app).database
    with clock.travel_to(due - timedelta(microseconds=1)):
        assert sweep_due_timers(database) == 0
    with clock.travel_to(due):
        assert sweep_due_timers(database) == 1
    timer = _bpmn_timer(db, case)
    assert timer.fired_at is not None and timer.fired_at.astimezone(SH) == due
    assert open_task(db, case, "Task_Review").escalation_level == 1
    assert [e.detail["timers"] for e in case_events(db, case, "timer.fired")] == [["Timer_Escalate"]]


def test_platform_and_bpmn_timers_due_together_all_count(db: Any, escalating: str) -> None:
    case = _start(db, escalating)
    rows = _timers(db, case)
    kinds = sorted(t.kind.value for t in rows)
    assert kinds == sorted([TimerKind.BPMN.value, TimerKind.SLA_WARNING.value, TimerKind.SLA_OVERDUE.value])
    latest = max(t.due_at for t in rows)
    db.rollback()
    fired, wakes = _fire(db, case, latest)
    assert fired == 3
    after = _timers(db, case)
    assert all(t.fired_at is not None for t in after if t.id in {r.id for r in rows})
    # The overdue task escalates again later (level 2): the one wake-up is then.
    (level2,) = [t for t in after if t.kind is TimerKind.ESCALATION]
    assert wakes == [deferred.WakeCase(case.id, level2.due_at)]
    assert fire_at(db, case, latest + timedelta(days=1)) == 0  # nothing fires twice


def test_platform_timers_alone_wake_the_case_at_its_next_timer(db: Any, escalating: str) -> None:
    case = _start(db, escalating)
    by_kind = {t.kind: t for t in _timers(db, case)}
    warning, overdue = by_kind[TimerKind.SLA_WARNING], by_kind[TimerKind.SLA_OVERDUE]
    bpmn = by_kind[TimerKind.BPMN]
    db.rollback()
    fire_at(db, case, bpmn.due_at)  # the escalation first
    assert warning.due_at < overdue.due_at
    fired, wakes = _fire(db, case, warning.due_at)
    assert fired == 1
    assert wakes == [deferred.WakeCase(case.id, overdue.due_at)]
    assert case_events(db, case, "timer.fired") != [] and len(case_events(db, case, "task.sla_warning")) == 1


def test_a_bpmn_step_wakes_the_case_once_at_its_next_timer(db: Any, escalating: str) -> None:
    case = _start(db, escalating)
    by_kind = {t.kind: t for t in _timers(db, case)}
    db.rollback()
    fired, wakes = _fire(db, case, by_kind[TimerKind.BPMN].due_at)
    assert fired == 1
    assert wakes == [deferred.WakeCase(case.id, by_kind[TimerKind.SLA_WARNING].due_at)]


def test_a_timer_not_yet_due_or_cancelled_does_not_fire(db: Any, escalating: str) -> None:
    case = _start(db, escalating)
    due = _bpmn_timer(db, case).due_at
    db.rollback()
    fired, wakes = _fire(db, case, due - timedelta(seconds=1))
    assert fired == 0 and _bpmn_timer(db, case).fired_at is None
    assert wakes == [deferred.WakeCase(case.id, due)]
    complete_at(db, case, "Task_Review", "clerk", {}, due - timedelta(minutes=30))
    assert _bpmn_timer(db, case).cancelled_at is not None
    assert fire_at(db, case, due + timedelta(days=5)) == 0
    assert case_events(db, case, "timer.fired") == []


def test_a_cycle_timer_that_moves_on_counts_as_gone_off(app: Any, db: Any, tmp_path: Path) -> None:
    xml = boundary_timer_process("cycling_review", '"R3/PT2H"').replace("timeDuration", "timeCycle")
    case = _start(db, _deploy(app, db, tmp_path, "cycling_review", xml))
    first = _bpmn_timer(db, case)
    first_due = first.due_at
    db.rollback()
    fired, _wakes = _fire(db, case, first_due)
    assert fired == 1
    # The row waits for the next cycle.
    moved = _bpmn_timer(db, case)
    assert moved.id == first.id and moved.due_at == first_due + timedelta(hours=2) and moved.fired_at is None
    assert [e.detail["timers"] for e in case_events(db, case, "timer.fired")] == [["Timer_Escalate"]]


def test_the_timers_of_a_case_stopped_on_an_error_are_cancelled_not_fired(
    app: Any, db: Any, tmp_path: Path
) -> None:
    xml = timer_beside_script_process("stopping_review", '"PT2H"', "total = 1 / 0")
    case = _start(db, _deploy(app, db, tmp_path, "stopping_review", xml))
    complete_at(db, case, "Task_Review", "clerk", {}, START + timedelta(hours=1))
    db.expire_all()
    assert db.get(Case, case.id).status is CaseStatus.ERROR
    timer = _bpmn_timer(db, case)
    assert timer.fired_at is None and timer.cancelled_at is None
    state = db.get(Case, case.id).state
    due = timer.due_at
    db.rollback()
    # A platform timer of the case waits on (the case's own notice, made here by hand).
    notice_at = due + timedelta(days=3)
    db.add(Timer(case_id=case.id, kind=TimerKind.SLA_OVERDUE, due_at=notice_at, created_at=START))
    db.commit()
    fired, wakes = _fire(db, case, due + timedelta(minutes=1))
    assert fired == 0 and wakes == [deferred.WakeCase(case.id, notice_at)]
    timer = _bpmn_timer(db, case)
    assert timer.fired_at is None and timer.cancelled_at == due + timedelta(minutes=1)
    stopped = db.get(Case, case.id)
    assert stopped.status is CaseStatus.ERROR and stopped.state == state  # the engine did not run
    assert case_events(db, case, "timer.fired") == [] and case_events(db, case, "timer.failed") == []


def test_a_firing_the_engine_refuses_is_in_the_trail_and_changes_nothing(
    app: Any, db: Any, tmp_path: Path
) -> None:
    # After the timer the review is ready, and naming its group fails (past the end of a list).
    xml = timer_process("refusing_review", '"PT2H"').replace("&quot;window&quot;", "[&quot;window&quot;][1]")
    case = _start(db, _deploy(app, db, tmp_path, "refusing_review", xml))
    timer = _bpmn_timer(db, case)
    due, state = timer.due_at, db.get(Case, case.id).state
    db.rollback()
    fired, wakes = _fire(db, case, due)
    assert fired == 0 and wakes == [deferred.WakeCase(case.id, due)]
    (failed,) = case_events(db, case, "timer.failed")
    error = failed.detail["error"]
    assert failed.actor_id is None
    assert """'["window"][1]'""" in error["message"] and error["bpmn_id"] == "Task_Review"
    timer = _bpmn_timer(db, case)
    assert timer.fired_at is None and timer.cancelled_at is None
    kept = db.get(Case, case.id)
    assert kept.status is CaseStatus.IN_PROGRESS and kept.state == state


def test_only_the_commanded_case_fires(db: Any, escalating: str) -> None:
    case, other = _start(db, escalating), _start(db, escalating)
    due = _bpmn_timer(db, case).due_at
    db.rollback()
    assert fire_at(db, case, due) == 1
    assert _bpmn_timer(db, other).fired_at is None
    assert fire_at(db, other, due) == 1


def test_due_platform_timers_fire_in_the_order_they_fell_due(db: Any, escalating: str) -> None:
    case = _start(db, escalating)
    by_kind = {t.kind: t for t in _timers(db, case)}
    overdue = by_kind[TimerKind.SLA_OVERDUE]
    # A warning made after the overdue timer (a later id) that fell due before it.
    db.add(
        Timer(
            case_id=case.id,
            kind=TimerKind.SLA_WARNING,
            human_task_id=overdue.human_task_id,
            due_at=overdue.due_at - timedelta(hours=1),
            created_at=START,
        )
    )
    db.commit()
    fire_at(db, case, overdue.due_at)
    actions = [
        e.action
        for e in db.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
        if e.action in {"task.sla_warning", "task.escalated"}
    ]
    # Both warnings, then the overdue escalation (the BPMN timer, fired after, finds level 1).
    assert actions == ["task.sla_warning", "task.sla_warning", "task.escalated"]


def test_process_code_run_by_a_timer_has_the_step_helpers(app: Any, db: Any, tmp_path: Path) -> None:
    xml = timer_then_script_process("helped_wait", '"PT2H"', "until = working_days(1)")
    case = _start(db, _deploy(app, db, tmp_path, "helped_wait", xml))
    due = _bpmn_timer(db, case).due_at
    db.rollback()
    assert fire_at(db, case, due) == 1
    db.expire_all()
    fired = db.get(Case, case.id)
    assert fired.status is CaseStatus.IN_PROGRESS, fired.error
    # One working day from 11:00 on Tuesday: the close of Wednesday.
    assert datetime.fromisoformat(fired.data["until"]) == datetime(2026, 11, 18, 17, 30, tzinfo=SH)


def test_a_reminding_bpmn_timer_reminds_on_a_working_day(app: Any, db: Any, tmp_path: Path) -> None:
    xml = boundary_timer_process("reminding_review", '"PT2H"', escalation_level=0).replace(
        '<spiffworkflow:property name="escalation_level" value="0" />',
        '<spiffworkflow:property name="escalation_level" value="0" />'
        '<spiffworkflow:property name="notify" value="group" />',
    )
    case = _start(db, _deploy(app, db, tmp_path, "reminding_review", xml))
    due = _bpmn_timer(db, case).due_at
    db.rollback()
    assert fire_at(db, case, due) == 1
    told = db.scalars(
        select(User.username)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.case_id == case.id, Notification.kind == "reminder")
    )
    assert sorted(told) == ["clerk", "window_chief"]
