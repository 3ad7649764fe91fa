"""Acceptance of the decision tables in the editor: an analyst opens the parallel review's table in
dmn-js (its heads and menus in the page's language), lowers the fire review's floor-area threshold
from 1000 to 500, saves it into the draft, validates, sees the table's changed rule in the deploy
dialog (the diagram itself unchanged), confirms and deploys; a new 800 m² case is then reviewed by
fire too. No Python changes. In Chinese and in English.

With PERMITFLOW_SCREENSHOTS=<folder> it saves the table editor and the table-only diff dialog,
desktop and phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import HumanTask, TaskState
from app.services import cases
from tests.api.test_processes_edit import deployed_text, folder  # noqa: F401 - the processes folder fixture
from tests.browser.test_editor_properties import KEY, START, WORDS, _login, _shot
from tests.helpers import user_named

TABLE = "review_agencies.dmn"
SAID = {
    "zh_CN": {"hit": "命中策略", "save": "保存到草稿", "rule": "规则 2", "column": "建筑面积（m²）"},
    "en": {"hit": "Hit policy", "save": "Save into the draft", "rule": "Rule 2", "column": "建筑面积（m²）"},
}


def _reviews(db: Any, language: str) -> set[str]:
    case = cases.start_case(db, user_named(db, "acme"), KEY, START).case
    db.commit()
    found = set(
        db.scalars(
            select(HumanTask.bpmn_id).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
        )
    )
    db.rollback()
    return found


def _open_table(page: Any, language: str) -> Any:
    page.locator(f"#decision-list button[data-file='{TABLE}']").click()
    dialog = page.locator("#decision-dialog")
    expect(dialog).to_have_attribute("data-ready", "1", timeout=60_000)
    expect(dialog.locator("td.input-cell").first).to_be_visible()  # also on a phone
    expect(dialog.locator("#decision-table")).to_contain_text(SAID[language]["hit"])
    return dialog


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_threshold_changed_in_the_table_editor_changes_the_agencies_of_a_new_case(
    live_server: Any,
    browser: Any,
    db: Any,
    folder: Path,  # noqa: F811
    language: str,
) -> None:
    words, said = WORDS[language], SAID[language]
    assert _reviews(db, language) == {"Task_PlanningReview"}  # 800 m²: below the fire threshold
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=language.replace("_", "-"))
    context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _login(page, live_server.url, words)
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1", timeout=60_000)
        dialog = _open_table(page, language)
        cell = dialog.locator("td.input-cell", has_text=re.compile(r"^\s*>= 1000\s*$"))
        expect(cell).to_have_count(1)
        cell.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(">= 500")
        dialog.locator("#decision-dialog-title").click()  # leave the cell
        expect(dialog.locator("td.input-cell", has_text=re.compile(r"^\s*>= 500\s*$"))).to_have_count(1)
        _shot(page, f"editor-dmn-{language}-desktop.png")
        dialog.get_by_role("button", name=said["save"]).click()
        expect(dialog).not_to_be_visible()

        page.get_by_role("button", name=words["validate"], exact=True).click()
        expect(page.locator("#result")).to_contain_text(words["valid"], timeout=120_000)
        page.get_by_role("button", name=words["deploy"], exact=True).click()
        deploy = page.locator("#deploy-dialog")
        expect(deploy).to_be_visible(timeout=120_000)  # the diff validates first
        tables = deploy.locator("#diff-tables")
        expect(tables).to_be_visible()
        expect(tables).to_contain_text(said["rule"])
        expect(tables).to_contain_text(said["column"])
        expect(tables.locator("del")).to_have_text(">= 1000")
        expect(tables.locator("ins")).to_have_text(">= 500")
        expect(deploy.locator("#diff-changed li")).to_have_text("—")  # the diagram is unchanged
        _shot(page, f"editor-diff-table-{language}-desktop.png")

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.add_cookies(context.cookies())
        phone_page = phone.new_page()
        phone_page.goto(live_server.url + f"/processes/{KEY}/edit")
        phone_page.set_default_timeout(30_000)
        _open_table(phone_page, language)
        _shot(phone_page, f"editor-dmn-{language}-phone.png")
        phone.close()

        deploy.get_by_role("button", name=words["confirm"]).click()
        expect(page.locator("#result")).to_contain_text(re.compile(words["deployed"]), timeout=120_000)
    finally:
        context.close()
    assert "<text>&gt;= 500</text>" in deployed_text(db, KEY, TABLE)
    assert _reviews(db, language) == {"Task_PlanningReview", "Task_FireReview"}
