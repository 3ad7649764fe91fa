"""Screenshots of the pages issue 16 changed (start form of a staff process with row groups, the
inbox with "New …", the notification centre, a complaint's evidence on the task page, the
contractor's "Waiting for you"), zh-CN and English, desktop (1280×800) and phone (390×844).

    .venv/bin/python -m tests.browser.inspector_screenshots
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import edge
from app.models import HumanTask, TaskState
from app.services.demo_files import sample_png
from tests.browser.screenshots import OUT, PASSWORD, build_app, served

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def file_complaint_with_evidence(app: Any, folder: Path) -> int | None:
    """A complaint with a photo, and its triage task (the evidence on the dispatcher's page)."""
    from app.services import complaints

    with edge.of(app).database.unit_of_work() as session:
        started = complaints.file_complaint(
            session,
            None,
            {"category": "noise_dust", "location": "北湖区滨江路88号工地", "description": "夜间施工扬尘"},
            [complaints.Upload(sample_png(), "夜间施工.png")],
            max_bytes=5 * 1024 * 1024,
        )
        case_id = started.case.id
    with edge.of(app).database.unit_of_work(write=False) as session:
        return session.scalar(
            select(HumanTask.id)
            .where(HumanTask.case_id == case_id, HumanTask.state == TaskState.OPEN)
            .limit(1)
        )


def _task_of(app: Any, group: str) -> int | None:
    with edge.of(app).database.unit_of_work(write=False) as session:
        return session.scalar(
            select(HumanTask.id)
            .where(HumanTask.state == TaskState.OPEN, HumanTask.candidate_group == group)
            .order_by(HumanTask.id)
            .limit(1)
        )


def _page(chromium: Any, url: str, language: str, size: str, username: str) -> tuple[Any, Any]:
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def _shot(page: Any, name: str, language: str, size: str) -> None:
    page.screenshot(path=str(OUT / f"{name}-{language}-{size}.png"), full_page=True)


def shoot(chromium: Any, url: str, language: str, size: str, complaint_task: int | None) -> None:
    context, page = _page(chromium, url, language, size, "inspector")
    _shot(page, "inspector-inbox", language, size)
    page.goto(url + "/start/rectification_order")
    page.locator("[data-role=add-row]").click()
    _shot(page, "start-rectification", language, size)
    page.locator("button[value=submit]").click()
    page.wait_for_load_state()
    _shot(page, "start-rectification-errors", language, size)
    context.close()
    context, page = _page(chromium, url, language, size, "window_chief")
    page.goto(url + "/notifications")
    _shot(page, "notifications", language, size)
    page.goto(url + "/inbox")
    _shot(page, "inbox-bulk-bar", language, size)
    context.close()
    if complaint_task is not None:
        context, page = _page(chromium, url, language, size, "dispatcher")
        page.goto(url + f"/tasks/{complaint_task}")
        _shot(page, "task-complaint-evidence", language, size)
        context.close()
    context, page = _page(chromium, url, language, size, "buildco")
    page.goto(url + "/my/cases")
    _shot(page, "my-cases-waiting", language, size)
    page.locator(".to-do li a").first.click()  # the rectification report: a row per open finding
    page.wait_for_load_state()
    _shot(page, "task-rectification-report", language, size)
    context.close()
    shoot_joint_review(chromium, url, language, size)


def shoot_joint_review(chromium: Any, url: str, language: str, size: str) -> None:
    """A planning reviewer's task in a joint review: the panel of agencies and the contract's PDF
    drawn by pdf.js in the page (waited for)."""
    context, page = _page(chromium, url, language, size, "planner")
    page.goto(url + "/inbox")
    page.locator("tbody tr a[href*='/tasks/']").first.click()
    page.wait_for_load_state()
    if page.locator("figure.pdf-preview").count():
        page.wait_for_selector("figure.pdf-preview[data-pdf-rendered]", timeout=20_000)
    _shot(page, "task-joint-review-pdf", language, size)
    context.close()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        complaint_task = file_complaint_with_evidence(app, Path(tmp))
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, url, language, size, complaint_task)


if __name__ == "__main__":
    main()
