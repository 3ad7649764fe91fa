"""Process versions: the spec is stored once per version and cases refer to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Case, ProcessVersion
from app.services import processes
from tests.helpers import submit_permit


def test_two_cases_of_one_version_share_one_spec_row(api: Any, db: Any) -> None:
    first, second = submit_permit(api, "甲项目")["number"], submit_permit(api, "乙项目")["number"]
    cases = db.scalars(select(Case).where(Case.number.in_([first, second]))).all()
    assert len({c.process_version_id for c in cases}) == 1
    version = db.get(ProcessVersion, cases[0].process_version_id)
    for case in cases:
        # The saved state names no spec: it holds only the instance's tasks and data.
        assert '"spec"' not in case.state and '"subprocess_specs"' not in case.state
        assert len(case.state) < len(version.spec_json)
        assert '"task_specs"' in version.spec_json


def test_deploying_unchanged_files_creates_no_version(app: Any, db: Any) -> None:
    with app.app_context():
        deployed = processes.deploy_processes(db, None)
    assert {"construction_permit", "parallel_review", "rectification_order"} <= {d.key for d in deployed}
    assert not any(d.created for d in deployed)
    db.rollback()
