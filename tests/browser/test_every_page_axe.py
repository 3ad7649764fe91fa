"""axe-core (WCAG 2.1 A and AA) on the pages no other browser test opens, the admin console and the
audit pages among them, in Chinese and English, on a desktop and a phone: the `browser` fixture
runs axe on every page that loads and fails on any violation; this test makes sure each page was
checked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.helpers import submit_permit

PAGES = {
    "admin": [
        "/admin/users",
        "/admin/users/clerk",
        "/admin/users/buildco",  # a company account: its credit code's verification
        "/admin/users?kind=applicant",
        "/admin/groups",
        "/admin/groups/window",
        "/admin/calendar",
        "/admin/settings",
        "/processes",
    ],
    "auditor": ["/audit", "/audit?action=case.started", "/cases/{number}/audit"],
    "window_chief": [
        "/notifications",
        "/notifications/settings",
        "/dashboard",
        "/inbox?scope=all",
        "/disclosure",
        "/projects/2026-350100-47-01-123456",
    ],
    "director": ["/dashboard/list?metric=cases_open&district=beihu", "/dashboard/list?metric=overdue_now"],
    "acme": ["/notifications/settings", "/my/cases", "/track/{number}", "/track/recover"],
    "inspector": ["/start/rectification_order"],
}


def _visit(browser: Any, url: str, username: str, paths: list[str], lang: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(url + "/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(PASSWORD)
        page.locator("button[type=submit].btn-primary").click()
        page.wait_for_load_state("networkidle")
        for path in paths:
            response = page.goto(url + path)
            assert response is not None and response.status == 200, (username, path)
            page.wait_for_load_state("networkidle")
            browser.axe(page)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("lang", "width"),
    [("zh_CN", 1366), ("en", 1366), ("en", 390)],
    ids=["zh-desktop", "en-desktop", "en-phone"],
)
def test_admin_audit_settings_and_map_pages_pass_axe(
    api: Any, live_server: Any, browser: Any, lang: str, width: int
) -> None:
    number = submit_permit(api, "无障碍检查项目")["number"]
    wanted = []
    for username, paths in PAGES.items():
        filled = [p.format(number=number) for p in paths]
        _visit(browser, live_server.url, username, filled, lang, width)
        wanted += filled
    checked = {where.split(" [")[0] for where in browser.axe_checked}
    assert set(wanted) <= checked, set(wanted) - checked
