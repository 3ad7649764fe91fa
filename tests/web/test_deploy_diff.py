"""Before Deploy the editor shows the differences from the current version (added, removed, changed
elements and what changed in each, with the shapes to mark) and how many running cases stay on their
versions; the deploy names the version the analyst confirmed against (another one current: 409,
nothing deployed); every deploy and every switch of the current version is in the audit trail with
who, what and the differences."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from app.models import AuditEvent
from app.services import cases, processes
from tests.api.test_processes_edit import folder  # noqa: F401 - the processes folder fixture
from tests.helpers import user_named
from tests.web.test_analyst_pages import _current, _data

KEY = "parallel_review"
START = {
    "project_name": "北湖差异测试楼",
    "floor_area": 800,
    "project_type": "residential",
    "building_height": 20,
}
PLANNING = '<bpmn:userTask id="Task_PlanningReview"'


def with_planning_limit(xml: str, limit: str) -> str:
    """The diagram with the planning review's time limit set to ``limit`` (what the properties panel
    writes)."""
    head, task = xml.split(PLANNING, 1)
    return (
        head
        + PLANNING
        + task.replace('name="time_limit" value="5wd"', f'name="time_limit" value="{limit}"', 1)
    )


def _editor(pages: Any, language: str = "en") -> tuple[Any, dict[str, Any], dict[str, str]]:
    analyst = pages("analyst", language=language)
    editor = _data(analyst.get(f"/processes/{KEY}/edit").get_data(as_text=True))
    return analyst, editor, {"X-CSRFToken": analyst.csrf(f"/processes/{KEY}/edit")}


def _running(db: Any) -> int:
    db.expire_all()
    count = sum(processes.running_counts(db, KEY).values())
    db.rollback()
    return count


def _events(db: Any, action: str, key: str = KEY) -> list[SimpleNamespace]:
    """Who and what of the audit events ``action`` of process ``key`` (a deploy also redeploys the
    processes calling it), read in a transaction of their own."""
    db.expire_all()
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    found = [
        SimpleNamespace(actor=e.actor, detail=dict(e.detail)) for e in rows if e.detail.get("key") == key
    ]
    db.rollback()
    return found


def test_the_editor_lists_the_differences_and_the_cases_that_stay(
    pages: Any,
    db: Any,
    folder: Path,  # noqa: F811
) -> None:
    cases.start_case(db, user_named(db, "acme"), KEY, START)
    db.commit()
    analyst, editor, headers = _editor(pages, "zh_CN")
    edited = with_planning_limit(editor["xml"], "3wd")
    answer = analyst.client.post(editor["diffUrl"], json={"bpmn": edited}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    diff = answer.get_json()
    assert diff["base"] == _current(db, KEY) and diff["empty"] is False
    assert (diff["added"], diff["removed"]) == ([], [])
    [task] = diff["changed"]
    assert (task["element_id"], task["name"], task["shape_id"]) == (
        "Task_PlanningReview",
        "规划审查",
        "Task_PlanningReview",
    )
    assert task["changes"] == [{"facet": "属性 time_limit", "before": "5wd", "after": "3wd"}]
    running = _running(db)
    assert running >= 1 and diff["running_cases"] == running
    assert "修改 1 个" in diff["summary"] and f"{running} 个在办办件" in diff["running"]

    same = analyst.client.post(editor["diffUrl"], json={"bpmn": editor["xml"]}, headers=headers).get_json()
    assert same["empty"] is True and same["changed"] == []
    # Only analysts and administrators see it.
    clerk = pages("clerk")
    refused = clerk.client.post(
        editor["diffUrl"], json={"bpmn": edited}, headers={"X-CSRFToken": clerk.csrf("/inbox")}
    )
    assert refused.status_code == 403


def test_a_deploy_confirmed_against_another_version_deploys_nothing(
    pages: Any,
    db: Any,
    folder: Path,  # noqa: F811
) -> None:
    analyst, editor, headers = _editor(pages)
    before = _current(db, KEY)
    edited = with_planning_limit(editor["xml"], "3wd")
    stale = analyst.client.post(editor["deployUrl"], json={"bpmn": edited, "base": "0" * 64}, headers=headers)
    assert stale.status_code == 409 and "nothing was deployed" in stale.get_json()["message"]
    assert _current(db, KEY) == before
    assert (folder / f"{KEY}.bpmn").read_text(encoding="utf-8") == editor["xml"]


def test_every_deploy_and_every_switch_of_the_current_version_is_audited(
    pages: Any,
    db: Any,
    folder: Path,  # noqa: F811
) -> None:
    analyst, editor, headers = _editor(pages)
    first = _current(db, KEY)
    deployed_before = len(_events(db, "process.deployed"))
    edited = with_planning_limit(editor["xml"], "3wd")
    body = analyst.client.post(
        editor["deployUrl"], json={"bpmn": edited, "base": first}, headers=headers
    ).get_json()
    assert body["ok"] and body["created"], body
    second = _current(db, KEY)
    assert second != first

    events = _events(db, "process.deployed")
    assert len(events) == deployed_before + 1
    deployed = events[-1]
    assert deployed.actor == "analyst"
    assert (deployed.detail["key"], deployed.detail["from"], deployed.detail["hash"]) == (KEY, first, second)
    assert deployed.detail["diff"] == {
        "added": [],
        "removed": [],
        "changed": {"Task_PlanningReview": ["property time_limit"]},
    }
    assert (
        deployed.detail["changes"]
        == "added 0, removed 0, changed 1: Task_PlanningReview (property time_limit)"
    )
    assert deployed.detail["running_cases"] == _running(db)

    # Back to the first version: the diagram deployed again makes it current, and that is audited.
    switched_before = len(_events(db, "process.current_changed"))
    back = pages("admin")
    token = {"X-CSRFToken": back.csrf(f"/processes/{KEY}/edit")}
    answer = back.client.post(
        editor["deployUrl"], json={"bpmn": editor["xml"], "base": second}, headers=token
    )
    assert answer.status_code == 200 and answer.get_json()["created"] is False, answer.get_json()
    assert _current(db, KEY) == first
    [switch] = _events(db, "process.current_changed")[switched_before:]
    assert switch.actor == "admin"
    assert (switch.detail["from"], switch.detail["hash"]) == (second, first)
    assert switch.detail["diff"]["changed"] == {"Task_PlanningReview": ["property time_limit"]}

    # The audit trail page names both, in the reader's language.
    auditor = pages("auditor", language="zh_CN")
    page = auditor.get("/audit").get_data(as_text=True)
    assert "当前流程版本已切换" in page and "Task_PlanningReview (property time_limit)" in page
