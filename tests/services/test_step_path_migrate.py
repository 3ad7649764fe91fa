"""MigrateCase through the step path (steps/path.py `_migrate`) with two tiny versions of one
process: a running case moves and its open task takes the new name; a case already moved, or
finished, is skipped; a move the engine refuses changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import clock
from app.models import AuditEvent, Case, CaseStatus, HumanTask, ProcessVersion
from app.services import processes, steps
from tests.engine.bpmn_factory import boundary_timer_process, timer_then_script_process, write
from tests.helpers import complete_at, open_task, user_named

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 17, 9, 0, tzinfo=SH)
KEY = "moving_review"


def _deploy(app: Any, db: Any, folder: Path, xml: str, key: str = KEY) -> ProcessVersion:
    folder.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        (deployed,) = processes.deploy_processes(db, None, [write(folder, key, xml)])
        db.commit()
    return deployed.version


def _versions(app: Any, db: Any, tmp_path: Path, renamed: str = "材料审查") -> tuple[ProcessVersion, Any]:
    """Version 1 deployed; a function that deploys version 2 (the review renamed ``renamed``)."""
    old = _deploy(app, db, tmp_path / "v1", boundary_timer_process(KEY, '"PT2H"'))

    def deploy_new(xml: str | None = None) -> ProcessVersion:
        new_xml = xml or boundary_timer_process(KEY, '"PT2H"').replace('name="审查"', f'name="{renamed}"')
        return _deploy(app, db, tmp_path / "v2", new_xml)

    return old, deploy_new


def _start(db: Any, key: str = KEY) -> Case:
    with clock.travel_to(START):
        case = steps.advance(
            db, steps.StartCase(processes.current_version(db, key), {}, None, applicant_id=None)
        ).case
        db.commit()
    return case


def _migrate(db: Any, case: Case, old: ProcessVersion, new: ProcessVersion) -> steps.StepOutcome:
    with clock.travel_to(START + timedelta(hours=1)):
        outcome = steps.advance(db, steps.MigrateCase(case.id, old, new, user_named(db, "admin")))
    db.commit()
    return outcome


def _migrated(db: Any, case: Case) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.migrated")
        )
    )


def test_a_running_case_moves_and_its_open_task_takes_the_new_name(app: Any, db: Any, tmp_path: Path) -> None:
    old, deploy_new = _versions(app, db, tmp_path)
    case = _start(db)
    review = open_task(db, case, "Task_Review")
    # The new version names the review's group with a helper of the step: the move runs with them.
    helped = '"window" if working_days(1) else "nobody"'.replace('"', "&quot;")
    xml = boundary_timer_process(KEY, '"PT2H"').replace('name="审查"', 'name="材料审查"')
    new = deploy_new(xml.replace("&quot;window&quot;", helped))
    outcome = _migrate(db, case, old, new)
    assert outcome.case.id == case.id and outcome.refused is None and outcome.skipped is False
    db.expire_all()
    assert db.get(Case, case.id).process_version_id == new.id
    moved = open_task(db, case, "Task_Review")
    assert moved.id == review.id and moved.name == "材料审查"
    (event,) = _migrated(db, case)
    assert event.actor == "admin"
    assert event.detail == {
        "process": KEY,
        "from": old.hash[:12],
        "to": new.hash[:12],
        "status": "in_progress",
    }


def test_a_case_already_moved_or_finished_is_skipped(app: Any, db: Any, tmp_path: Path) -> None:
    old, deploy_new = _versions(app, db, tmp_path)
    moved, finished = _start(db), _start(db)
    complete_at(db, finished, "Task_Review", "clerk", {}, START + timedelta(minutes=30))
    new = deploy_new()
    _migrate(db, moved, old, new)
    for case in (moved, finished):
        state = db.get(Case, case.id).state
        version = db.get(Case, case.id).process_version_id
        db.rollback()
        outcome = _migrate(db, case, old, new)
        assert outcome.skipped is True and outcome.case.id == case.id and outcome.refused is None
        db.expire_all()
        again = db.get(Case, case.id)
        assert again.state == state and again.process_version_id == version
    assert db.get(Case, finished.id).status is CaseStatus.CLOSED
    assert len(_migrated(db, moved)) == 1 and _migrated(db, finished) == []


def test_a_move_the_engine_refuses_changes_nothing(app: Any, db: Any, tmp_path: Path) -> None:
    old, deploy_new = _versions(app, db, tmp_path)
    case = _start(db)
    state = db.get(Case, case.id).state
    db.rollback()
    # Version 2 has no task the waiting review could become.
    new = deploy_new(boundary_timer_process(KEY, '"PT2H"').replace("Task_Review", "Task_Check"))
    outcome = _migrate(db, case, old, new)
    assert outcome.refused and outcome.skipped is False and outcome.case.id == case.id
    db.expire_all()
    kept = db.get(Case, case.id)
    assert kept.process_version_id == old.id and kept.state == state
    assert db.scalar(select(HumanTask.bpmn_id).where(HumanTask.case_id == case.id)) == "Task_Review"
    assert _migrated(db, case) == []


def test_a_move_that_would_stop_the_case_on_an_error_is_refused(app: Any, db: Any, tmp_path: Path) -> None:
    key = "moving_wait"
    old = _deploy(app, db, tmp_path / "v1", timer_then_script_process(key, '"PT2H"', "x = 1"), key)
    case = _start(db, key)
    state = db.get(Case, case.id).state
    db.rollback()
    # In version 2 the script after the timer fails; the timer is due when the case moves.
    new = _deploy(app, db, tmp_path / "v2", timer_then_script_process(key, '"PT2H"', "x = 1 / 0"), key)
    with clock.travel_to(START + timedelta(hours=3)):
        outcome = steps.advance(db, steps.MigrateCase(case.id, old, new, None))
    db.rollback()
    assert outcome.refused and outcome.refused.startswith(
        "the case would stop on an error in the new version: "
    )
    assert outcome.case.id == case.id and outcome.skipped is False
    db.expire_all()
    kept = db.get(Case, case.id)
    assert kept.process_version_id == old.id and kept.state == state and kept.status is CaseStatus.IN_PROGRESS
