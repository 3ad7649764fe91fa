"""Screenshots of the dashboard and the admin console for review by eye: zh-CN and English,
desktop (1366×900) and phone (390×844). Writes PNGs to screenshots/ (git-ignored).

    .venv/bin/python -m tests.browser.oversight_screenshots

Builds the demo app of tests/browser/screenshots.py plus a year of synthetic finished and open
cases (the rows bench/dashboard.py inserts, 1,500 of them), so every chart has something to show.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import edge
from app.models import Case, HumanTask, ProcessVersion, Timer
from tests.browser.screenshots import OUT, SIZES, build_app, log_in, served

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from dashboard import make_rows  # noqa: E402 - bench/dashboard.py, a script folder

PAGES = [
    ("dashboard", "director", "/dashboard"),
    ("admin-users", "admin", "/admin/users"),
    ("admin-user", "admin", "/admin/users/fire_chief"),
    ("admin-groups", "admin", "/admin/groups"),
    ("admin-group", "admin", "/admin/groups/fire"),
    ("admin-calendar", "admin", "/admin/calendar?year=2031"),
    ("admin-settings", "admin", "/admin/settings"),
]


def add_history(app: Any, n_cases: int = 1500) -> None:
    database = edge.of(app).database
    with database.unit_of_work() as session:
        versions = {
            key: vid
            for key, vid in session.execute(
                select(ProcessVersion.key, ProcessVersion.id).where(ProcessVersion.is_current.is_(True))
            )
        }
        offset = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
    cases, tasks, timers = make_rows(n_cases, versions, datetime.now(UTC))
    task_offset = 10_000_000
    for row in cases:
        row["id"] += offset
    for row in tasks:
        row["id"] += task_offset
        row["case_id"] += offset
    for row in timers:
        row["id"] += task_offset
        row["case_id"] += offset
        row["human_task_id"] += task_offset
    with database.engine.begin() as conn:
        conn.execute(Case.__table__.insert(), cases)
        conn.execute(HumanTask.__table__.insert(), tasks)
        conn.execute(Timer.__table__.insert(), timers)


def add_calendar_days(app: Any) -> None:
    from app.models import User
    from app.services import admin

    database = edge.of(app).database
    with database.unit_of_work() as session:
        boss = session.scalar(select(User).where(User.username == "admin"))
        assert boss is not None
        for day, kind, note in (
            ("2031-01-01", "holiday", "元旦"),
            ("2031-01-22", "holiday", "春节"),
            ("2031-01-23", "holiday", "春节"),
            ("2031-01-26", "workday", "春节调休上班"),
        ):
            admin.set_day(session, boss, day, kind, note)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        add_history(app)
        add_calendar_days(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size, (width, height) in SIZES.items():
                    context = chromium.new_context(viewport={"width": width, "height": height})
                    for name, user, path in PAGES:
                        if name == "dashboard" or name == "admin-users":
                            context.clear_cookies()
                            page = log_in(context, url, language, user)
                        page.goto(url + path)
                        if name == "dashboard":
                            page.wait_for_selector("#chart-trend svg")
                        page.screenshot(path=str(OUT / f"{name}-{language}-{size}.png"), full_page=True)
                    # A refused form: errors next to their fields.
                    page.goto(url + "/admin/settings")
                    page.fill("#f-sla_warning_ratio", "1.5")
                    page.click("form.stack button[type=submit]")
                    page.screenshot(
                        path=str(OUT / f"admin-settings-errors-{language}-{size}.png"), full_page=True
                    )
                    context.close()
                    print(f"screenshots for {language}-{size} written to {OUT}")


if __name__ == "__main__":
    main()
