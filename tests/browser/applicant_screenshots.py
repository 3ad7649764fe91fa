"""Screenshots of the applicant's pages for review by eye: the case status page (with an open
correction request), My cases and the registration form, zh-CN and English, desktop (1366×900) and
phone (390×844). Writes PNGs to screenshots/ (git-ignored).

    .venv/bin/python -m tests.browser.applicant_screenshots

Uses the demo data of tests.browser.screenshots plus one case of acme waiting for corrections.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import clock, edge
from app.models import HumanTask, TaskState, User
from app.services import attachments, cases, demo, tasks
from tests.browser.screenshots import OUT, PASSWORD, SIZES, build_app, served

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def correction_case(app: Any) -> tuple[str, str]:
    """A case of acme that waits for corrections, with one document uploaded: number, query code."""
    settings = edge.of(app).settings
    with edge.of(app).database.unit_of_work() as session:
        acme = session.scalar(select(User).where(User.username == "acme"))
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        assert acme is not None and clerk is not None
        with clock.travel_to(clock.now() - timedelta(days=2)):
            started = cases.start_case(
                session, acme, "construction_permit", demo.permit_application("马尾港区综合物流仓储中心")
            )
        task = session.scalar(
            select(HumanTask).where(HumanTask.case_id == started.case.id, HumanTask.state == TaskState.OPEN)
        )
        assert task is not None
        with clock.travel_to(clock.now() - timedelta(days=1)):
            items = ["施工合同缺少签章页", "资金证明需银行盖章", "安全措施方案未附专家论证意见"]
            tasks.complete_task(session, clerk, task.id, {"decision": "correct", "correction_items": items})
        case = started.case
        attachments.add_attachment(
            session,
            acme,
            case.number,
            content=PDF,
            filename="施工合同（补签章页）.pdf",
            kind="construction_contract",
            max_bytes=settings.max_upload_bytes,
        )
        return case.number, started.query_code


def shoot(chromium: Any, url: str, language: str, size: str, number: str, code: str) -> None:
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    context.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = context.new_page()
    stem = f"{language}-{size}"
    page.goto(url + "/register")
    page.screenshot(path=str(OUT / f"register-{stem}.png"), full_page=True)
    page.goto(url + "/login")
    page.fill("#username", "acme")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/my/cases")
    page.screenshot(path=str(OUT / f"my-cases-{stem}.png"), full_page=True)
    page.goto(f"{url}/track/{number}")
    page.screenshot(path=str(OUT / f"status-{stem}.png"), full_page=True)
    if size == "phone":
        page.screenshot(path=str(OUT / f"status-{stem}-first-screen.png"))
    context.close()
    # What someone with the query code but no account sees: the status only.
    anonymous = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    anonymous.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = anonymous.new_page()
    page.goto(url + "/track")
    page.screenshot(path=str(OUT / f"track-lookup-{stem}.png"), full_page=True)
    page.fill("#number", number)
    page.fill("#code", code.lower())
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/track/{number}")
    page.screenshot(path=str(OUT / f"status-anonymous-{stem}.png"), full_page=True)
    anonymous.close()
    print(f"applicant screenshots for {stem} written to {OUT}")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        number, code = correction_case(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, url, language, size, number, code)


if __name__ == "__main__":
    main()
