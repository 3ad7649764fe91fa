"""Process checks through the platform: the shipped process tests pass with the platform's own
helpers and form validation (the suite runs every file), simulation writes nothing, and a deploy
is refused, naming the failing test and step, when a process test fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import ProcessInvalid
from app.models import Case, ProcessVersion
from app.services import process_checks, processes

SHIPPED = Path(__file__).resolve().parents[2] / "processes"
KEYS = ["complaint_handling", "construction_permit", "parallel_review", "rectification_order"]


@pytest.mark.parametrize("key", KEYS)
def test_the_shipped_process_tests_pass(db: Any, key: str) -> None:
    bundle = processes.read_processes(db).bundles[key]
    outcomes = process_checks.run_tests(db, bundle)
    assert outcomes, f"no tests for {key}"
    assert [o for o in outcomes if not o.passed] == []
    db.rollback()


def test_simulation_writes_nothing_and_reports_as_problems(db: Any) -> None:
    cases = db.scalar(select(func.count()).select_from(Case))
    bundle = processes.read_processes(db).bundles["rectification_order"]
    report = process_checks.simulate_bundle(db, bundle)
    assert report.ok and report.paths > 1
    assert process_checks.simulation_problems(report, "processes/rectification_order.bpmn") == []
    assert db.scalar(select(func.count()).select_from(Case)) == cases
    assert not db.new and not db.dirty
    db.rollback()


def _copy(tmp_path: Path) -> Path:
    for path in [*SHIPPED.glob("*.bpmn"), *SHIPPED.glob("*.dmn"), SHIPPED / "groups.yaml"]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(SHIPPED / "tests", tmp_path / "tests")
    return tmp_path


def test_a_deploy_is_refused_naming_the_failing_test_and_step(db: Any, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    test = folder / "tests" / "rectification_order.passed.json"
    story = json.loads(test.read_text(encoding="utf-8"))
    story["steps"][1]["data"]["decision"] = "failed"  # the story now loops back to the contractor
    story["steps"][1]["data"]["open_findings"] = [0]
    test.write_text(json.dumps(story, ensure_ascii=False), encoding="utf-8")
    versions = db.scalar(select(func.count()).select_from(ProcessVersion))
    with pytest.raises(ProcessInvalid) as refused:
        processes.deploy_processes(db, None, sorted(folder.glob("*.bpmn")))
    [line] = refused.value.errors["processes"]
    assert line.startswith(
        "processes/tests/rectification_order.passed.json:0: Task_Rectify: process test passed fails"
    )
    assert "at step 3" in line and "waits at: Task_Rectify" in line
    assert refused.value.status == 422
    assert db.scalar(select(func.count()).select_from(ProcessVersion)) == versions
    db.rollback()


def test_an_unreadable_test_file_refuses_the_deploy_too(db: Any, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "tests" / "complaint_handling.broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ProcessInvalid) as refused:
        processes.deploy_processes(db, None, sorted(folder.glob("*.bpmn")))
    assert any(
        "complaint_handling.broken.json" in e and "not JSON" in e for e in refused.value.errors["processes"]
    )
    db.rollback()
