"""A new version of the permit process while cases are in flight: running cases keep their
version unless an analyst moves them, and moving is checked case by case and audited."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from app import edge
from app.errors import Forbidden, NotFound, PermitFlowError
from app.models import (
    AuditEvent,
    Case,
    CaseStatus,
    HumanTask,
    ProcessVersion,
    TaskState,
    Timer,
    TimerKind,
)
from app.services import cases, processes, tasks
from app.services.demo import permit_application
from app.services.migration import migrate_cases
from tests.conftest import CASE_TABLES
from tests.helpers import user_named

ROOT = Path(__file__).resolve().parents[2]
KEY = "construction_permit"
ACCEPT = ("Task_Acceptance", "clerk", {"decision": "accept"})
REVIEWS = [
    ("Task_PlanningReview", "planner", {"decision": "approve"}),
    ("Task_FireReview", "fire_officer", {"decision": "approve"}),
    ("Task_EnvironmentReview", "env_officer", {"decision": "approve"}),
]
DECIDE = ("Task_Decision", "permit_officer", {"decision": "approve", "permit_valid_until": "2028-12-31"})


def _without(xml: str, element_id: str) -> str:
    """Drop a flow element (and its diagram shape or edge) from a BPMN text."""
    xml = re.sub(
        rf'\s*<bpmn:(\w+) id="{element_id}"[^>]*?(/>|>.*?</bpmn:\1>)', "", xml, count=1, flags=re.DOTALL
    )
    xml = re.sub(
        rf'\s*<bpmndi:(BPMNShape|BPMNEdge) id="[^"]*" bpmnElement="{element_id}".*?</bpmndi:\1>',
        "",
        xml,
        flags=re.DOTALL,
    )
    return xml.replace(f"<bpmn:flowNodeRef>{element_id}</bpmn:flowNodeRef>", "").replace(
        f"<bpmn:incoming>{element_id}</bpmn:incoming>", ""
    )


def permit_v2_xml() -> str:
    """Version 2: no more correction rounds (an incomplete application is returned and the case
    closes), and the decision task has a new name and a longer limit."""
    xml = (ROOT / "processes" / f"{KEY}.bpmn").read_text(encoding="utf-8")
    for element in [
        "Script_CountCorrections",
        "Task_Correction",
        "Flow_Count_Correction",
        "Flow_Correction_Back",
    ]:
        xml = _without(xml, element)
    xml = xml.replace('targetRef="Script_CountCorrections"', 'targetRef="EndEvent_Returned"').replace(
        '<bpmn:endEvent id="EndEvent_Rejected"',
        '<bpmn:endEvent id="EndEvent_Returned" name="退回申请">'
        "<bpmn:incoming>Flow_Acceptance_Correct</bpmn:incoming></bpmn:endEvent>\n"
        '    <bpmn:endEvent id="EndEvent_Rejected"',
    )
    decision = xml.index('<bpmn:userTask id="Task_Decision"')
    head, tail = xml[:decision], xml[decision:]
    tail = tail.replace('name="审批决定"', 'name="许可决定"', 1).replace('value="2wd"', 'value="3wd"', 1)
    return head + tail


@pytest.fixture
def permit_v2(app: Any, db: Any, tmp_path: Path) -> Any:
    """Deploys version 2 from a copy of processes/ (groups.yaml beside it); the shipped files
    are current again afterwards."""
    folder = tmp_path / "processes"
    # Without the shipped process tests: version 2 ends a case at a correction on purpose, which
    # those tests (rightly) say the shipped version does not.
    shutil.copytree(ROOT / "processes", folder, ignore=shutil.ignore_patterns("tests"))
    (folder / f"{KEY}.bpmn").write_text(permit_v2_xml(), encoding="utf-8")

    def deploy() -> ProcessVersion:
        with app.app_context():
            deployed = processes.deploy_processes(db, None, sorted(folder.glob("*.bpmn")))
            db.commit()
        [permit] = [d for d in deployed if d.key == KEY]
        return permit.version

    yield deploy
    # Leave the shipped version current and the only one (other tests count versions): the
    # cases go first (as the autouse clean-up would, only later), then the versions made here.
    db.rollback()
    database = edge.of(app).database
    with database.engine.begin() as conn:
        for table in CASE_TABLES:
            conn.execute(text(f'DELETE FROM "{table}"'))
    with app.app_context():
        shipped = {d.version.id for d in processes.deploy_processes(db, None)}
        extra = db.scalars(
            select(ProcessVersion).where(ProcessVersion.key == KEY, ProcessVersion.id.not_in(shipped))
        ).all()
        for version in extra:
            db.delete(version)
        db.commit()
    gone = {v.id for v in extra}
    for version_id in gone:
        edge.of(app).platform.version_snapshots.pop(version_id, None)


def _start(db: Any, name: str) -> Case:
    case = cases.start_case(db, user_named(db, "acme"), KEY, permit_application(name)).case
    db.commit()
    return case


def _do(db: Any, case: Case, *steps: tuple[str, str, dict[str, Any]]) -> Case:
    for bpmn_id, who, data in steps:
        db.expire_all()
        task = db.scalar(
            select(HumanTask).where(
                HumanTask.case_id == case.id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == TaskState.OPEN
            )
        )
        assert task is not None, f"no open {bpmn_id}"
        tasks.complete_task(db, user_named(db, who), task.id, data)
        db.commit()
    db.expire_all()
    return db.get(Case, case.id)


def _decision_name(db: Any, case: Case) -> str:
    return db.scalar(
        select(HumanTask.name).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Decision")
    )


def _open_rows(db: Any, case: Case) -> dict[str, Any]:
    db.expire_all()
    rows = db.execute(
        select(HumanTask.id, HumanTask.spiff_task_id, HumanTask.bpmn_id, HumanTask.due_at)
        .where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
        .order_by(HumanTask.id)
    ).all()
    timers = db.execute(
        select(Timer.id, Timer.spiff_task_id, Timer.due_at)
        .where(
            Timer.case_id == case.id,
            Timer.kind == TimerKind.BPMN,
            Timer.fired_at.is_(None),
            Timer.cancelled_at.is_(None),
        )
        .order_by(Timer.id)
    ).all()
    return {"tasks": [tuple(r) for r in rows], "timers": [tuple(t) for t in timers]}


def _in_flight(db: Any) -> dict[str, Case]:
    """Cases of version 1 at acceptance, in correction and in the parallel review."""
    at_acceptance = _start(db, "受理中项目")
    correcting = _do(
        db,
        _start(db, "补正中项目"),
        ("Task_Acceptance", "clerk", {"decision": "correct", "correction_items": ["缺签章"]}),
    )
    reviewing = _do(db, _start(db, "审查中项目"), ACCEPT, REVIEWS[0])
    assert correcting.status is CaseStatus.WAITING_FOR_APPLICANT
    return {"acceptance": at_acceptance, "correction": correcting, "review": reviewing}


def test_running_cases_finish_on_their_version_and_new_cases_take_the_new_one(
    app: Any, db: Any, permit_v2: Any
) -> None:
    flight = _in_flight(db)
    old_version = flight["acceptance"].process_version_id
    v2 = permit_v2()
    assert v2.id != old_version and processes.current_version(db, KEY).id == v2.id

    done = _do(db, flight["acceptance"], ACCEPT, *REVIEWS, DECIDE)
    reviewed = _do(db, flight["review"], *REVIEWS[1:], DECIDE)
    for case in (done, reviewed):
        assert case.status is CaseStatus.APPROVED and case.process_version_id == old_version
        assert _decision_name(db, case) == "审批决定"

    fresh = _start(db, "新版本项目")
    assert fresh.process_version_id == v2.id
    returned = _do(
        db, fresh, ("Task_Acceptance", "clerk", {"decision": "correct", "correction_items": ["x"]})
    )
    assert returned.status is CaseStatus.CLOSED  # v2 returns incomplete applications
    later = _do(db, _start(db, "新版本项目二"), ACCEPT, *REVIEWS, DECIDE)
    assert later.status is CaseStatus.APPROVED and _decision_name(db, later) == "许可决定"


def test_dry_run_lists_which_cases_can_move_and_changes_nothing(app: Any, db: Any, permit_v2: Any) -> None:
    flight = _in_flight(db)
    old = db.get(ProcessVersion, flight["acceptance"].process_version_id)
    v2 = permit_v2()
    states = {k: (c.state, c.lock_version) for k, c in flight.items()}
    with app.app_context():
        outcomes = migrate_cases(db, user_named(db, "analyst"), KEY, old.hash[:8], v2.hash[:8], dry_run=True)
    db.commit()
    by_number = {o.case_number: o for o in outcomes}
    assert set(by_number) == {c.number for c in flight.values()}
    assert by_number[flight["acceptance"].number].possible
    assert by_number[flight["review"].number].possible
    refused = by_number[flight["correction"].number]
    assert not refused.possible and not refused.moved
    assert "no longer has" in (refused.reason or "")
    assert not any(o.moved for o in outcomes)
    db.expire_all()
    for key, case in flight.items():
        case = db.get(Case, case.id)
        assert (case.state, case.lock_version) == states[key] and case.process_version_id == old.id


def test_moving_cases_is_audited_and_they_finish_on_the_new_version(
    app: Any, db: Any, permit_v2: Any
) -> None:
    flight = _in_flight(db)
    old = db.get(ProcessVersion, flight["acceptance"].process_version_id)
    v2 = permit_v2()
    correction_state = flight["correction"].state
    before = _open_rows(db, flight["review"])
    assert before["timers"], "the reviews have reminder timers waiting"
    with app.app_context():
        outcomes = migrate_cases(db, user_named(db, "admin"), KEY, old.hash[:12], v2.hash)
    db.commit()
    moved = {o.case_number for o in outcomes if o.moved}
    assert moved == {flight["acceptance"].number, flight["review"].number}

    db.expire_all()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.migrated")).all()
    assert sorted(e.case_id for e in events) == sorted(flight[k].id for k in ("acceptance", "review"))
    assert all(e.detail["from"] == old.hash[:12] and e.detail["to"] == v2.hash[:12] for e in events)
    assert all(e.actor == "admin" for e in events)
    untouched = db.get(Case, flight["correction"].id)
    assert untouched.process_version_id == old.id and untouched.state == correction_state

    # Open tasks keep their rows (and SLA); the moved cases then run v2 to the end.
    review = db.get(Case, flight["review"].id)
    assert review.process_version_id == v2.id
    # Same task rows (same SpiffWorkflow ids, due times) and the waiting reminders keep their due times.
    assert _open_rows(db, review) == before
    open_reviews = db.scalars(
        select(HumanTask.bpmn_id).where(HumanTask.case_id == review.id, HumanTask.state == TaskState.OPEN)
    ).all()
    assert sorted(open_reviews) == ["Task_EnvironmentReview", "Task_FireReview"]
    reviewed = _do(db, review, *REVIEWS[1:], DECIDE)
    accepted = _do(db, flight["acceptance"], ACCEPT, *REVIEWS, DECIDE)
    for case in (reviewed, accepted):
        assert case.status is CaseStatus.APPROVED and case.process_version_id == v2.id
        assert _decision_name(db, case) == "许可决定"
    # The refused case still finishes on version 1.
    finished = _do(
        db, untouched, ("Task_Correction", "acme", {"response": "已补充"}), ACCEPT, *REVIEWS, DECIDE
    )
    assert finished.status is CaseStatus.APPROVED and finished.process_version_id == old.id


def test_only_analysts_and_admins_may_move_and_versions_must_be_clear(
    app: Any, db: Any, permit_v2: Any
) -> None:
    old = processes.current_version(db, KEY)
    v2 = permit_v2()
    with app.app_context():
        with pytest.raises(Forbidden):
            migrate_cases(db, user_named(db, "clerk"), KEY, old.hash, v2.hash, dry_run=True)
        with pytest.raises(NotFound):
            migrate_cases(db, None, KEY, "ffff0000", v2.hash, dry_run=True)
        with pytest.raises(PermitFlowError, match="same"):
            migrate_cases(db, None, KEY, v2.hash, v2.hash, dry_run=True)
        with pytest.raises(PermitFlowError, match="hex"):
            migrate_cases(db, None, KEY, "", v2.hash, dry_run=True)
        assert migrate_cases(db, None, KEY, old.hash, v2.hash, dry_run=True) == []
    db.rollback()


def test_cli_migrate_reports_each_case_and_exits_1_on_refusals(app: Any, db: Any, permit_v2: Any) -> None:
    flight = _in_flight(db)
    old = db.get(ProcessVersion, flight["acceptance"].process_version_id)
    v2 = permit_v2()
    runner = app.test_cli_runner()
    args = ["processes", "migrate", KEY, "--from", old.hash[:10], "--to", v2.hash[:10]]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 1, dry.output
    assert f"{flight['acceptance'].number}: would move" in dry.output
    assert f"{flight['correction'].number}: refused: " in dry.output
    assert "3 running case(s): 2 could move, 1 refused" in dry.output

    real = runner.invoke(args=args)
    assert real.exit_code == 1 and f"{flight['review'].number}: moved" in real.output
    assert "2 moved, 1 refused" in real.output
    again = runner.invoke(args=args)  # only the refused case is left on version 1
    assert again.exit_code == 1 and "1 running case(s): 0 moved, 1 refused" in again.output

    unknown = runner.invoke(args=["processes", "migrate", KEY, "--from", "abcd1234", "--to", v2.hash])
    assert unknown.exit_code == 1 and "no version abcd1234" in unknown.output
