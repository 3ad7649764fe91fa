"""An analyst in a real browser: the process list, the diagram with live counts, the editor finding
an unquoted timer (listed and marked on its element), the fix deployed as a new version."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from app import clock
from tests.api.test_processes_edit import deployed_text, folder  # noqa: F401 - the processes folder fixture
from tests.conftest import PASSWORD
from tests.helpers import submit_permit

SET_TIMER = """(value) => {
  const modeler = window.processEditor;
  const element = modeler.get("elementRegistry").get("Timer_Overdue");
  const definition = element.businessObject.eventDefinitions[0];
  const expression = modeler.get("moddle").create("bpmn:FormalExpression", { body: value });
  modeler.get("modeling").updateModdleProperties(element, definition, { timeDate: expression });
}"""
RENAME = """(name) => {
  const modeler = window.processEditor;
  modeler.get("modeling").updateProperties(modeler.get("elementRegistry").get("Timer_Overdue"), { name });
}"""


def test_analyst_views_counts_then_fixes_and_deploys(
    api: Any,
    db: Any,
    live_server: Any,
    browser: Any,
    folder: Path,  # noqa: F811
) -> None:
    with clock.travel_to(clock.now() - timedelta(days=15)):
        late = submit_permit(api, "逾期的厂房项目")["number"]
    submit_permit(api, "按期的学校项目")

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(live_server.url + "/login?next=/processes")
        page.get_by_label("Username").fill("analyst")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Processes", exact=True)).to_be_visible()
        rectification = page.locator(".process-card", has_text="rectification_order.bpmn").locator("tbody tr")
        versions_before = rectification.count()

        # The viewer: two cases wait at the acceptance check, one of them overdue.
        permit = page.locator(".process-card", has_text="construction_permit.bpmn")
        permit.get_by_role("link", name="View diagram").click()
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")
        counts = page.locator(".task-counts[data-element='Task_Acceptance']")
        expect(counts.locator("[data-kind=waiting]")).to_have_text("2")
        expect(counts.locator("[data-kind=overdue]")).to_have_text("1")
        expect(page.locator("#diagram-notice")).to_be_hidden()  # imported without warnings
        counts.locator("[data-kind=overdue]").click()
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody")).to_contain_text(late)
        page.locator("tbody").get_by_role("link", name="Audit trail").click()
        expect(page).to_have_url(re.compile(rf"/cases/{late}/audit$"))

        # The editor: an unquoted timer is found, listed and marked on the boundary event.
        page.goto(live_server.url + "/processes/rectification_order/edit")
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")
        page.evaluate(SET_TIMER, "PT5S")
        page.get_by_role("button", name="Validate").click()
        problem = page.locator("#problems .problem")
        expect(problem).to_have_count(1)
        # Named as the diagram names it, the id on hover; no file line.
        expect(problem).to_have_attribute("data-element", "Timer_Overdue")
        expect(problem.get_by_role("button")).to_have_text("整改逾期")
        expect(problem.get_by_role("button")).to_have_attribute("title", re.compile("^Timer_Overdue"))
        expect(problem).not_to_contain_text("line")
        expect(problem).to_contain_text('quote it: "PT5S"')
        expect(page.locator("#result")).to_have_text("1 problem: fix it before deploying.")
        expect(page.locator(".djs-element.has-problem[data-element-id='Timer_Overdue']")).to_have_count(1)
        expect(page.locator(".problem-flag[data-element='Timer_Overdue']")).to_be_visible()
        problem.get_by_role("button").click()
        assert page.evaluate("() => window.processEditor.get('selection').get().map(e => e.id)") == [
            "Timer_Overdue"
        ]

        # Deploy is refused while the problem is there; fixed and renamed, it is a new version.
        page.get_by_role("button", name="Deploy").click()
        expect(page.locator("#result")).to_contain_text("Not deployed: 1 problem must be fixed first.")
        page.evaluate(SET_TIMER, "deadline_at")
        page.evaluate(RENAME, "整改期限已到")
        page.get_by_role("button", name="Validate").click()
        # Valid, so every path is simulated too (the result says how many and the branches taken).
        expect(page.locator("#result")).to_contain_text("No problems: the diagram can be deployed.")
        expect(page.locator("#result")).to_contain_text("2 of 2 gateway branches taken")
        expect(page.locator(".has-problem")).to_have_count(0)
        page.get_by_role("button", name="Deploy").click()
        # The differences first, confirmed in the dialog.
        dialog = page.locator("#deploy-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#diff-changed")).to_contain_text("整改期限已到")
        dialog.get_by_role("button", name="Deploy as the new current version").click()
        expect(page.locator("#result")).to_contain_text("Deployed: version")
        version = page.locator("#result a").inner_text()
        assert "整改期限已到" in deployed_text(db, "rectification_order")

        page.goto(live_server.url + "/processes")
        current = page.locator(".process-card", has_text="rectification_order.bpmn").locator(
            "tr.current-version"
        )
        expect(current).to_contain_text(version)
        expect(rectification).to_have_count(versions_before + 1)
    finally:
        context.close()
