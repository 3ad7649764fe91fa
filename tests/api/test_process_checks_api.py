"""Analysts simulate and test an edited diagram over HTTP; a deploy whose process tests fail is
refused with 422 naming the test and step, and nothing is written or deployed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.api.test_processes_edit import SHIPPED, folder  # noqa: F401 - the fixture

KEY = "rectification_order"


def _with_tests(folder: Path) -> None:  # noqa: F811
    shutil.copytree(SHIPPED / "tests", folder / "tests", dirs_exist_ok=True)


def test_simulate_and_test_an_edited_diagram(api: Any, folder: Path) -> None:  # noqa: F811
    _with_tests(folder)
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    simulated = api.post(f"/api/v1/processes/{KEY}/simulate", "analyst", json={"bpmn": xml})
    assert simulated.status_code == 200, simulated.get_json()
    body = simulated.get_json()
    assert body["ok"] is True and body["problems"] == [] and body["covered"] == body["branches"] == 2

    broken = xml.replace('verification["decision"] == "passed"', 'verification["decision"] == "pass"')
    assert broken != xml
    body = api.post(f"/api/v1/processes/{KEY}/simulate", "analyst", json={"bpmn": broken}).get_json()
    assert body["ok"] is False
    assert "Flow_Verified_Passed" in [p["element_id"] for p in body["problems"]]

    tested = api.post(f"/api/v1/processes/{KEY}/test", "admin", json={"bpmn": xml}).get_json()
    assert tested["passed"] is True and {t["name"] for t in tested["tests"]} == {
        "passed",
        "overdue_failed_then_passed",
    }
    failing = api.post(f"/api/v1/processes/{KEY}/test", "admin", json={"bpmn": broken}).get_json()
    assert failing["passed"] is False
    assert all(t["step"] is not None for t in failing["tests"] if not t["passed"])

    assert api.post(f"/api/v1/processes/{KEY}/simulate", "clerk", json={"bpmn": xml}).status_code == 403
    invalid = api.post(f"/api/v1/processes/{KEY}/test", "analyst", json={"bpmn": "<not-bpmn/>"})
    assert invalid.status_code == 422 and invalid.get_json()["errors"]


def test_a_deploy_with_a_failing_process_test_is_refused(api: Any, folder: Path) -> None:  # noqa: F811
    _with_tests(folder)
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    broken = xml.replace('verification["decision"] == "passed"', 'verification["decision"] == "pass"')
    refused = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json={"bpmn": broken})
    assert refused.status_code == 422, refused.get_json()
    errors = json.dumps(refused.get_json()["errors"], ensure_ascii=False)
    assert "processes/tests/rectification_order.passed.json" in errors and "at step" in errors
    assert (folder / f"{KEY}.bpmn").read_text(encoding="utf-8") == xml
