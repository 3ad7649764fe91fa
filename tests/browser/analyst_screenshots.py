"""Screenshots of the process pages for review by eye: the list, the viewer with live counts and
the editor with a problem found, zh-CN and English, desktop (1366×900) and phone (390×844).

    .venv/bin/python -m tests.browser.analyst_screenshots

Uses the reviewer screenshots' app (temporary SQLite, demo data, cases in every SLA state).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tests.browser.screenshots import OUT, SIZES, build_app, log_in, served

BREAK_TIMER = """() => {
  const modeler = window.processEditor;
  const element = modeler.get("elementRegistry").get("Timer_Overdue");
  const definition = element.businessObject.eventDefinitions[0];
  const expression = modeler.get("moddle").create("bpmn:FormalExpression", { body: "PT5S" });
  modeler.get("modeling").updateModdleProperties(element, definition, { timeDate: expression });
}"""


def shoot(chromium: Any, url: str, language: str, size: str, width: int, height: int) -> None:
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = log_in(context, url, language, "analyst")
    stem = f"{language}-{size}"
    page.goto(url + "/processes")
    page.screenshot(path=str(OUT / f"processes-{stem}.png"), full_page=True)
    page.locator(".process-card", has_text="construction_permit").get_by_role("link").first.click()
    page.wait_for_selector("#diagram[data-ready='1']")
    page.screenshot(path=str(OUT / f"process-view-{stem}.png"), full_page=size == "phone")
    page.locator(".task-counts a").first.click()
    page.wait_for_load_state()
    page.screenshot(path=str(OUT / f"process-tasks-{stem}.png"), full_page=True)
    page.goto(url + "/processes/rectification_order/edit")
    if size == "desktop":
        page.wait_for_selector("#diagram[data-ready='1']")
        page.evaluate(BREAK_TIMER)
        page.click("#btn-validate")
        page.wait_for_selector(".problem")
        page.locator(".problem-go").first.click()
    page.screenshot(path=str(OUT / f"process-edit-{stem}.png"), full_page=size == "phone")
    context.close()
    print(f"process screenshots for {stem} written to {OUT}")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size, (width, height) in SIZES.items():
                    shoot(chromium, url, language, size, width, height)


if __name__ == "__main__":
    main()
