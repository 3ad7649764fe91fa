"""A case whose script will not stop goes to `error` within the script budget, and whoever
started or woke the case gets its answer and is free again (findings 1 and 2). The error names the
budget (the guard that stopped it); a guard switched off would hang the test into its timeout.
How long it took is not asserted: that is for bench/, not for a loaded test machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import clock, edge
from app.models import Case, CaseStatus
from app.services import cases, processes
from tests.engine.bpmn_factory import script_process, timer_then_script_process, write
from tests.helpers import fire_at, user_named

# `except Exception` swallowed the budget's error, and the case carried on as if nothing had happened.
LOOP_IN_TRY = "n = 0\ntry:\n    while True:\n        n = n + 1\nexcept Exception:\n    pass"
BUDGET = 0.5


@pytest.fixture
def short_budget(app: Any) -> Iterator[float]:
    runtime = edge.of(app).platform.runtime
    before, runtime.script_time_budget = runtime.script_time_budget, BUDGET
    try:
        yield BUDGET
    finally:
        runtime.script_time_budget = before


def _deploy(db: Any, tmp_path: Path, key: str, xml: str) -> None:
    processes.deploy_processes(db, None, [write(tmp_path, key, xml)])
    db.commit()


def test_a_case_start_with_a_looping_script_goes_to_error_and_frees_the_caller(
    db: Any, tmp_path: Path, short_budget: float
) -> None:
    _deploy(db, tmp_path, "loop_start", script_process("loop_start", LOOP_IN_TRY))
    _deploy(db, tmp_path, "fine_start", script_process("fine_start", "n = 1"))
    case = cases.start_case(db, user_named(db, "acme"), "loop_start", {}).case
    db.commit()
    assert case.status is CaseStatus.ERROR
    assert case.error is not None and case.error["bpmn_id"] == "Script_Work"
    assert "budget" in str(case.error["message"])
    # The caller (a web worker in production) is free: the next case starts at once.
    other = cases.start_case(db, user_named(db, "acme"), "fine_start", {}).case
    db.commit()
    assert other.status is CaseStatus.IN_PROGRESS


def test_a_timer_that_runs_a_looping_script_puts_the_case_in_error(
    db: Any, tmp_path: Path, short_budget: float
) -> None:
    _deploy(db, tmp_path, "loop_timer", timer_then_script_process("loop_timer", '"PT1H"', LOOP_IN_TRY))
    case = cases.start_case(db, user_named(db, "acme"), "loop_timer", {}).case
    db.commit()
    assert case.status is CaseStatus.IN_PROGRESS
    fire_at(db, case, clock.now() + timedelta(hours=1, seconds=5))
    db.expire_all()
    failed = db.scalar(select(Case).where(Case.id == case.id))
    assert failed is not None and failed.status is CaseStatus.ERROR
    assert failed.error is not None and failed.error["bpmn_id"] == "Script_Work"
