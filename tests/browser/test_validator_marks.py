"""The analyst's editor marks the validator's new findings on the diagram: a deleted flow, a
condition naming a variable nothing sets, a timer duration the engine cannot read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.api.test_processes_edit import folder  # noqa: F401 - the processes folder fixture
from tests.conftest import PASSWORD

# The edits an analyst makes with the mouse, made through the modeler's own commands.
DELETE = """(id) => {
  const modeler = window.processEditor;
  modeler.get("modeling").removeElements([modeler.get("elementRegistry").get(id)]);
}"""
CONDITION = """([id, body]) => {
  const modeler = window.processEditor;
  const element = modeler.get("elementRegistry").get(id);
  const expression = modeler.get("moddle").create("bpmn:FormalExpression", { body });
  modeler.get("modeling").updateProperties(element, { conditionExpression: expression });
}"""
DURATION = """([id, body]) => {
  const modeler = window.processEditor;
  const element = modeler.get("elementRegistry").get(id);
  const definition = element.businessObject.eventDefinitions[0];
  const expression = modeler.get("moddle").create("bpmn:FormalExpression", { body });
  modeler.get("modeling").updateModdleProperties(
    element, definition, { timeDate: undefined, timeDuration: expression });
}"""


def _validate_and_expect(page: Any, element_id: str, *words: str) -> None:
    page.get_by_role("button", name="Validate").click()
    problem = page.locator(f"#problems .problem[data-element='{element_id}']").first
    for word in words:
        expect(problem).to_contain_text(word)
    expect(page.locator(f".djs-element.has-problem[data-element-id='{element_id}']")).to_have_count(1)
    expect(page.locator(f".problem-flag[data-element='{element_id}']")).to_be_visible()


def test_the_editor_marks_the_new_findings(
    live_server: Any,
    browser: Any,
    folder: Path,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(live_server.url + "/login?next=/processes")
        page.get_by_label("Username").fill("analyst")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        editor = live_server.url + "/processes/construction_permit/edit"
        page.goto(editor)
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")
        page.evaluate(DELETE, "Flow_Review_Approved")  # 审查通过
        _validate_and_expect(page, "Task_Decision", "never runs")

        page.goto(editor)
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")
        page.evaluate(CONDITION, ["Flow_Review_Rejected", 'review_result == "rejected"'])
        _validate_and_expect(page, "Flow_Review_Rejected", "review_result", "did you mean review_outcome?")

        page.goto(live_server.url + "/processes/complaint_handling/edit")
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")
        page.evaluate(DURATION, ["Timer_Rating", '"P5WD"'])
        _validate_and_expect(page, "Timer_Rating", "P5WD", "not a value the engine can read")
        page.get_by_role("button", name="Deploy").click()
        expect(page.locator("#result")).to_contain_text("Not deployed")
    finally:
        context.close()
