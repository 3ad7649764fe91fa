"""The API documentation page in a real browser: Swagger UI renders the operations from
swagger-ui-dist served by the platform, and the page asks nothing of any other host (a government
network reaches no CDN and no outside validator). Swagger UI is a third-party page: axe-core is not
run on it (its markup is not the platform's)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.conftest import launch_chromium

pytestmark = pytest.mark.slow

SHOTS = Path(os.environ.get("PERMITFLOW_SHOTS", "/tmp/h21b-shots"))


@pytest.mark.parametrize("width,height,name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_swagger_ui_renders_from_this_origin_only(
    live_server: Any, width: int, height: int, name: str
) -> None:
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".opblock-tag", timeout=30_000)  # the operations, grouped by tag
            assert page.locator(".opblock").count() > 20
            assert "PermitFlow API" in page.locator(".info .title").inner_text()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"api-docs-{name}.png"))
        finally:
            browser.close()
    outside = [
        url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")
    ]
    assert outside == []
    assert any(url.endswith("/vendor/swagger-ui-dist/swagger-ui-bundle.js") for url in requested)
    assert any(url.endswith("/api/v1/openapi.json") for url in requested)
