"""The mirror of an engine step in rows (services/gateway.py), driven with step results made by hand
on a real case: what the case, its task rows and its timer rows become for each kind of step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.engine import EngineError, PendingTimer, ReadyTask, StepResult
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind
from app.services import gateway
from app.services.steps import core
from tests.helpers import open_task, user_named
from tests.services.test_steps import _start

NOW = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing, a working day


def _ready(spiff_id: str, group: str | None = "window", **extra: Any) -> ReadyTask:
    fields: dict[str, Any] = {
        "id": spiff_id,
        "bpmn_id": f"Task_{spiff_id}",
        "name": f"任务{spiff_id}",
        "name_en": f"Task {spiff_id}",
        "process_id": "construction_permit",
        "lane": None,
        "candidate_group": group,
        "form": "acceptance.json",
        "ui_form": None,
        "time_limit": "5wd",
        "pauses_clock": False,
        "properties": {},
    }
    return ReadyTask(**{**fields, **extra})


def _result(case: Case, *ready: ReadyTask, **extra: Any) -> StepResult:
    fields: dict[str, Any] = {
        "state": case.state,
        "ready": list(ready),
        "timers": [],
        "finished": False,
        "end_status": None,
        "data": dict(case.data or {}),
    }
    return StepResult(**{**fields, **extra})


def _mirror(db: Any, case: Case, result: StepResult, **extra: Any) -> gateway.Mirrored:
    locked = core.lock(db, case_id=case.id)
    with clock.travel_to(NOW):
        return gateway.mirror(db, locked.case, result, locked.open_tasks, **extra)


def _timers(db: Any, case: Case) -> list[Timer]:
    return list(db.scalars(select(Timer).where(Timer.case_id == case.id).order_by(Timer.id)))


def _started(db: Any) -> tuple[Case, HumanTask]:
    """A case after its first mirror at NOW: one open task `A` of the window."""
    with clock.travel_to(NOW):
        case = _start(db)
    first = open_task(db, case, "Task_Acceptance")
    _mirror(db, case, _result(case, _ready(first.spiff_task_id)))
    return case, first


def test_a_final_step_cancels_every_timer_and_keeps_the_first_completion_time(db: Any) -> None:
    case, _ = _started(db)
    boundary = PendingTimer("T1", "Timer_Remind", "提醒", NOW + timedelta(days=1))
    _mirror(db, case, _result(case, _ready("B"), timers=[boundary]))
    assert any(t.kind == TimerKind.BPMN for t in _timers(db, case))
    done = _mirror(db, case, _result(case, finished=True, end_status="approved"))
    assert case.status == CaseStatus.APPROVED and case.completed_at == NOW
    assert case.stage is None and case.stage_en is None
    assert done.unfired == [] and done.next_due() is None
    assert all(t.cancelled_at == NOW or t.fired_at is not None for t in _timers(db, case))
    assert all(
        t.state == TaskState.CANCELLED
        for t in db.scalars(select(HumanTask).where(HumanTask.case_id == case.id))
    )
    later = NOW + timedelta(days=3)
    locked = core.lock(db, case_id=case.id)
    with clock.travel_to(later):
        gateway.mirror(db, locked.case, _result(case, finished=True, end_status="approved"), [])
    assert case.completed_at == NOW  # a second final step does not move it
    db.rollback()


def test_an_end_status_the_platform_does_not_know_closes_the_case(db: Any) -> None:
    case, _ = _started(db)
    _mirror(db, case, _result(case, finished=True, end_status="granted_maybe"))
    assert case.status == CaseStatus.CLOSED
    db.rollback()


def test_the_case_waits_for_the_applicant_only_when_every_ready_task_is_theirs(db: Any) -> None:
    case, _ = _started(db)
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP)))
    assert case.status == CaseStatus.WAITING_FOR_APPLICANT
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP), _ready("C", "fire")))
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.stage == "任务B、任务C" and case.stage_en == "Task B, Task C"
    long = [_ready(i, "fire", name="长" * 190, name_en="L" * 190) for i in "DEF"]
    _mirror(db, case, _result(case, *long))  # stage names are cut at 500 characters
    assert case.stage == "、".join(["长" * 190] * 3)[:500] and len(case.stage) == 500
    assert case.stage_en == ", ".join(["L" * 190] * 3)[:500]
    _mirror(db, case, _result(case))  # waiting on a timer only
    assert case.stage is None and case.stage_en is None and case.status == CaseStatus.IN_PROGRESS
    db.rollback()


def test_an_engine_error_puts_the_case_in_error_until_a_step_succeeds(db: Any) -> None:
    case, _ = _started(db)
    failure = EngineError("division by zero", bpmn_id="Script_Fee", task_name="计算费用")
    _mirror(db, case, _result(case, _ready("B"), error=failure))
    assert case.status == CaseStatus.ERROR
    assert case.error["message"] == "division by zero" and case.error["bpmn_id"] == "Script_Fee"
    _mirror(db, case, _result(case, _ready("B")))
    assert case.status == CaseStatus.IN_PROGRESS and case.error is None
    db.rollback()


def test_new_tasks_get_rows_with_their_limits_and_sla_timers(db: Any) -> None:
    case, first = _started(db)
    acme = user_named(db, "acme")
    performer = {"performer_credit_code": "91350100M000100Y43"}
    _mirror(
        db,
        case,
        _result(
            case,
            _ready("B", gateway.APPLICANT_GROUP),
            _ready("C", gateway.APPLICANT_GROUP, context=performer),
            _ready("D", "fire", time_limit=None, pauses_clock=False),
        ),
    )
    rows = {r.spiff_task_id: r for r in db.scalars(select(HumanTask).where(HumanTask.case_id == case.id))}
    assert rows["B"].assignee_id == acme.id == case.applicant_id
    assert rows["C"].assignee_id is None and rows["C"].context == performer
    assert rows["D"].assignee_id is None and rows["D"].due_at is None and rows["D"].warn_at is None
    b = rows["B"]
    assert (b.state, b.case_number, b.process_key, b.bpmn_id, b.form_key) == (
        TaskState.OPEN,
        case.number,
        case.process_key,
        "Task_B",
        "acceptance.json",
    )
    assert b.created_at == NOW and b.time_limit == "5wd" and b.escalation_level == 0
    assert b.due_at is not None and b.warn_at is not None and NOW < b.warn_at < b.due_at
    kinds = {(t.kind, t.due_at) for t in _timers(db, case) if t.human_task_id == b.id}
    assert kinds == {(TimerKind.SLA_WARNING, b.warn_at), (TimerKind.SLA_OVERDUE, b.due_at)}
    assert not [t for t in _timers(db, case) if t.human_task_id == rows["D"].id]
    # The first task is gone from the workflow: cancelled, with its timers.
    assert rows[first.spiff_task_id].state == TaskState.CANCELLED
    assert rows[first.spiff_task_id].completed_at == NOW
    assert all(t.cancelled_at == NOW for t in _timers(db, case) if t.human_task_id == first.id)
    db.rollback()


def test_bpmn_timers_are_added_moved_fired_or_cancelled_as_the_workflow_says(db: Any) -> None:
    case, first = _started(db)
    spiff_a = first.spiff_task_id
    remind = PendingTimer(
        "T1",
        "Timer_Remind",
        "提醒",
        NOW + timedelta(days=1),
        attached_to=spiff_a,
        properties={"escalation_level": "2", "notify": "supervisors"},
    )
    plain = PendingTimer("T2", "Timer_Plain", "等待", NOW, properties={"escalation_level": "high"})
    later = PendingTimer("T3", "Timer_Later", "等待", NOW + timedelta(days=9))
    mirrored = _mirror(db, case, _result(case, _ready(spiff_a), timers=[remind, plain, later]))
    bpmn = {t.spiff_task_id: t for t in _timers(db, case) if t.kind == TimerKind.BPMN}
    assert set(bpmn) == {"T1", "T2", "T3"}
    assert bpmn["T1"].human_task_id == first.id and bpmn["T1"].level == 2 and bpmn["T1"].note == "supervisors"
    assert bpmn["T1"].bpmn_id == "Timer_Remind" and bpmn["T1"].created_at == NOW
    assert bpmn["T2"].human_task_id is None and bpmn["T2"].level == 0 and bpmn["T2"].note is None
    assert mirrored.next_due() == NOW
    # A cycle timer moves on; a due one gone from the workflow fired; one not yet due was cancelled.
    moved = replace(remind, due_at=NOW + timedelta(days=2))
    _mirror(db, case, _result(case, _ready(spiff_a), timers=[moved]))
    assert bpmn["T1"].due_at == NOW + timedelta(days=2) and bpmn["T1"].fired_at is None
    assert bpmn["T2"].fired_at == NOW and bpmn["T2"].cancelled_at is None
    assert bpmn["T3"].cancelled_at == NOW and bpmn["T3"].fired_at is None
    db.rollback()


def test_the_cases_own_limit_is_a_timer_that_follows_its_due_time(db: Any) -> None:
    case, _ = _started(db)

    def own() -> list[Timer]:
        return [
            t
            for t in _timers(db, case)
            if t.kind == TimerKind.SLA_OVERDUE and t.human_task_id is None and t.cancelled_at is None
        ]

    assert case.due_at is not None
    (timer,) = own()
    assert timer.due_at == case.due_at
    # A clock pause moves the case's due time, and its timer with it.
    before = case.due_at
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP, pauses_clock=True)))
    with clock.travel_to(NOW + timedelta(days=7)):
        locked = core.lock(db, case_id=case.id)
        gateway.mirror(db, locked.case, _result(case, _ready("C")), locked.open_tasks)
    assert case.due_at > before
    (moved,) = own()
    assert moved.id == timer.id and moved.due_at == case.due_at
    # Without a statutory limit the case has no such timer.
    case.due_at = None
    assert gateway.sync_case_timer(db, case, NOW, [], []) == []
    db.rollback()


def test_a_pausing_task_stops_the_clock_and_the_end_of_the_case_restarts_it(db: Any) -> None:
    case, _ = _started(db)
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP, name="补正", pauses_clock=True)))
    (pause,) = case.clock_pauses
    assert pause == {"from": NOW.isoformat(), "to": None, "reason": "补正"}
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP, name="补正", pauses_clock=True)))
    assert len(case.clock_pauses) == 1  # still the same pause
    restart = NOW + timedelta(days=1)
    locked = core.lock(db, case_id=case.id)
    with clock.travel_to(restart):
        gateway.mirror(db, locked.case, _result(case, _ready("C")), locked.open_tasks)
    assert case.clock_pauses == [{"from": NOW.isoformat(), "to": restart.isoformat(), "reason": "补正"}]
    # A suspension by staff stays open while the case runs, and ends with the case.
    case.clock_pauses = [*case.clock_pauses, {"from": restart.isoformat(), "to": None, "kind": "suspension"}]
    _mirror(db, case, _result(case, _ready("C")))
    assert case.clock_pauses[-1]["to"] is None
    _mirror(db, case, _result(case, finished=True, end_status="rejected"))
    assert case.clock_pauses[-1]["to"] == NOW.isoformat()
    db.rollback()


def test_a_moved_case_relabels_its_open_tasks_and_reassigns_only_a_changed_group(db: Any) -> None:
    case, first = _started(db)
    clerk = user_named(db, "clerk")
    first.assignee_id, first.claimed_at = clerk.id, NOW
    db.flush()
    renamed = _ready(
        first.spiff_task_id, name="受理（新）", name_en="Acceptance (new)", form="acceptance_v2.json"
    )
    _mirror(db, case, _result(case, renamed), relabel=True)
    assert (first.name, first.name_en, first.form_key) == (
        "受理（新）",
        "Acceptance (new)",
        "acceptance_v2.json",
    )
    assert first.assignee_id == clerk.id and first.claimed_at == NOW
    _mirror(db, case, _result(case, replace(renamed, candidate_group=gateway.APPLICANT_GROUP)), relabel=True)
    assert first.candidate_group == gateway.APPLICANT_GROUP
    assert first.assignee_id == case.applicant_id and first.claimed_at is None
    # Without relabel the labels stay.
    _mirror(db, case, _result(case, replace(renamed, name="别的名字")))
    assert first.name == "受理（新）"
    db.rollback()


def test_a_completed_task_is_stored_with_its_performer_outcome_and_timers_closed(db: Any) -> None:
    case, first = _started(db)
    clerk = user_named(db, "clerk")
    chief = user_named(db, "window_chief")
    first.assignee_id = chief.id  # claimed by the chief, completed by the clerk on their behalf
    db.flush()
    submitted = {"decision": "accept", "note": "齐全"}
    _mirror(db, case, _result(case, _ready("B")), actor=clerk, completed=first, submitted=submitted)
    assert first.state == TaskState.COMPLETED and first.completed_at == NOW
    assert first.completed_by_id == clerk.id and first.assignee_id == chief.id
    assert first.submitted == submitted and first.outcome == "accept"
    assert all(t.cancelled_at == NOW for t in _timers(db, case) if t.human_task_id == first.id)
    # With no assignee, the performer becomes it.
    second = open_task(db, case, "Task_B")
    _mirror(db, case, _result(case, _ready("C")), actor=clerk, completed=second, submitted={"outcome": 3})
    assert second.assignee_id == clerk.id and second.outcome == "3"
    db.rollback()


def test_a_steps_outcome_is_its_decision_or_outcome_field() -> None:
    assert gateway.outcome_of(None) is None and gateway.outcome_of({}) is None
    assert gateway.outcome_of({"decision": "approve", "outcome": "x"}) == "approve"
    assert gateway.outcome_of({"outcome": "merged"}) == "merged"
    assert gateway.outcome_of({"decision": True}) == "True"
    assert gateway.outcome_of({"decision": "d" * 80}) == "d" * 64
    assert gateway.outcome_of({"decision": ["a"]}) is None and gateway.outcome_of({"note": "n"}) is None


def test_a_task_sent_back_opens_again_in_its_own_row(db: Any) -> None:
    case, first = _started(db)
    clerk = user_named(db, "clerk")
    _mirror(
        db, case, _result(case, _ready("B")), actor=clerk, completed=first, submitted={"decision": "accept"}
    )
    assert first.state == TaskState.COMPLETED
    first.escalation_level, first.working_days, first.on_time = 2, 3, True
    again = NOW + timedelta(days=1)
    locked = core.lock(db, case_id=case.id)
    with clock.travel_to(again):
        gateway.mirror(
            db,
            locked.case,
            _result(case, _ready(first.spiff_task_id, context={"returned": "材料不清晰"})),
            locked.open_tasks,
            reopen=first,
        )
    assert first.state == TaskState.OPEN and first.completed_at is None and first.completed_by_id is None
    assert first.assignee_id is None and first.claimed_at is None and first.created_at == again
    assert (first.escalation_level, first.working_days, first.on_time) == (0, None, None)
    assert first.submitted == {"decision": "accept"}  # kept until it is completed again
    assert first.context == {"returned": "材料不清晰"}
    assert first.due_at is not None and first.warn_at is not None and again < first.warn_at < first.due_at
    live = [t for t in _timers(db, case) if t.human_task_id == first.id and t.cancelled_at is None]
    assert {(t.kind, t.due_at) for t in live} == {
        (TimerKind.SLA_WARNING, first.warn_at),
        (TimerKind.SLA_OVERDUE, first.due_at),
    }
    assert [r.id for r in db.scalars(select(HumanTask).where(HumanTask.case_id == case.id))].count(
        first.id
    ) == 1
    db.rollback()


def test_an_applicants_task_sent_back_stays_theirs(db: Any) -> None:
    case, first = _started(db)
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP)))
    theirs = open_task(db, case, "Task_B")
    acme = user_named(db, "acme")
    _mirror(db, case, _result(case, _ready("C")), actor=acme, completed=theirs, submitted={})
    _mirror(db, case, _result(case, _ready("B", gateway.APPLICANT_GROUP)), reopen=theirs)
    assert theirs.state == TaskState.OPEN and theirs.assignee_id == acme.id
    db.rollback()
