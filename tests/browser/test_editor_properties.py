"""Acceptance of the analysts' editor: in the properties panel an analyst changes the planning
review's time limit from 5wd to 3wd, validates, sees the differences from the current version in the
deploy dialog (with the running cases that stay on theirs), confirms and deploys; a new case then
gets a due date three working days out. In Chinese and in English.

With PERMITFLOW_SCREENSHOTS=<folder> it also saves the editor with the properties panel and the
diff dialog (desktop), and the editor page on a phone, for review by eye."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import clock
from app.models import HumanTask, ProcessVersion
from app.services import cases
from tests.api.test_processes_edit import deployed_text, folder  # noqa: F401 - the processes folder fixture
from tests.conftest import PASSWORD
from tests.helpers import user_named

SH = ZoneInfo("Asia/Shanghai")
KEY = "parallel_review"
START = {
    "project_name": "北湖三日审查楼",
    "floor_area": 800,
    "project_type": "residential",
    "building_height": 20,
}
WORDS = {
    "zh_CN": {
        "login": "登录",
        "username": "用户名",
        "password": "密码",
        "validate": "校验",
        "valid": "没有问题",
        "deploy": "部署",
        "confirm": "部署为新的当前版本",
        "deployed": "已部署|重新成为当前版本",
        "property": "属性 time_limit",
    },
    "en": {
        "login": "Log in",
        "username": "Username",
        "password": "Password",
        "validate": "Validate",
        "valid": "No problems",
        "deploy": "Deploy",
        "confirm": "Deploy as the new current version",
        "deployed": "Deployed: version|is the current version again",
        "property": "Property time_limit",
    },
}


def _shot(page: Any, name: str) -> None:
    target = os.environ.get("PERMITFLOW_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / name), full_page=False)


def _login(page: Any, url: str, words: dict[str, str]) -> None:
    page.goto(url + f"/login?next=/processes/{KEY}/edit")
    page.get_by_label(words["username"]).fill("analyst")
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["login"]).click()


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_properties_panel_edits_a_time_limit_that_a_new_case_then_gets(
    live_server: Any,
    browser: Any,
    db: Any,
    folder: Path,  # noqa: F811
    language: str,
) -> None:
    words = WORDS[language]
    cases.start_case(db, user_named(db, "acme"), KEY, START)  # a case that stays on the old version
    db.commit()
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=language.replace("_", "-"))
    context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _login(page, live_server.url, words)
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")

        # The planning review, selected on the diagram, shows its PermitFlow properties.
        page.locator(".djs-element[data-element-id='Task_PlanningReview']").click()
        limit = page.locator("#bio-properties-panel-pf-time_limit")
        expect(limit).to_have_value("5wd")
        _shot(page, f"editor-properties-{language}-desktop.png")
        limit.fill("3wd")
        limit.press("Tab")
        page.wait_for_function(
            "() => window.PermitFlowEditor.getProperty(window.processEditor.get('elementRegistry')"
            ".get('Task_PlanningReview').businessObject, 'time_limit') === '3wd'"
        )

        page.get_by_role("button", name=words["validate"], exact=True).click()
        expect(page.locator("#result")).to_contain_text(words["valid"], timeout=120_000)

        page.get_by_role("button", name=words["deploy"], exact=True).click()
        dialog = page.locator("#deploy-dialog")
        expect(dialog).to_be_visible()
        changed = dialog.locator("#diff-changed")
        expect(changed).to_contain_text("规划审查")
        expect(changed).to_contain_text(words["property"])
        expect(changed.locator("del")).to_have_text("5wd")
        expect(changed.locator("ins")).to_have_text("3wd")
        expect(dialog.locator("#diff-running")).to_contain_text("1")
        expect(
            page.locator(".djs-element.diff-changed[data-element-id='Task_PlanningReview']")
        ).to_have_count(1)
        _shot(page, f"editor-diff-dialog-{language}-desktop.png")
        dialog.get_by_role("button", name=words["confirm"]).click()
        # A new version, or (when an earlier test deployed the same diagram) that version again.
        expect(page.locator("#result")).to_contain_text(re.compile(words["deployed"]), timeout=120_000)
        assert 'name="time_limit" value="3wd"' in deployed_text(db, KEY)

        # A gateway's flow shows its Python condition.
        page.evaluate(
            "() => { const m = window.processEditor;"
            " m.get('selection').select(m.get('elementRegistry').get('Flow_Need_Planning')); }"
        )
        expect(page.locator("#bio-properties-panel-pf-condition")).to_have_value(re.compile(r"\S"))

        # A lane's group is chosen from the real groups; the lane takes the name groups.yaml maps to it.
        page.evaluate(
            "() => { const m = window.processEditor;"
            " m.get('selection').select(m.get('elementRegistry').get('Lane_Fire')); }"
        )
        lane = page.locator("#bio-properties-panel-pf-lane-group")
        expect(lane).to_have_value("fire")
        assert {"planning", "fire", "environment", "bureau", "applicant"} <= set(
            lane.locator("option").evaluate_all("options => options.map(o => o.value)")
        )
        lane.select_option("environment")
        assert (
            page.evaluate(
                "() => window.processEditor.get('elementRegistry').get('Lane_Fire').businessObject.name"
            )
            == "环保审查"
        )

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.add_cookies(context.cookies())
        phone_page = phone.new_page()
        phone_page.goto(live_server.url + f"/processes/{KEY}/edit")
        _shot(phone_page, f"editor-{language}-phone.png")
        phone.close()
    finally:
        context.close()

    # A new case runs on the deployed version: three working days (Mon 09:00 → Thu 17:30).
    with clock.travel_to(datetime(2026, 11, 16, 9, 0, tzinfo=SH)):
        case = cases.start_case(db, user_named(db, "acme"), KEY, START).case
        db.commit()
    task = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_PlanningReview")
    )
    assert task is not None and task.time_limit == "3wd"
    assert task.due_at is not None and task.due_at.astimezone(SH) == datetime(2026, 11, 19, 17, 30, tzinfo=SH)
    version = db.get(ProcessVersion, case.process_version_id)
    assert version is not None and version.is_current and 'value="3wd"' in version.bpmn_xml
    db.rollback()
