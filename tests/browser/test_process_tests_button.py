"""The editor's Test button in a real browser: the process tests pass; a condition changed to test a
value no form sets makes them fail at their step, and Validate marks the branch no path takes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.api.test_processes_edit import SHIPPED, folder  # noqa: F401 - the processes folder fixture
from tests.conftest import PASSWORD

MISSPELL = """() => {
  const modeler = window.processEditor;
  const flow = modeler.get("elementRegistry").get("Flow_Verified_Passed");
  const body = 'verification["decision"] == "pass"';
  const expression = modeler.get("moddle").create("bpmn:FormalExpression", { body });
  modeler.get("modeling").updateProperties(flow, { conditionExpression: expression });
}"""


def test_the_test_button_runs_the_process_tests(live_server: Any, browser: Any, folder: Path) -> None:  # noqa: F811
    shutil.copytree(SHIPPED / "tests", folder / "tests", dirs_exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "lang", "value": "zh_CN", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(live_server.url + "/login?next=/processes/rectification_order/edit")
        page.locator("input[name=username]").fill("analyst")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        expect(page.locator("#diagram")).to_have_attribute("data-ready", "1")
        page.locator("#btn-test").click()
        expect(page.locator("#result")).to_have_text("全部 2 个测试通过。")
        expect(page.locator(".process-test.test-pass")).to_have_count(2)

        page.evaluate(MISSPELL)
        page.locator("#btn-test").click()
        expect(page.locator(".process-test.test-fail")).to_have_count(2)
        expect(page.locator(".process-test.test-fail").first).to_contain_text("第 8 步")
        page.locator("#btn-validate").click()
        expect(
            page.locator(".djs-element.has-problem[data-element-id='Flow_Verified_Passed']")
        ).to_have_count(1)
        # Said in the page's language (the engine's templates are translated).
        expect(page.locator("#problems")).to_contain_text(
            "没有一条模拟路径走 整改合格？ 的顺序流 Flow_Verified_Passed"
        )
        expect(page.locator(".process-test")).to_have_count(0)
    finally:
        context.close()
