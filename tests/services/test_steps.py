"""The one step path: every command goes through ``steps.advance``, under the case's lock taken
one way, so a second command on the same case waits for the first to commit."""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import clock, edge
from app.models import AuditEvent, Case, CaseStatus, HumanTask, TaskState, Timer
from app.services import processes, steps
from app.services.demo import permit_application
from tests.helpers import open_task, user_named
from tests.services.test_migration import permit_v2  # noqa: F401 - a fixture

APP = Path(__file__).resolve().parents[2] / "app"
ENGINE_OPERATIONS = {"start", "complete", "fire_due_timers", "migrate", "reset_to"}


def _uses(path: Path) -> tuple[set[str], bool]:
    """The engine operations a module names, and whether it reaches the runtime itself."""
    named, reaches = set(), False
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            if node.attr == "runtime":
                reaches = True
            if node.attr in ENGINE_OPERATIONS and (
                (isinstance(node.value, ast.Name) and node.value.id in {"runtime", "Runtime"})
                or (isinstance(node.value, ast.Attribute) and node.value.attr == "runtime")
            ):
                named.add(node.attr)
    return named, reaches


def test_one_place_runs_the_engine_for_a_case() -> None:
    """The runtime is reached in one function of the step path (steps/core.py run_engine; the
    migration's dry run only plans). Which operation a command runs is named only inside the
    step path; nothing else names start/complete/fire/migrate/reset."""
    naming, reaching = set(), set()
    for path in APP.rglob("*.py"):
        if "engine" in path.relative_to(APP).parts:
            continue
        named, reaches = _uses(path)
        where = str(path.relative_to(APP))
        if named:
            naming.add(where)
        if reaches:
            reaching.add(where)
    assert naming == {"services/steps/path.py", "services/steps/going_back.py"}
    # The migration's dry run plans, and process checks simulate paths in memory: no case either.
    beside = {"services/platform.py", "services/migration.py", "services/process_checks.py"}
    assert reaching - beside == {"services/steps/core.py"}
    core = (APP / "services/steps/core.py").read_text(encoding="utf-8")
    assert core.count("operation(runtime") == 1


def _start(db: Any) -> Case:
    outcome = steps.advance(
        db,
        steps.StartCase(
            processes.current_version(db, "construction_permit"),
            permit_application("步骤测试"),
            user_named(db, "acme"),
            applicant_id=user_named(db, "acme").id,
        ),
    )
    db.commit()
    return outcome.case


def _waits_for_the_lock(app: Any, db: Any, case_id: int, command: Callable[[Any], steps.Command]) -> None:
    """While one session holds the case's lock, ``command`` in another session does not finish;
    it finishes once the first commits."""
    database = edge.of(app).database
    steps.lock(db, case_id=case_id)  # held until db commits
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with database.unit_of_work() as other:
                steps.advance(other, command(other))
        except BaseException as err:  # pragma: no cover - shown by the assertion below
            errors.append(err)
        finally:
            done.set()

    worker = threading.Thread(target=run)
    worker.start()
    assert not done.wait(0.5), f"the second command did not wait for the lock: {errors}"
    db.commit()  # releases the lock
    assert done.wait(30), "the second command never finished"
    worker.join()
    assert errors == []


def test_a_started_case_is_saved_with_its_first_task(db: Any) -> None:
    case = _start(db)
    db.expire_all()
    assert db.get(Case, case.id).status == CaseStatus.IN_PROGRESS
    assert open_task(db, case, "Task_Acceptance").candidate_group == "window"
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.case_id == case.id)) == "case.submitted"


@pytest.mark.parametrize("kind", ["complete", "claim", "release", "reassign", "fire"])
def test_a_second_command_on_the_same_case_waits(app: Any, db: Any, kind: str) -> None:
    case = _start(db)
    task_id = open_task(db, case, "Task_Acceptance").id
    clerk = user_named(db, "clerk")
    if kind == "release":
        steps.advance(db, steps.ClaimTask(task_id, clerk))
        db.commit()

    def command(other: Any) -> steps.Command:
        actor = other.get(type(clerk), clerk.id)
        if kind == "complete":
            return steps.CompleteTask(task_id, {"decision": "accept"}, actor)
        if kind == "claim":
            return steps.ClaimTask(task_id, actor)
        if kind == "release":
            return steps.ReleaseTask(task_id, actor)
        if kind == "reassign":
            return steps.ReassignTask(
                task_id, other.get(type(clerk), user_named(other, "window_chief").id), "clerk"
            )
        return steps.FireTimers(case.id)

    _waits_for_the_lock(app, db, case.id, command)
    db.expire_all()
    task = db.get(HumanTask, task_id)
    expected = {
        "complete": (TaskState.COMPLETED, clerk.id),
        "claim": (TaskState.OPEN, clerk.id),
        "release": (TaskState.OPEN, None),
        "reassign": (TaskState.OPEN, clerk.id),
        "fire": (TaskState.OPEN, None),
    }[kind]
    assert (task.state, task.assignee_id) == expected


def test_due_timers_fire_through_the_step_path(db: Any) -> None:
    case = _start(db)
    due = db.scalar(select(Timer.due_at).where(Timer.case_id == case.id).order_by(Timer.due_at).limit(1))
    with clock.travel_to(due):
        outcome = steps.advance(db, steps.FireTimers(case.id))
        db.commit()
    assert outcome.fired >= 1


def test_a_case_moves_versions_through_the_step_path(app: Any, db: Any, permit_v2: Any) -> None:  # noqa: F811
    case = _start(db)
    old = db.get(Case, case.id).process_version_id
    new = permit_v2()
    old_version = db.get(type(new), old)

    def command(_other: Any) -> steps.Command:
        return steps.MigrateCase(case.id, old_version, new, None)

    _waits_for_the_lock(app, db, case.id, command)
    db.expire_all()
    assert db.get(Case, case.id).process_version_id == new.id
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "case.migrated" in actions


def test_a_refused_command_changes_nothing(db: Any) -> None:
    case = _start(db)
    task_id = open_task(db, case, "Task_Acceptance").id
    before = db.get(Case, case.id).state

    def refuse(_session: Any, _task: HumanTask) -> None:
        from app.errors import Forbidden

        raise Forbidden("no")

    from app.errors import Forbidden

    with pytest.raises(Forbidden):
        steps.advance(db, steps.CompleteTask(task_id, {"decision": "accept"}, None, check=refuse))
    db.rollback()
    assert db.get(Case, case.id).state == before
    assert open_task(db, case, "Task_Acceptance").state == TaskState.OPEN


def test_completing_twice_is_a_conflict(db: Any) -> None:
    from app.errors import Conflict

    case = _start(db)
    task_id = open_task(db, case, "Task_Acceptance").id
    clerk = user_named(db, "clerk")
    steps.advance(db, steps.CompleteTask(task_id, {"decision": "accept"}, clerk))
    db.commit()
    with pytest.raises(Conflict):
        steps.advance(db, steps.CompleteTask(task_id, {"decision": "accept"}, clerk))
    db.rollback()


PROCEDURE_ACTIONS = {
    "suspend": "case.suspended",
    "resume": "case.resumed",
    "withdraw": "case.withdrawn",
    "extension": "case.extension_requested",
    "urge": "case.urged",
    "supervision": "case.supervision_ordered",
    "rate": "case.rated",
    "return": "task.returned",
    "recall": "task.recalled",
    "query_code": "case.query_code_replaced",
}


def procedure_case(db: Any, kind: str) -> tuple[Case, datetime, Callable[[Any], steps.Command]]:
    """A case ready for the procedure ``kind`` (of PROCEDURE_ACTIONS), the time to carry it out
    at, and the command for it built in a given session."""
    from tests.services.test_procedures import _refuse, _to_decision, at, submit

    case = submit(db)
    when = at(18, 9)
    if kind == "resume":
        steps.advance(db, steps.SuspendCase(case.id, user_named(db, "planner"), "expert_review", "论证"))
        db.commit()
    if kind == "rate":
        _refuse(db, case)
    if kind == "return":
        _to_decision(db, case)
    if kind == "recall":
        from tests.helpers import complete_at

        complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
        when = at(16, 11)
    task_ids = {
        bpmn_id: task_id
        for bpmn_id, task_id in db.execute(
            select(HumanTask.bpmn_id, HumanTask.id).where(HumanTask.case_id == case.id)
        )
    }
    db.rollback()

    def command(other: Any) -> steps.Command:
        def named(name: str) -> Any:
            return user_named(other, name)

        return {
            "suspend": lambda: steps.SuspendCase(case.id, named("planner"), "expert_review", "论证"),
            "resume": lambda: steps.ResumeCase(case.id, named("planner"), "论证结束"),
            "withdraw": lambda: steps.WithdrawCase(case.id, named("acme"), "项目调整"),
            "extension": lambda: steps.RequestExtension(case.id, named("clerk"), 3, "现场核实"),
            "urge": lambda: steps.UrgeCase(case.id, named("acme")),
            "supervision": lambda: steps.OrderSupervision(case.id, named("window_chief"), "请加快办理"),
            "rate": lambda: steps.RateService(case.id, named("acme"), 4, "还行"),
            "return": lambda: steps.ReturnTask(
                task_ids["Task_Decision"], named("permit_officer"), "Task_Acceptance", "材料需复核"
            ),
            "recall": lambda: steps.RecallTask(task_ids["Task_Acceptance"], named("clerk")),
            "query_code": lambda: steps.ReplaceQueryCode(case.id, "sms"),
        }[kind]()

    return case, when, command


@pytest.mark.parametrize("kind", sorted(PROCEDURE_ACTIONS))
def test_every_procedure_waits_for_a_held_case_lock(app: Any, db: Any, kind: str) -> None:
    """The procedures (挂起, 恢复, 撤回, 延期, 催办, 督办, 好差评, 退回, recall) take the case's lock the
    same one way: while it is held they wait, then they are carried out."""
    case, when, command = procedure_case(db, kind)
    with clock.travel_to(when):
        _waits_for_the_lock(app, db, case.id, command)
    recorded = db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert PROCEDURE_ACTIONS[kind] in recorded
