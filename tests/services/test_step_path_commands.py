"""Each command through the step path (steps/path.py), one quick case each and no threads: what a
started case is stored as, what completing a task checks and records, the checks a command
carries (called with the state under the lock), and the wake-up after a procedure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock
from app.errors import CaseInError, Conflict, InvalidData
from app.models import AuditEvent, Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind
from app.services import case_numbers, deferred, processes, steps
from app.services.case_clock import case_due
from app.services.demo import permit_application
from app.services.platform import calendar
from tests.engine.bpmn_factory import boundary_timer_process, timer_beside_script_process, write
from tests.helpers import case_events, open_task, user_named
from tests.services.test_steps import PROCEDURE_ACTIONS, procedure_case

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)
PERMIT = "construction_permit"


def _start(db: Any, data: dict[str, Any] | None = None, **extra: Any) -> steps.StepOutcome:
    acme = user_named(db, "acme")
    with clock.travel_to(MONDAY):
        outcome = steps.advance(
            db,
            steps.StartCase(
                processes.current_version(db, PERMIT),
                permit_application("步骤") if data is None else data,
                acme,
                applicant_id=acme.id,
                **extra,
            ),
        )
        wakes = list(db.info.get(deferred._KEY, []))
    db.commit()
    outcome.case.wakes = wakes  # type: ignore[attr-defined]
    return outcome


def test_a_started_case_is_stored_as_submitted(db: Any) -> None:
    outcome = _start(db, start_data={"applicant": {"verified": True}})
    version = processes.current_version(db, PERMIT)
    db.expire_all()
    case = db.get(Case, outcome.case.id)
    assert case.process_key == PERMIT and case.process_version_id == version.id
    assert case.applicant_id == user_named(db, "acme").id
    assert case.status is CaseStatus.IN_PROGRESS and case.error is None
    assert case.number.startswith("CP20261116") and len(case.number) == len("CP20261116") + 6
    assert outcome.query_code and case_numbers.code_matches(db, case, outcome.query_code)
    assert case.project_name == "步骤"
    assert case.submitted_at == MONDAY and case.updated_at == MONDAY
    assert case.time_limit == version.meta["time_limit"] and case.time_limit
    assert case.clock_pauses == [] and case.state_format == "pf1" and case.state
    assert case.due_at is not None and case.due_at == case_due(calendar(db), case)
    # The start data reached process code; the form's data is the case's.
    assert case.data["applicant"] == {"verified": True}
    assert case.data["project_name"] == "步骤"
    (submitted,) = case_events(db, case, "case.submitted")
    assert submitted.actor_id == user_named(db, "acme").id
    assert submitted.detail == {"process": PERMIT, "version": version.hash[:12], "status": "in_progress"}
    assert open_task(db, case, "Task_Acceptance").candidate_group == "window"
    # The first wake-up is the earliest timer.
    first = db.scalar(select(Timer.due_at).where(Timer.case_id == case.id).order_by(Timer.due_at).limit(1))
    assert outcome.case.wakes == [deferred.WakeCase(case.id, first)]  # type: ignore[attr-defined]


def test_a_process_names_its_case_number_prefix(db: Any) -> None:
    version = processes.current_version(db, "complaint_handling")
    assert version.meta["case_prefix"] == "TS"
    assert case_numbers.prefix(PERMIT) == "CP"


def test_the_project_name_is_kept_when_it_is_text_at_most_200_characters(
    app: Any, db: Any, tmp_path: Any
) -> None:
    # A process without a start form (whatever the applicant sends for the name) and with a
    # case number prefix of its own.
    xml = boundary_timer_process("named", '"PT2H"').replace(
        'isExecutable="true">',
        'isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="case_prefix" value="NM" />'
        "</spiffworkflow:properties></bpmn:extensionElements>",
    )
    with app.app_context():
        processes.deploy_processes(db, None, [write(tmp_path, "named", xml)])
        db.commit()
    version = processes.current_version(db, "named")
    stored = []
    for name in ("长" * 250, "", 12, "短"):
        with clock.travel_to(MONDAY):
            case = steps.advance(db, steps.StartCase(version, {"project_name": name}, None, None)).case
            db.commit()
        db.expire_all()
        stored.append(db.get(Case, case.id).project_name)
        assert db.get(Case, case.id).number.startswith("NM20261116")
    assert stored == ["长" * 200, None, None, "短"]


def test_an_invalid_application_is_refused_before_anything_runs(db: Any) -> None:
    with pytest.raises(InvalidData, match="^the application data is not valid: "):
        _start(db, {"project_name": "缺字段"})
    db.rollback()
    assert db.scalar(select(Case.id)) is None


def _accept(db: Any, task_id: int, actor: Any, **extra: Any) -> steps.StepOutcome:
    with clock.travel_to(MONDAY + timedelta(hours=1)):
        outcome = steps.advance(db, steps.CompleteTask(task_id, {"decision": "accept"}, actor, **extra))
    db.commit()
    return outcome


def test_completing_a_task_records_who_what_and_the_outcome(db: Any) -> None:
    case = _start(db).case
    task = open_task(db, case, "Task_Acceptance")
    clerk = user_named(db, "clerk")
    outcome = _accept(db, task.id, clerk, detail={"via": "test"})
    assert outcome.task is not None and outcome.task.id == task.id and outcome.case.id == case.id
    db.expire_all()
    done = db.get(HumanTask, task.id)
    assert done.state is TaskState.COMPLETED and done.outcome == "accept"
    (completed,) = case_events(db, case, "task.completed")
    assert completed.actor_id == clerk.id
    assert completed.detail == {
        "task_id": task.id,
        "task": "Task_Acceptance",
        "name": task.name,
        "outcome": "accept",
        "via": "test",
        "status": "in_progress",
    }


def test_a_task_claimed_by_someone_else_is_theirs_to_complete(db: Any) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    steps.advance(db, steps.ClaimTask(task_id, clerk))
    db.commit()
    with pytest.raises(Conflict, match="^the task is claimed by someone else$"):
        _accept(db, task_id, chief)
    db.rollback()
    # The system (no actor) and the claimer may.
    assert _accept(db, task_id, None).task is not None


def test_the_claimer_completes_a_claimed_task(db: Any) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    clerk = user_named(db, "clerk")
    steps.advance(db, steps.ClaimTask(task_id, clerk))
    db.commit()
    _accept(db, task_id, clerk)
    db.expire_all()
    assert db.get(HumanTask, task_id).state is TaskState.COMPLETED


def test_a_task_form_is_checked_before_the_engine_runs(db: Any) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    before = db.get(Case, case.id).state
    with pytest.raises(InvalidData):
        steps.advance(db, steps.CompleteTask(task_id, {"decision": "maybe"}, None))
    db.rollback()
    assert db.get(Case, case.id).state == before


def test_a_completed_task_is_a_conflict_for_every_task_command(db: Any) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    clerk = user_named(db, "clerk")
    _accept(db, task_id, clerk)
    for command in (
        steps.CompleteTask(task_id, {"decision": "accept"}, clerk),
        steps.ClaimTask(task_id, clerk),
        steps.ReleaseTask(task_id, clerk),
        steps.ReassignTask(task_id, clerk, "window_chief"),
        steps.ReturnTask(task_id, clerk, "Task_Acceptance", "再看"),
    ):
        with pytest.raises(Conflict, match="^the task was already completed$"):
            steps.advance(db, command)
        db.rollback()


def test_a_task_command_checks_the_task_as_it_is_under_the_lock(db: Any) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    seen: list[tuple[Any, Any]] = []

    def check(session: Any, task: HumanTask) -> None:
        seen.append((session, task))

    outcome = steps.advance(db, steps.ClaimTask(task_id, user_named(db, "clerk"), check=check))
    ((session, task),) = seen
    assert session is db and task.id == task_id and task.state is TaskState.OPEN
    assert outcome.case.id == case.id and outcome.task is not None and outcome.task.id == task_id
    db.commit()
    assert [e.detail["task_id"] for e in case_events(db, case, "task.claimed")] == [task_id]


OTHER_TASK = """    <bpmn:userTask id="Task_Other" name="另审">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value="&quot;window&quot;" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_wait</bpmn:incoming><bpmn:outgoing>f_waited</bpmn:outgoing>
    </bpmn:userTask>
"""


def test_a_case_stopped_on_an_error_takes_no_step(app: Any, db: Any, tmp_path: Any) -> None:
    xml = timer_beside_script_process("stop_once", '"PT2H"', "x = 1 / 0")
    timer = xml[
        xml.index('    <bpmn:intermediateCatchEvent id="Timer_Wait"') : xml.index("    <bpmn:endEvent")
    ]
    xml = xml.replace(timer, OTHER_TASK).replace('targetRef="Timer_Wait"', 'targetRef="Task_Other"')
    xml = xml.replace('sourceRef="Timer_Wait"', 'sourceRef="Task_Other"')
    with app.app_context():
        processes.deploy_processes(db, None, [write(tmp_path, "stop_once", xml)])
        db.commit()
    with clock.travel_to(MONDAY):
        version = processes.current_version(db, "stop_once")
        case = steps.advance(db, steps.StartCase(version, {}, None, applicant_id=None)).case
        db.commit()
    _accept_empty(db, open_task(db, case, "Task_Review").id)
    db.expire_all()
    assert db.get(Case, case.id).status is CaseStatus.ERROR
    other = open_task(db, case, "Task_Other")
    before = db.get(Case, case.id).state
    with pytest.raises(CaseInError, match="^the case stopped on an error; an administrator must"):
        _accept_empty(db, other.id)
    db.rollback()
    assert db.get(Case, case.id).state == before and open_task(db, case, "Task_Other").id == other.id


def _accept_empty(db: Any, task_id: int) -> None:
    steps.advance(db, steps.CompleteTask(task_id, {}, None))
    db.commit()


def test_a_procedure_checks_the_case_and_its_open_tasks_under_the_lock(db: Any) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    seen: list[tuple[Any, Any, Any]] = []

    def check(session: Any, locked: Case, open_tasks: list[HumanTask]) -> None:
        seen.append((session, locked, [t.id for t in open_tasks]))

    planner = user_named(db, "planner")
    with clock.travel_to(MONDAY + timedelta(hours=1)):
        steps.advance(db, steps.SuspendCase(case.id, planner, "expert_review", "论证", check=check))
        wakes = list(db.info.get(deferred._KEY, []))
    ((session, locked, open_ids),) = seen
    assert session is db and locked.id == case.id and open_ids == [task_id]
    # The suspension's notice is the case's next timer now: the case is woken then.
    notice = db.scalar(
        select(Timer.due_at).where(Timer.case_id == case.id, Timer.kind == TimerKind.SUSPENSION_NOTICE)
    )
    due = db.scalar(
        select(Timer.due_at)
        .where(Timer.case_id == case.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
        .order_by(Timer.due_at)
        .limit(1)
    )
    assert notice is not None and wakes == [deferred.WakeCase(case.id, due)]
    db.rollback()


@pytest.mark.parametrize("kind", sorted(PROCEDURE_ACTIONS))
def test_every_procedure_reaches_its_own_handler(db: Any, kind: str) -> None:
    case, when, command = procedure_case(db, kind)
    with clock.travel_to(when):
        outcome = steps.advance(db, command(db))
        wakes = list(db.info.get(deferred._KEY, []))
    db.commit()
    assert outcome.case.id == case.id
    recorded = db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert PROCEDURE_ACTIONS[kind] in recorded
    others = set(PROCEDURE_ACTIONS.values()) - {PROCEDURE_ACTIONS[kind], "case.suspended"}
    assert not others & set(recorded)
    due = db.scalar(
        select(Timer.due_at)
        .where(Timer.case_id == case.id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
        .order_by(Timer.due_at)
        .limit(1)
    )
    if due is not None:
        assert deferred.WakeCase(case.id, due) in wakes


@pytest.mark.parametrize("kind", ["release", "reassign"])
def test_release_and_reassign_reach_their_handlers(db: Any, kind: str) -> None:
    case = _start(db).case
    task_id = open_task(db, case, "Task_Acceptance").id
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    steps.advance(db, steps.ClaimTask(task_id, clerk))
    db.commit()
    command: steps.Command = (
        steps.ReleaseTask(task_id, clerk)
        if kind == "release"
        else steps.ReassignTask(task_id, chief, "window_chief")
    )
    outcome = steps.advance(db, command)
    db.commit()
    assert outcome.task is not None and outcome.task.id == task_id and outcome.case.id == case.id
    action = "task.unclaimed" if kind == "release" else "task.reassigned"
    assert [e.detail["task_id"] for e in case_events(db, case, action)] == [task_id]
    db.expire_all()
    expected = None if kind == "release" else chief.id
    assert db.get(HumanTask, task_id).assignee_id == expected


def test_a_task_the_platform_opened_is_completed_by_its_procedure(db: Any) -> None:
    case, when, command = procedure_case(db, "extension")
    with clock.travel_to(when):
        task = steps.advance(db, command(db)).task
        db.commit()
    assert task is not None and task.procedure == "extension_approval"
    chief = user_named(db, "window_chief")
    with clock.travel_to(when + timedelta(hours=1)):
        outcome = steps.advance(
            db, steps.CompleteTask(task.id, {"decision": "approve", "comment": "同意"}, chief)
        )
        db.commit()
    assert outcome.task is not None and outcome.task.id == task.id and outcome.case.id == case.id
    db.expire_all()
    assert db.get(Case, case.id).extension_days == 3
    done = db.get(HumanTask, task.id)
    assert (
        done.state is TaskState.COMPLETED and done.outcome == "approve" and done.completed_by_id == chief.id
    )


def test_a_form_may_name_only_files_of_its_own_case(db: Any) -> None:
    case = _start(db).case
    acceptance = open_task(db, case, "Task_Acceptance").id
    correct = {"decision": "correct", "correction_items": ["补充用地证明"]}
    with clock.travel_to(MONDAY + timedelta(hours=1)):
        steps.advance(db, steps.CompleteTask(acceptance, correct, user_named(db, "clerk")))
        db.commit()
    correction = open_task(db, case, "Task_Correction").id
    data = {"response": "已补充", "attachments": {"land_use_certificate": "0" * 32}}
    with pytest.raises(InvalidData, match="^the form names attachments this case does not have"):
        steps.advance(db, steps.CompleteTask(correction, data, user_named(db, "acme")))
    db.rollback()
    assert open_task(db, case, "Task_Correction").id == correction


def test_a_grant_may_not_be_valid_until_before_its_decision(db: Any) -> None:
    case, when, _command = procedure_case(db, "return")  # at the decision
    decision = open_task(db, case, "Task_Decision").id
    data = {"decision": "approve", "permit_valid_until": "2020-01-01"}
    with clock.travel_to(when), pytest.raises(InvalidData, match="^permit_valid_until 2020-01-01 is before"):
        steps.advance(db, steps.CompleteTask(decision, data, user_named(db, "permit_officer")))
    db.rollback()
    assert open_task(db, case, "Task_Decision").id == decision
