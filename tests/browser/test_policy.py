"""The pages the other browser tests do not open, under the Content-Security-Policy: the dashboard's
charts (hovered, so their tooltips render) and the public certificate verification page. The
`browser` fixture fails the test on any violation the console reports."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.helpers import submit_permit


def test_dashboard_charts_and_verification_load_under_the_policy(
    api: Any, live_server: Any, browser: Any
) -> None:
    submit_permit(api, "仪表盘项目")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(live_server.url + "/login?next=/dashboard")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("[id^=chart-] svg").first).to_be_visible()  # echarts, SVG renderer
        for chart in page.locator("[id^=chart-] svg").all():
            box = chart.bounding_box()
            if box:
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(300)
        page.goto(live_server.url + "/verify/202600000001")
        expect(page.locator("main")).to_be_visible()
    finally:
        context.close()
