"""Screenshots of the procedures on the pages for review by eye: the status page of a suspended
case the applicant may urge and withdraw, the status page of a withdrawn case rated 非常不满意, and
the clerk's task page with its procedures (the suspend form open), zh-CN and English, desktop and
phone. Writes PNGs to screenshots/ (or the folder given as the first argument).

    .venv/bin/python -m tests.browser.procedure_screenshots [FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import clock, edge
from app.models import Case, CaseStatus, HumanTask, TaskState, User
from app.services import case_procedures, cases, demo
from tests.browser.screenshots import OUT, PASSWORD, SIZES, build_app, served


def procedure_cases(app: Any) -> tuple[str, str, int, int, str]:
    """A suspended case past its warning time, a withdrawn and poorly rated one, and the open
    tasks of the clerk on each of two running cases (one suspended): numbers and task ids."""
    with edge.of(app).database.unit_of_work() as session:
        acme = session.scalar(select(User).where(User.username == "acme"))
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        assert acme is not None and clerk is not None
        with clock.travel_to(clock.now() - timedelta(days=3)):
            late = cases.start_case(
                session, acme, "construction_permit", demo.permit_application("鼓楼区社区卫生服务中心")
            ).case
        case_procedures.suspend_case(session, clerk, late.number, "expert_review", "结构安全专家论证")
        fresh = cases.start_case(
            session, acme, "construction_permit", demo.permit_application("仓山区滨江步道配套用房")
        ).case
        gone = cases.start_case(
            session, acme, "construction_permit", demo.permit_application("晋安区临时展示中心")
        ).case
        case_procedures.withdraw_case(session, acme, gone.number, "项目选址调整")
        case_procedures.rate_case(session, acme, gone.number, 1, "受理等待时间过长，电话无人接听")

        def open_id(case_id: int) -> int:
            task = session.scalar(
                select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == TaskState.OPEN)
            )
            assert task is not None
            return task.id

        refused = session.scalar(
            select(Case.number)
            .where(Case.status == CaseStatus.REJECTED, Case.applicant_id == acme.id)
            .limit(1)
        )
        return late.number, gone.number, open_id(late.id), open_id(fresh.id), refused or ""


def shoot(
    chromium: Any, url: str, out: Path, language: str, size: str, shots: tuple[str, str, int, int, str]
) -> None:
    late, gone, suspended_task, fresh_task, refused = shots
    width, height = SIZES[size]
    stem = f"{language}-{size}"
    for username, pages in (
        (
            "acme",
            [
                (f"/track/{late}", "status-suspended"),
                (f"/track/{gone}", "status-withdrawn-rated"),
                (f"/track/{refused}", "status-refused-decision"),
            ],
        ),
        (
            "clerk",
            [(f"/tasks/{suspended_task}", "task-suspended"), (f"/tasks/{fresh_task}", "task-procedures")],
        ),
    ):
        context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        context.add_cookies([{"name": "lang", "value": language, "url": url}])
        page = context.new_page()
        page.goto(url + "/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for path, name in pages:
            page.goto(url + path)
            for summary in page.locator("#procedures details summary").all():
                summary.click()
            page.screenshot(path=str(out / f"{name}-{stem}.png"), full_page=True)
        if username == "acme":  # a refusal, in the page's language
            page.goto(f"{url}/track/{late}")
            page.locator("details.withdraw summary").click()
            page.locator("#withdraw-reason").fill(" ")
            page.locator("details.withdraw button[type=submit]").click()
            page.wait_for_load_state()
            page.screenshot(path=str(out / f"status-refused-{stem}.png"))
        context.close()
    print(f"procedure screenshots for {stem} written to {out}")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        shots = procedure_cases(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, url, out, language, size, shots)


if __name__ == "__main__":
    main()
