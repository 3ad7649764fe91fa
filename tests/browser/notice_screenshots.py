"""Screenshots of the notice pages for review by eye: /notices, a notice, the publisher's drafting
form and the section head's approval task, zh-CN and English, desktop (1280×800) and phone (390×844).

    .venv/bin/python -m tests.browser.notice_screenshots [OUT]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

from app import edge
from app.models import Case, CaseStatus, HumanTask, TaskState
from tests.browser.screenshots import build_app, log_in, served

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        with edge.of(app).database.unit_of_work(write=False) as session:
            number = session.scalar(
                select(Case.number).where(
                    Case.process_key == "notice_publication", Case.status == CaseStatus.APPROVED
                )
            )
            task = session.scalar(
                select(HumanTask.id).where(
                    HumanTask.bpmn_id == "Task_SectionReview", HumanTask.state == TaskState.OPEN
                )
            )
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size, (width, height) in SIZES.items():
                    stem = f"{language}-{size}"
                    context = chromium.new_context(viewport={"width": width, "height": height})
                    context.add_cookies([{"name": "lang", "value": language, "url": url}])
                    page = context.new_page()
                    for name, path in (("notices", "/notices"), ("notice", f"/notices/{number}")):
                        page.goto(url + path)
                        page.screenshot(path=str(out / f"{name}-{stem}.png"), full_page=True)
                    context.close()
                    for user, name, path in (
                        ("publisher", "draft", "/start/notice_publication"),
                        ("notice_chief", "review", f"/tasks/{task}"),
                    ):
                        context = chromium.new_context(viewport={"width": width, "height": height})
                        page = log_in(context, url, language, user)
                        page.goto(url + path)
                        page.screenshot(path=str(out / f"{name}-{stem}.png"), full_page=True)
                        context.close()
    print(f"notice screenshots written to {out}")


if __name__ == "__main__":
    main()
