"""The process pages: list, viewer with live counts, cases at a task, the editor's validate and
deploy over HTTP (role checks and CSRF included)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import clock
from app.models import ProcessVersion
from tests.api.test_processes_edit import BROKEN_TIMER, KEY, folder  # noqa: F401 - the fixture
from tests.helpers import submit_permit

DATA = re.compile(r'<script type="application/json" id="(?:diagram|editor)-data">(.*?)</script>', re.S)


def _data(html: str) -> dict[str, Any]:
    match = DATA.search(html)
    assert match, "no diagram data on the page"
    return dict(json.loads(match.group(1)))


def _current(db: Any, key: str) -> str:
    """The hash of the current version (read in a transaction of its own)."""
    db.expire_all()
    found = db.scalar(select(ProcessVersion.hash).where(ProcessVersion.key == key, ProcessVersion.is_current))
    db.rollback()
    assert found is not None
    return str(found)


def test_the_list_shows_every_process_with_versions_and_running_cases(pages: Any, api: Any, db: Any) -> None:
    submit_permit(api, "列表项目")
    permit = _current(db, "construction_permit")
    html = pages("analyst").get("/processes").get_data(as_text=True)
    for key in ("construction_permit", "parallel_review", "rectification_order", "complaint_handling"):
        assert f"{key}.bpmn" in html
        assert f"/processes/{key}/edit" in html
    row = re.search(
        rf'<tr class="current-version">\s*<td[^>]*><a class="mono" href="[^"]*{permit[:12]}".*?</tr>',
        html,
        re.S,
    )
    assert row, "the current permit version is not listed"
    assert re.search(r'class="num">1</td>', row.group(0))
    assert "Download .bpmn" in html

    clerk = pages("clerk").get("/processes")
    assert clerk.status_code == 200 and "/edit" not in clerk.get_data(as_text=True)
    assert pages("acme").get("/processes").status_code == 403
    assert pages(None).get("/processes").status_code == 302


def test_the_viewer_counts_waiting_and_overdue_tasks_per_version(pages: Any, api: Any, db: Any) -> None:
    with clock.travel_to(clock.now() - timedelta(days=15)):
        late = submit_permit(api, "逾期项目")["number"]
    fresh = submit_permit(api, "新项目")["number"]
    version = _current(db, "construction_permit")[:12]
    analyst = pages("analyst")

    page = analyst.get(f"/processes/construction_permit/versions/{version}")
    assert page.status_code == 200
    data = _data(page.get_data(as_text=True))
    assert data["counts"]["Task_Acceptance"] == {"waiting": 2, "overdue": 1}
    assert "<bpmn:userTask" in data["xml"] or "userTask" in data["xml"]
    live = analyst.get(data["countsUrl"]).get_json()
    assert live["counts"] == data["counts"]

    listing = analyst.get(data["tasksUrl"].replace("__ID__", "Task_Acceptance") + "?overdue=1")
    html = listing.get_data(as_text=True)
    assert late in html and fresh not in html
    assert f"/cases/{late}/audit" in html
    every = analyst.get(data["tasksUrl"].replace("__ID__", "Task_Acceptance")).get_data(as_text=True)
    assert late in every and fresh in every

    download = analyst.get(f"/processes/construction_permit/versions/{version}.bpmn")
    assert download.mimetype == "application/xml" and "attachment" in download.headers["Content-Disposition"]
    assert pages("acme").get(data["countsUrl"]).status_code == 403
    assert analyst.get("/processes/construction_permit/versions/ffff0000").status_code == 404
    assert analyst.get("/processes/nope/versions/abcd").status_code == 404


def test_the_editor_is_for_analysts_and_admins(pages: Any) -> None:
    assert pages("analyst").get(f"/processes/{KEY}/edit").status_code == 200
    assert pages("admin").get(f"/processes/{KEY}/edit").status_code == 200
    assert pages("clerk").get(f"/processes/{KEY}/edit").status_code == 403
    assert pages("acme").get(f"/processes/{KEY}/edit").status_code == 403


def test_validate_and_deploy_check_the_csrf_token_and_the_role(pages: Any, folder: Path) -> None:  # noqa: F811
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    before = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    for path in (f"/processes/{KEY}/validate", f"/processes/{KEY}/deploy"):
        analyst = pages("analyst")
        no_token = analyst.client.post(path, json={"bpmn": xml})
        assert no_token.status_code == 400  # the form expired / did not come from this site
        for user in ("clerk", "auditor", "acme"):
            other = pages(user)
            token = other.csrf("/my/cases" if user == "acme" else "/inbox")
            refused = other.client.post(path, json={"bpmn": xml}, headers={"X-CSRFToken": token})
            assert refused.status_code == 403, user
            assert "analysts and administrators" in refused.get_json()["message"]
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == before


def test_the_editor_validates_and_deploys(pages: Any, db: Any, folder: Path) -> None:  # noqa: F811
    analyst = pages("analyst")
    editor = _data(analyst.get(f"/processes/{KEY}/edit").get_data(as_text=True))
    token = analyst.csrf(f"/processes/{KEY}/edit")
    headers = {"X-CSRFToken": token}
    broken = editor["xml"].replace(*BROKEN_TIMER)

    checked = analyst.client.post(editor["validateUrl"], json={"bpmn": broken}, headers=headers)
    assert checked.status_code == 200
    body = checked.get_json()
    assert body["ok"] is False and body["message"] == "1 problem: fix it before deploying."
    [problem] = body["problems"]
    # The timer definition is not drawn: the problem is marked on the boundary event holding it.
    assert (problem["element_id"], problem["shape_id"]) == ("Timer_Overdue", "Timer_Overdue")

    before, on_disk = _current(db, KEY), (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    refused = analyst.client.post(editor["deployUrl"], json={"bpmn": broken}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["shape_id"] == "Timer_Overdue"
    assert _current(db, KEY) == before

    same = analyst.client.post(editor["deployUrl"], json={"bpmn": editor["xml"]}, headers=headers).get_json()
    assert same["created"] is False and "No change" in same["message"]

    fixed = broken.replace(">PT5S</bpmn:timeDate>", ">deadline_at</bpmn:timeDate>").replace(
        'name="整改逾期"', 'name="整改已逾期"'
    )
    deployed = analyst.client.post(editor["deployUrl"], json={"bpmn": fixed}, headers=headers)
    assert deployed.status_code == 200, deployed.get_json()
    assert deployed.get_json()["created"] is True
    assert _current(db, KEY) == deployed.get_json()["version"] != before
    # The database holds the deployed version; this machine's file is left as it was.
    assert (folder / f"{KEY}.bpmn").read_text(encoding="utf-8") == on_disk
    listed = analyst.get("/processes").get_data(as_text=True)
    assert deployed.get_json()["version"][:12] in listed

    too_big = analyst.client.post(editor["deployUrl"], json={"bpmn": "<x>" * 800_000}, headers=headers)
    assert too_big.status_code == 413 and "at most" in too_big.get_json()["message"]
