"""Screenshots of the pages the integrations review changed, for review by eye, zh-CN and English,
desktop (1280×800) and phone (390×844), into /tmp/h8-shots/ (or OUT_DIR):

- `/admin/webhooks`: delivery errors in the page's language; a new subscription's secret on the page
  the form redirects to, and gone after a reload;
- `/notices` a page at a time (one notice per page here, to show the pager);
- the inbox's and the case search's filter bars (one shared macro).

    .venv/bin/python -m tests.browser.review_fix_screenshots [OUT_DIR]
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import Any

from app import edge
from app.services import notices, platform
from tests.browser.screenshots import build_app, log_in, served
from tests.browser.webhook_screenshots import add_webhook

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
OUT = Path("/tmp/h8-shots")


def allow_local_receivers(app: Any) -> None:
    """Subscriptions to 127.0.0.1 pass the URL check (this machine resolves no outside names)."""
    with edge.of(app).database.unit_of_work(write=False) as session:
        found = platform.of(session)
        found.settings = dataclasses.replace(found.settings, webhook_allow_hosts="127.0.0.1")


def shoot(chromium: Any, url: str, out: Path, language: str, size: str) -> None:
    width, height = SIZES[size]
    stem = f"{language}-{size}"
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = log_in(context, url, language, "admin")
    page.goto(url + "/admin/webhooks")
    page.screenshot(path=str(out / f"webhooks-log-{stem}.png"), full_page=True)
    page.fill("#f-url", f"http://127.0.0.1:9/hook-{stem}")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#webhook-secret")
    assert page.url.endswith("/admin/webhooks"), page.url  # redirected: no secret in the URL
    page.screenshot(path=str(out / f"webhooks-secret-{stem}.png"), full_page=True)
    page.reload()
    assert page.locator("#webhook-secret").count() == 0
    page.screenshot(path=str(out / f"webhooks-reloaded-{stem}.png"), full_page=True)
    context.close()
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = log_in(context, url, language, "permit_officer")
    page.goto(url + "/inbox")
    page.screenshot(path=str(out / f"inbox-{stem}.png"))
    page.goto(url + "/search?q=滨江")
    page.screenshot(path=str(out / f"search-{stem}.png"), full_page=True)
    page.goto(url + "/notices?page=2")
    page.screenshot(path=str(out / f"notices-page2-{stem}.png"), full_page=True)
    context.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    notices.PER_PAGE = 1  # the demo publishes a few notices: one a page shows the pager
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        add_webhook(app)
        allow_local_receivers(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, url, out, language, size)
                    print(f"screenshots for {language}-{size} written to {out}")


if __name__ == "__main__":
    main()
