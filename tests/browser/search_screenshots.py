"""Screenshots of the pages issue 20 changed: the staff case search (`/search`) and the complaint
desk's triage task with its similar open complaints, zh-CN and English, desktop (1280×800) and
phone (390×844), into /tmp/h5-shots/.

    .venv/bin/python -m tests.browser.search_screenshots
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from app import edge
from tests.browser.inspector_screenshots import SIZES, _page, file_complaint_with_evidence
from tests.browser.screenshots import build_app, served

OUT = Path("/tmp/h5-shots")


def file_similar(app: Any) -> None:
    from app.services import complaints

    with edge.of(app).database.unit_of_work() as session:
        complaints.file_complaint(
            session,
            None,
            {
                "category": "noise_dust",
                "location": "滨江路88号工地东门",
                "description": "凌晨仍在施工，噪声很大",
            },
            [],
            max_bytes=5 * 1024 * 1024,
        )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        file_similar(app)
        task = file_complaint_with_evidence(app, Path(tmp))
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    context, page = _page(chromium, url, language, size, "dispatcher")
                    page.goto(url + "/search?q=滨江")
                    page.screenshot(path=str(OUT / f"search-{language}-{size}.png"), full_page=True)
                    page.goto(url + f"/tasks/{task}")
                    page.locator("#h-similar").scroll_into_view_if_needed()
                    page.screenshot(path=str(OUT / f"triage-{language}-{size}.png"), full_page=True)
                    context.close()


if __name__ == "__main__":
    main()
