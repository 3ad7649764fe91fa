"""Decision tables over HTTP: an analyst lowers the fire review's floor-area threshold in
review_agencies.dmn and deploys it with the diagram; a new case is reviewed by fire, a case started
before keeps its version and its agencies. No Python changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.models import Case, HumanTask, ProcessVersion, TaskState
from tests.api.test_processes_edit import _versions, folder  # noqa: F401 - the processes folder fixture

KEY = "parallel_review"
TABLE = "review_agencies.dmn"
FIRE_RULE = "<text>&gt;= 1000</text>"
SMALL_SHOP = {"project_name": "小型商铺", "floor_area": 800, "project_type": "residential"}


def _reviews(db: Any, number: str) -> set[str]:
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    assert case is not None
    found = set(
        db.scalars(
            select(HumanTask.bpmn_id).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
        )
    )
    db.rollback()
    return found


def _start(api: Any) -> str:
    response = api.post("/api/v1/cases", "acme", json={"process": KEY, "data": SMALL_SHOP})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["number"])


def test_a_table_change_deployed_over_the_api_changes_the_agencies_of_new_cases(
    api: Any,
    db: Any,
    folder: Path,  # noqa: F811 - the fixture
) -> None:
    detail = api.get(f"/api/v1/processes/{KEY}", "analyst").get_json()
    table = detail["decisions"][TABLE]
    assert table.count(FIRE_RULE) == 1
    before = _start(api)
    assert _reviews(db, before) == {"Task_PlanningReview"}
    versions = _versions(db, KEY)

    edited = {"bpmn": detail["bpmn_xml"], "dmn": {TABLE: table.replace(FIRE_RULE, "<text>&gt;= 500</text>")}}
    checked = api.post(f"/api/v1/processes/{KEY}/validate", "analyst", json=edited)
    assert checked.get_json() == {"valid": True, "problems": []}
    deployed = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json=edited)
    assert deployed.status_code == 201, deployed.get_json()
    assert deployed.get_json()["created"] is True
    assert deployed.get_json()["callers"] == ["construction_permit"]  # it runs the table too
    assert (folder / TABLE).read_text(encoding="utf-8") == table  # the database holds it, no file
    assert _versions(db, KEY) == versions + 1
    current = db.scalar(select(ProcessVersion).where(ProcessVersion.key == KEY, ProcessVersion.is_current))
    assert current is not None and current.files[f"dmn/{TABLE}"] == edited["dmn"][TABLE]
    db.rollback()

    after = _start(api)
    assert _reviews(db, after) == {"Task_PlanningReview", "Task_FireReview"}
    assert _reviews(db, before) == {"Task_PlanningReview"}  # running cases keep their version
    # The same diagram and table again: nothing new.
    again = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json=edited)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert _versions(db, KEY) == versions + 1


def test_a_broken_table_is_refused_naming_the_table_and_the_task(
    api: Any,
    db: Any,
    folder: Path,  # noqa: F811 - the fixture
) -> None:
    detail = api.get(f"/api/v1/processes/{KEY}", "analyst").get_json()
    table = detail["decisions"][TABLE]
    broken = table.replace('hitPolicy="COLLECT"', 'hitPolicy="RULE ORDER"')
    versions = _versions(db, KEY)
    edited = {"bpmn": detail["bpmn_xml"], "dmn": {TABLE: broken}}
    response = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json=edited)
    assert response.status_code == 422, response.get_json()
    text = str(response.get_json())
    assert "Rule_SelectAgencies" in text and "确定审查部门" in text and "hit policy RULE ORDER" in text
    assert (folder / TABLE).read_text(encoding="utf-8") == table
    assert _versions(db, KEY) == versions
    for name in ("../evil.dmn", "x.bpmn", "a b.dmn"):
        refused = api.post(
            f"/api/v1/processes/{KEY}/validate", "analyst", json={**edited, "dmn": {name: table}}
        )
        assert refused.status_code == 400, (name, refused.get_json())
    assert not (folder.parent / "evil.dmn").exists()
