"""Analysts validate, deploy and migrate over HTTP; everyone else is refused and nothing is stored."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from app import edge
from app.models import AuditEvent, ProcessVersion
from tests.ci_guard import not_applicable
from tests.helpers import submit_permit

SHIPPED = Path(__file__).resolve().parents[2] / "processes"
KEY = "rectification_order"
BROKEN_TIMER = (">deadline_at</bpmn:timeDate>", ">PT5S</bpmn:timeDate>")


@pytest.fixture
def folder(app: Any, db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the processes folder as the app's processes folder; afterwards the versions that
    were current before are current again, so other tests run the shipped processes."""
    for path in [*SHIPPED.glob("*.bpmn"), *SHIPPED.glob("*.dmn"), SHIPPED / "groups.yaml"]:
        shutil.copy(path, tmp_path / path.name)
    plat = edge.of(app).platform
    monkeypatch.setattr(plat, "settings", replace(plat.settings, processes_dir=str(tmp_path)))
    current = list(db.scalars(select(ProcessVersion.id).where(ProcessVersion.is_current.is_(True))))
    db.rollback()
    yield tmp_path
    db.execute(update(ProcessVersion).values(is_current=ProcessVersion.id.in_(current)))
    db.commit()


def _versions(db: Any, key: str) -> int:
    db.expire_all()
    count = db.scalar(select(func.count()).select_from(ProcessVersion).where(ProcessVersion.key == key))
    db.rollback()
    return int(count or 0)


def test_validate_lists_problems_with_line_element_and_hint(api: Any, folder: Path) -> None:
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    ok = api.post(f"/api/v1/processes/{KEY}/validate", "analyst", json={"bpmn": xml})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json() == {"valid": True, "problems": []}

    broken = xml.replace(*BROKEN_TIMER)
    for kw in ({"json": {"bpmn": broken}}, {"data": broken.encode(), "content_type": "application/xml"}):
        response = api.post(f"/api/v1/processes/{KEY}/validate", "admin", **kw)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["valid"] is False
        [problem] = body["problems"]
        assert problem["element_id"] == "Timer_Overdue"
        assert (
            problem["line"]
            == broken.splitlines().index(next(line for line in broken.splitlines() if ">PT5S<" in line)) + 1
        )
        assert "PT5S" in problem["message"] and '"PT5S"' in problem["hint"]
        assert problem["text"].startswith(f"processes/{KEY}.bpmn:{problem['line']}: Timer_Overdue")


def test_validate_uses_the_forms_the_diagram_references(api: Any, folder: Path) -> None:
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    broken = xml.replace("rectification_report.schema.json", "no_such_form.schema.json", 1)
    assert broken != xml
    body = api.post(f"/api/v1/processes/{KEY}/validate", "analyst", json={"bpmn": broken}).get_json()
    assert body["valid"] is False
    assert any("no_such_form" in p["message"] for p in body["problems"]), body


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/v1/processes/{KEY}/validate", {"bpmn": "<x/>"}),
        (f"/api/v1/processes/{KEY}/versions", {"bpmn": "<x/>"}),
        (f"/api/v1/processes/{KEY}/migrations", {"from": "abcd", "to": "abce"}),
    ],
)
def test_only_analysts_and_admins_may_change_processes(
    api: Any, db: Any, folder: Path, path: str, body: dict[str, str]
) -> None:
    before = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    versions = _versions(db, KEY)
    assert api.post(path, None, json=body).status_code == 401
    for user in ("clerk", "inspector", "director", "auditor", "acme"):
        response = api.post(path, user, json=body)
        assert response.status_code == 403, (user, response.get_json())
        assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == before
    assert _versions(db, KEY) == versions


def test_deploy_stores_a_version_once_and_writes_no_file(api: Any, db: Any, folder: Path) -> None:
    path = folder / f"{KEY}.bpmn"
    shipped = path.read_text(encoding="utf-8")
    xml = shipped.replace('name="下达整改通知"', 'name="下达整改通知书"')
    versions = _versions(db, KEY)

    first = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json={"bpmn": xml})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["created"] is True
    # The database is the truth for deployed versions: this machine's folder is left as it was.
    assert path.read_text(encoding="utf-8") == shipped
    assert _versions(db, KEY) == versions + 1
    current = db.scalar(select(ProcessVersion).where(ProcessVersion.key == KEY, ProcessVersion.is_current))
    assert current is not None and current.hash == first.get_json()["version"]
    assert db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "process.deployed")
    )
    # complaint_handling and site_alert call the rectification order: their versions carry the new
    # one inside.
    assert first.get_json()["callers"] == ["complaint_handling", "site_alert"]
    db.rollback()

    # The same diagram again, even laid out differently: no new version, the file stays.
    again = xml.replace("\n    ", "\n  ")
    second = api.post(
        f"/api/v1/processes/{KEY}/versions", "admin", data=again.encode(), content_type="application/xml"
    )
    assert second.status_code == 200, second.get_json()
    assert second.get_json() == {**first.get_json(), "created": False, "callers": []}
    assert path.read_text(encoding="utf-8") == shipped
    assert _versions(db, KEY) == versions + 1


def test_a_refused_deploy_changes_nothing(api: Any, db: Any, folder: Path) -> None:
    path = folder / f"{KEY}.bpmn"
    before = path.read_text(encoding="utf-8")
    versions = _versions(db, KEY)
    response = api.post(
        f"/api/v1/processes/{KEY}/versions", "analyst", json={"bpmn": before.replace(*BROKEN_TIMER)}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "1 problem(s) in the diagram: nothing was deployed"
    assert "Timer_Overdue" in body["errors"]["bpmn"][0]
    assert path.read_text(encoding="utf-8") == before
    assert _versions(db, KEY) == versions
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("kw", "status", "words"),
    [
        ({"data": b"<x/>", "content_type": "text/plain"}, 415, "application/xml"),
        ({"data": b"\xff\xfe<x/>", "content_type": "application/xml"}, 400, "UTF-8"),
        ({"data": b"   ", "content_type": "application/xml"}, 400, "empty"),
        ({"json": {"bpmn": 5}}, 422, "bpmn"),
        ({"json": {"bpmn": "<x>" * 700_000}}, 413, "at most"),
        ({"data": b"<not xml", "content_type": "application/xml"}, 422, "not well-formed XML"),
        (
            {"json": {"bpmn": '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'}},
            422,
            "DOCTYPE",
        ),
    ],
)
def test_bad_diagrams_are_refused_naming_the_problem(
    api: Any, db: Any, folder: Path, kw: dict[str, Any], status: int, words: str
) -> None:
    versions = _versions(db, KEY)
    response = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", **kw)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert words in body["message"] + str(body["errors"])
    assert _versions(db, KEY) == versions


def test_unknown_process_is_404_and_writes_no_file(api: Any, folder: Path) -> None:
    for key in ("no_such_process", "..%2F..%2Fetc", "groups"):
        response = api.post(f"/api/v1/processes/{key}/versions", "analyst", json={"bpmn": "<x/>"})
        assert response.status_code == 404, key
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in [*SHIPPED.glob("*.bpmn"), *SHIPPED.glob("*.dmn")]] + ["groups.yaml"]
    )


def test_migration_dry_run_says_which_cases_can_move(api: Any, db: Any, folder: Path) -> None:
    old = db.scalar(
        select(ProcessVersion.hash).where(
            ProcessVersion.key == "construction_permit", ProcessVersion.is_current
        )
    )
    db.rollback()
    number = submit_permit(api, "迁移试算项目")["number"]
    xml = (folder / "construction_permit.bpmn").read_text(encoding="utf-8")
    edited = xml.replace('name="施工许可"', 'name="建筑工程施工许可"', 1)
    assert edited != xml
    deployed = api.post("/api/v1/processes/construction_permit/versions", "analyst", json={"bpmn": edited})
    assert deployed.status_code == 201, deployed.get_json()
    new = deployed.get_json()["version"]

    response = api.post(
        "/api/v1/processes/construction_permit/migrations",
        "analyst",
        json={"from": old[:12], "to": new[:12], "dry_run": True},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "dry_run": True,
        "cases": [{"case_number": number, "moved": False, "possible": True, "reason": None}],
    }
    bad = api.post(
        "/api/v1/processes/construction_permit/migrations", "analyst", json={"from": "zzzz", "to": new}
    )
    assert bad.status_code == 422
    assert "not a version hash" in bad.get_json()["message"]
    missing = api.post("/api/v1/processes/construction_permit/migrations", "analyst", json={"to": new})
    assert missing.status_code == 422 and "from" in missing.get_json()["errors"]


def test_a_doctype_anywhere_is_refused(api: Any, db: Any, folder: Path) -> None:
    """Not only in the first kilobytes: after a 5 KB comment, with an entity used in a name."""
    path = folder / f"{KEY}.bpmn"
    before = path.read_text(encoding="utf-8")
    head, rest = before.split("\n", 1)
    xml = f'{head}\n<!--{"x" * 5000}-->\n<!DOCTYPE d [<!ENTITY e "EXPANDED">]>\n{rest}'
    xml = xml.replace('isExecutable="true"', 'name="&e;" isExecutable="true"', 1)
    versions = _versions(db, KEY)
    for url in (f"/api/v1/processes/{KEY}/validate", f"/api/v1/processes/{KEY}/versions"):
        response = api.post(url, "analyst", json={"bpmn": xml})
        assert response.status_code == 422, response.get_json()
        body = response.get_json()
        assert "DOCTYPE declaration (line 3)" in body["message"], body
        assert body["errors"]["bpmn"] == ["line 3: remove the DOCTYPE declaration"]
    assert path.read_text(encoding="utf-8") == before
    assert _versions(db, KEY) == versions


def test_a_diagram_defining_another_files_process_is_refused(api: Any, db: Any, folder: Path) -> None:
    """complaint_handling.bpmn that also holds an executable rectification_order would be called
    instead of rectification_order.bpmn: refused, naming the element and the owning file."""
    key = "complaint_handling"
    path = folder / f"{key}.bpmn"
    before = path.read_text(encoding="utf-8")
    shadow = """<bpmn:process id="rectification_order" isExecutable="true">
<bpmn:startEvent id="Shadow_S"><bpmn:outgoing>Shadow_F</bpmn:outgoing></bpmn:startEvent>
<bpmn:endEvent id="Shadow_E"><bpmn:incoming>Shadow_F</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="Shadow_F" sourceRef="Shadow_S" targetRef="Shadow_E" /></bpmn:process>
"""
    xml = before.replace("</bpmn:definitions>", shadow + "</bpmn:definitions>")
    line = xml[: xml.index('<bpmn:process id="rectification_order"')].count("\n") + 1
    expected = f"processes/{key}.bpmn:{line}: rectification_order: process 'rectification_order' belongs to"

    checked = api.post(f"/api/v1/processes/{key}/validate", "analyst", json={"bpmn": xml})
    assert checked.status_code == 200, checked.get_json()
    assert checked.get_json()["valid"] is False
    assert [p["text"] for p in checked.get_json()["problems"] if p["text"].startswith(expected)]

    versions = _versions(db, key), _versions(db, KEY)
    deployed = api.post(f"/api/v1/processes/{key}/versions", "analyst", json={"bpmn": xml})
    assert deployed.status_code == 422, deployed.get_json()
    assert any(text.startswith(expected) for text in deployed.get_json()["errors"]["bpmn"])
    assert path.read_text(encoding="utf-8") == before
    assert (_versions(db, key), _versions(db, KEY)) == versions


def test_deploy_reads_the_deployed_versions_not_this_servers_files(api: Any, db: Any, folder: Path) -> None:
    """Deploying bundles the called processes and redeploys the callers: from the database's
    current versions, so an old copy in this server's folder (another server deployed since) is
    neither refused nor brought back."""
    called, caller = folder / f"{KEY}.bpmn", folder / "complaint_handling.bpmn"
    called_xml, caller_xml = called.read_text(encoding="utf-8"), caller.read_text(encoding="utf-8")
    new_callee = called_xml.replace('name="下达整改通知"', f'name="下达整改通知 {uuid.uuid4().hex[:8]}"')
    response = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json={"bpmn": new_callee})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["callers"] == ["complaint_handling", "site_alert"]

    # This server's folder still holds the old callee; the caller's new version bundles the new one.
    called.write_text(called_xml.replace('name="下达整改通知"', 'name="旧的整改通知"'), encoding="utf-8")
    edited = caller_xml.replace('name="投诉举报"', f'name="投诉举报 {uuid.uuid4().hex[:8]}"')
    response = api.post("/api/v1/processes/complaint_handling/versions", "analyst", json={"bpmn": edited})
    assert response.status_code == 201, response.get_json()
    db.expire_all()
    current = db.scalar(
        select(ProcessVersion).where(ProcessVersion.key == "complaint_handling", ProcessVersion.is_current)
    )
    assert current is not None and current.bpmn_xml == edited
    assert current.files[f"bpmn/{KEY}.bpmn"] == new_callee
    assert current.source_path == str(folder / "complaint_handling.bpmn")
    db.rollback()
    assert caller.read_text(encoding="utf-8") == caller_xml


def test_a_deploy_over_a_newer_current_version_is_refused_naming_it(api: Any, db: Any, folder: Path) -> None:
    """Two analysts started from the same version; the second deploy (its base no longer current)
    answers 409 naming the version the first one made current, and stores nothing."""
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8")
    started = api.get(f"/api/v1/processes/{KEY}", "analyst").get_json()["version"]
    mine = xml.replace('name="下达整改通知"', f'name="下达整改通知 {uuid.uuid4().hex[:8]}"')
    first = api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json={"bpmn": mine, "base": started})
    assert first.status_code == 201, first.get_json()
    versions = _versions(db, KEY)

    theirs = xml.replace('name="下达整改通知"', f'name="下达整改通知 {uuid.uuid4().hex[:8]}"')
    late = api.post(f"/api/v1/processes/{KEY}/versions?base={started}", "admin", json={"bpmn": theirs})
    assert late.status_code == 409, late.get_json()
    assert first.get_json()["version"][:12] in late.get_json()["message"]
    assert _versions(db, KEY) == versions
    bad = api.post(f"/api/v1/processes/{KEY}/versions", "admin", json={"bpmn": theirs, "base": "v1"})
    assert bad.status_code == 422 and bad.get_json()["errors"]["base"] == ["not a version hash"]


def test_deploys_wait_for_each_other_on_postgresql(api: Any, db: Any, folder: Path) -> None:
    """A deploy waits while another holds the deploy lock: it writes no file and no version until
    the other is done (SQLite serialises writers by itself)."""
    if db.get_bind().dialect.name != "postgresql":
        not_applicable("the advisory lock is PostgreSQL's")
    from app.services.process_views import DEPLOY_LOCK

    path = folder / f"{KEY}.bpmn"
    before = path.read_text(encoding="utf-8")
    xml = before.replace('name="下达整改通知"', f'name="下达整改通知 {uuid.uuid4().hex[:8]}"')
    versions = _versions(db, KEY)
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :k")
    with db.get_bind().connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": DEPLOY_LOCK})
        with ThreadPoolExecutor(1) as pool:
            deploy = pool.submit(
                lambda: api.post(f"/api/v1/processes/{KEY}/versions", "analyst", json={"bpmn": xml})
            )
            for _ in range(2000):  # until the deploy is seen waiting for the lock
                if other.execute(waiting, {"k": DEPLOY_LOCK}).scalar() or deploy.done():
                    break
                time.sleep(0.01)
            assert not deploy.done(), deploy.result().get_json()
            assert _versions(db, KEY) == versions
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DEPLOY_LOCK})
            other.commit()
            response = deploy.result()
    assert response.status_code == 201, response.get_json()
    assert path.read_text(encoding="utf-8") == before
    assert _versions(db, KEY) == versions + 1


def deployed_text(db: Any, key: str, table: str | None = None) -> str:
    """What the database holds as the current version of ``key`` (the source of truth of deploys):
    its diagram, or the decision table ``table`` deployed with it."""
    db.expire_all()
    version = db.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.is_current.is_(True))
    )
    text = version.bpmn_xml if table is None else version.files[f"dmn/{table}"]
    db.rollback()
    return str(text)
