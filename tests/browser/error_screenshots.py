"""Screenshots of the error pages for review by eye: an unknown address (404) for a visitor and the
admin console refused to a reviewer (403), in zh-CN and English, on a desktop and a phone. Writes
to screenshots/ (git-ignored).

    .venv/bin/python -m tests.browser.error_screenshots
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from app import edge
from app.extensions import close_embedded
from tests.browser.conftest import LiveServer, launch_chromium
from tests.browser.screenshots import OUT, PASSWORD, build_app

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        try:
            with LiveServer(app) as server, sync_playwright() as playwright:
                chromium = launch_chromium(playwright)
                for language in ("zh_CN", "en"):
                    for size, (width, height) in SIZES.items():
                        context = chromium.new_context(viewport={"width": width, "height": height})
                        context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
                        page = context.new_page()
                        page.goto(f"{server.url}/nope")
                        page.screenshot(path=str(OUT / f"error-404-{language}-{size}.png"), full_page=True)
                        page.goto(server.url + "/login")
                        page.fill("#username", "clerk")
                        page.fill("#password", PASSWORD)
                        page.click("button[type=submit]")
                        page.wait_for_load_state()
                        page.goto(f"{server.url}/admin")
                        page.screenshot(path=str(OUT / f"error-403-{language}-{size}.png"), full_page=True)
                        context.close()
                chromium.close()
        finally:
            edge.of(app).database.dispose()
            close_embedded()


if __name__ == "__main__":
    main()
