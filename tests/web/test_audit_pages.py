"""The audit pages: a case's trail for staff, the searchable whole trail for admins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from app import edge
from app.models import AuditEvent
from app.services.audit import ChainBreak, Problem
from app.web import audit_chain
from tests.helpers import inbox_task, submit_permit


@pytest.fixture
def no_checkpoints(app: Any) -> Any:
    """No signed checkpoint of another test's chain (another test, or a worker's scheduled job, may
    have written one to this app's checkpoint file): the chain is held against its own events."""
    path = Path(edge.of(app).settings.audit_checkpoints)
    path.unlink(missing_ok=True)
    yield
    path.unlink(missing_ok=True)


def _walk(api: Any) -> str:
    number = submit_permit(api, "审计页面项目")["number"]
    task = inbox_task(api, "clerk", number)
    api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    return number


def test_staff_read_a_cases_trail_in_both_languages(api: Any, pages: Any) -> None:
    number = _walk(api)
    english = pages("planner", language="en").get(f"/cases/{number}/audit")
    assert english.status_code == 200
    text = english.get_data(as_text=True)
    assert "Application submitted" in text and "Step completed" in text and "clerk" in text
    chinese = pages("planner", language="zh_CN").get(f"/cases/{number}/audit").get_data(as_text=True)
    assert "提交申请" in chinese and "办理环节" in chinese


def test_applicants_get_no_audit_pages(api: Any, pages: Any) -> None:
    number = _walk(api)
    assert pages("acme").get(f"/cases/{number}/audit").status_code == 403
    assert pages("acme").get("/audit").status_code == 403


def test_the_whole_trail_is_for_admins_and_searchable(api: Any, pages: Any) -> None:
    number = _walk(api)
    submit_permit(api, "另一个项目")
    assert pages("clerk").get("/audit").status_code == 403
    admin = pages("admin")
    row = 'mono">{}</span>'.format  # the action code as shown in a row (not in the filter's options)
    everything = admin.get("/audit").get_data(as_text=True)
    assert everything.count(row("case.submitted")) == 2
    only_case = admin.get(f"/audit?case={number}").get_data(as_text=True)
    assert only_case.count(row("case.submitted")) == 1 and row("task.completed") in only_case
    by_actor = admin.get("/audit?actor=clerk").get_data(as_text=True)
    assert row("task.completed") in by_actor and row("case.submitted") not in by_actor
    bad = admin.get("/audit?from=2026-13-45").get_data(as_text=True)
    assert "YYYY-MM-DD" in bad


def test_the_chain_check_names_a_tampered_event(api: Any, pages: Any, db: Any, no_checkpoints: Any) -> None:
    _walk(api)
    admin = pages("admin")
    assert "The chain is intact" in admin.get("/audit?verify=1").get_data(as_text=True)
    victim = db.scalar(select(AuditEvent.id).where(AuditEvent.action == "task.completed"))
    db.execute(update(AuditEvent).where(AuditEvent.id == victim).values(actor="mallory"))
    db.commit()
    page = admin.get("/audit?verify=1").get_data(as_text=True)
    assert f"The chain is broken at event {victim}" in page


def test_the_demo_auditor_reads_the_whole_trail(api: Any, pages: Any) -> None:
    _walk(api)
    assert pages("auditor").get("/audit").status_code == 200


def test_the_chain_check_names_a_deletion_of_the_newest_events(
    app: Any, api: Any, pages: Any, db: Any
) -> None:
    """The page holds the chain against the signed checkpoints as `flask audit verify` does."""
    path = Path(edge.of(app).settings.audit_checkpoints)
    path.unlink(missing_ok=True)
    try:
        _walk(api)
        # Both browsers log in before the checkpoint: a login is audited, and SQLite would give its
        # event the deleted id.
        browsers = {language: pages("admin", language=language) for language in ("en", "zh_CN")}
        assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
        newest = db.scalar(select(func.max(AuditEvent.id)))
        db.execute(delete(AuditEvent).where(AuditEvent.id == newest))
        db.commit()
        for language, text in (("en", "the newest events were deleted"), ("zh_CN", "断开")):
            html = browsers[language].get("/audit?verify=1").get_data(as_text=True)
            assert text in html, language
    finally:
        path.unlink(missing_ok=True)


def test_the_chain_check_speaks_the_readers_language(
    api: Any, pages: Any, db: Any, no_checkpoints: Any
) -> None:
    _walk(api)
    browsers = {language: pages("admin", language=language) for language in ("en", "zh_CN")}
    victim = db.scalar(select(AuditEvent.id).where(AuditEvent.action == "task.completed"))
    db.execute(update(AuditEvent).where(AuditEvent.id == victim).values(actor="mallory"))
    db.commit()
    english = browsers["en"].get("/audit?verify=1").get_data(as_text=True)
    assert "its content does not match its hash" in english and "(Step completed)" in english
    chinese = browsers["zh_CN"].get("/audit?verify=1").get_data(as_text=True)
    assert "它的内容与其哈希值不符" in chinese and "（办理环节）" in chinese
    assert "does not match" not in chinese


def test_a_forged_checkpoint_is_named_in_both_languages(app: Any, api: Any, pages: Any) -> None:
    path = Path(edge.of(app).settings.audit_checkpoints)
    path.unlink(missing_ok=True)
    try:
        _walk(api)
        assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
        line = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        path.write_text(json.dumps({**line, "count": line["count"] + 1}) + "\n", encoding="utf-8")
        for language, text in (
            ("en", "checkpoint line 1 is not signed with the audit key"),
            ("zh_CN", "检查点文件第 1 行的签名与审计密钥不符"),
        ):
            assert text in pages("admin", language=language).get("/audit?verify=1").get_data(as_text=True)
    finally:
        path.unlink(missing_ok=True)


def test_every_reason_of_a_break_is_worded_on_the_page_as_on_the_command_line(app: Any) -> None:
    """The page's English is the command line's sentence, facts in the same places."""
    facts = {"key_id": "k1", "at": "t", "count": 3, "hash": "ab", "head_id": 9, "line": 2, "error": "e"}
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        for reason in ChainBreak:
            problem = Problem(reason, facts)
            assert audit_chain.why(problem) == str(problem), reason
