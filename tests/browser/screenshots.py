"""Screenshots of the reviewer's pages for review by eye: inbox and task page, zh-CN and English,
desktop (1366×900) and phone (390×844). Writes PNGs to screenshots/ (git-ignored).

    .venv/bin/python -m tests.browser.screenshots

Builds its own app on a temporary SQLite database with the demo data (plus a few more cases so the
inbox shows every SLA state) and an embedded Redis, serves it on a free port and drives chromium.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from app import clock, create_app, edge
from app.cli import alembic_config
from app.extensions import close_embedded
from app.models import HumanTask, TaskState, User
from app.services import cases, demo
from tests.browser.conftest import LiveServer, launch_chromium

OUT = Path(__file__).resolve().parents[2] / "screenshots"
PASSWORD = "demo-pass"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
EXTRA = [  # name, submitted this many days ago
    ("城东污水处理厂提标改造", 0.9),
    ("西城区老旧小区加装电梯", 1.6),
    ("滨江大道地下综合管廊", 4),
    ("科学城人才公寓三期（超长项目名称用于检查换行是否正常显示）", 0.3),
    ("北湖湿地公园游客中心", 20),
]


def build_app(folder: Path) -> Any:
    app = create_app(
        {
            "database_url": f"sqlite:///{folder / 'screens.db'}",
            "instance_path": str(folder / "instance"),
            "secret_key": "screenshots",
        }
    )
    from alembic import command

    database = edge.of(app).database
    with app.app_context():
        command.upgrade(alembic_config(database), "head")
        with database.unit_of_work() as session:
            demo.load(session, password=PASSWORD, with_cases=True, echo=lambda _m: None)
            acme = session.scalar(select(User).where(User.username == "acme"))
            now = clock.now()
            for name, days in EXTRA:
                with clock.travel_to(now - timedelta(days=days)):
                    cases.start_case(session, acme, "construction_permit", demo.permit_application(name))
    with app.app_context():
        try:  # fire the due SLA timers so that overdue tasks carry their escalation badges
            from app.jobs.timers import sweep

            sweep()
        except Exception as err:  # the timer jobs are optional for screenshots
            print(f"no escalations in the screenshots: {err!r}")
    return app


@contextmanager
def served(app: Any) -> Iterator[tuple[str, Any]]:
    """The app on a local port and a headless Chromium: (the base URL, the browser). The app's
    database and embedded jobs are closed after, so that the temporary folder can go."""
    try:
        with LiveServer(app) as server, sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            try:
                yield server.url, chromium
            finally:
                chromium.close()
    finally:
        edge.of(app).database.dispose()
        close_embedded()


def overdue_task_id(app: Any) -> int:
    with edge.of(app).database.unit_of_work(write=False) as session:
        task = session.scalar(
            select(HumanTask)
            .where(HumanTask.state == TaskState.OPEN, HumanTask.candidate_group == "window")
            .order_by(HumanTask.due_at)
            .limit(1)
        )
        assert task is not None
        return task.id


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        task_id = overdue_task_id(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size, (width, height) in SIZES.items():
                    shoot(chromium, url, language, size, width, height, task_id)
                shoot_supervisor(chromium, url, language)
                for size, (width, height) in SIZES.items():
                    shoot_audit(chromium, url, language, size, width, height)


def log_in(context: Any, url: str, language: str, username: str) -> Any:
    context.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda at: "/login" not in at)  # staff land on the inbox, others elsewhere
    return page


def shoot_audit(chromium: Any, url: str, language: str, size: str, width: int, height: int) -> None:
    """The admin's audit trail after a chain check."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = log_in(context, url, language, "admin")
    page.goto(url + "/audit?verify=1")
    page.screenshot(path=str(OUT / f"audit-{language}-{size}.png"), full_page=True)
    context.close()


def shoot_supervisor(chromium: Any, url: str, language: str) -> None:
    """The window chief's view of the whole group (scope=all), with assignees and escalations."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=1)
    page = log_in(context, url, language, "window_chief")
    page.goto(url + "/inbox?scope=all")
    page.screenshot(path=str(OUT / f"inbox-supervisor-{language}-desktop.png"), full_page=True)
    context.close()


def shoot(chromium: Any, url: str, language: str, size: str, width: int, height: int, task_id: int) -> None:
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = log_in(context, url, language, "clerk")
    stem = f"{language}-{size}"
    page.screenshot(path=str(OUT / f"inbox-{stem}.png"), full_page=True)
    page.goto(f"{url}/tasks/{task_id}")
    page.screenshot(path=str(OUT / f"task-{stem}.png"), full_page=True)
    if size == "phone":  # what the phone shows first, at full resolution
        page.screenshot(path=str(OUT / f"task-{stem}-first-screen.png"))
    # The same task with an invalid submission: errors by their fields, input kept.
    page.check("input[name=decision][value=correct]")
    page.fill("#f-comment", "材料基本齐全 / mostly complete")
    page.click("#task-form button[type=submit]")
    page.screenshot(path=str(OUT / f"task-errors-{stem}.png"), full_page=True)
    if size == "phone":  # the browser scrolled to the first invalid field, which has the focus
        page.screenshot(path=str(OUT / f"task-errors-{stem}-first-screen.png"))
    context.close()
    print(f"screenshots for {stem} written to {OUT}")


if __name__ == "__main__":
    main()
