"""Screenshots of the application and complaint pages for review by eye: the apply page (with the
completeness check listing what is missing), the status page after submitting, the complaint form,
its one-time ticket and its status page with the rating form; zh-CN and English, desktop
(1366×900) and phone (390×844). Writes PNGs to screenshots/ (git-ignored).

    .venv/bin/python -m tests.browser.apply_screenshots
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import edge
from app.models import Case, HumanTask, TaskState, User
from app.services import tasks
from tests.browser.filling import fill_form
from tests.browser.screenshots import OUT, PASSWORD, SIZES, build_app, served
from tests.web.test_apply import _form

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40


def answer(app: Any, number: str) -> None:
    """Route and answer the complaint, so its status page asks for the rating."""
    steps = [
        ("Task_Triage", "dispatcher", {"decision": "route", "department": "construction"}),
        (
            "Task_Handle",
            "permit_officer",
            {"decision": "answered", "answer": "经查，该工地已于当晚停止夜间施工，并处以罚款。"},
        ),
    ]
    for bpmn_id, username, data in steps:
        with edge.of(app).database.unit_of_work() as session:
            case_id = session.scalar(select(Case.id).where(Case.number == number))
            task = session.scalar(
                select(HumanTask).where(
                    HumanTask.case_id == case_id,
                    HumanTask.bpmn_id == bpmn_id,
                    HumanTask.state == TaskState.OPEN,
                )
            )
            user = session.scalar(select(User).where(User.username == username))
            assert task is not None and user is not None
            tasks.complete_task(session, user, task.id, data)


def shoot(chromium: Any, app: Any, url: str, language: str, size: str, folder: Path) -> None:
    width, height = SIZES[size]
    stem = f"{language}-{size}"
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    context.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", "acme")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/my/cases")
    page.click('form[action="/apply/construction_permit"] button')
    page.wait_for_url(url + "/apply/drafts/*")
    page.screenshot(path=str(OUT / f"apply-{stem}.png"), full_page=True)
    form = _form("马尾港区冷链物流中心")
    for name in ("project_name", "project_code"):  # the builder comes from the account (x-prefill)
        page.locator(f'[name="{name}"]').fill(form[name])
    for kind in ("land_use_certificate", "planning_permit"):
        page.locator(f"#file-{kind}").set_input_files(str(folder / "doc.pdf"))
        page.locator(f"#doc-{kind} .sla-on_time").wait_for()
    page.click("button[value=check]")
    page.screenshot(path=str(OUT / f"apply-check-{stem}.png"), full_page=True)
    fill_form(page, form)
    for kind in ("drawing_review_certificate", "construction_contract", "safety_plan"):
        page.locator(f"#file-{kind}").set_input_files(str(folder / "doc.pdf"))
        page.locator(f"#doc-{kind} .sla-on_time").wait_for()
    page.click("button[value=submit]")
    page.wait_for_url(url + "/track/**")
    page.screenshot(path=str(OUT / f"apply-submitted-{stem}.png"), full_page=True)
    context.close()

    anonymous = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    anonymous.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = anonymous.new_page()
    page.goto(url + "/complaints/new")
    page.screenshot(path=str(OUT / f"complaint-new-{stem}.png"), full_page=True)
    page.select_option("#f-category", "noise_dust")
    page.fill("#f-location", "马尾区江滨东大道88号工地")
    page.fill("#f-description", "工地每晚22点后仍在施工，噪声扰民，扬尘严重。")
    page.set_input_files("#photos", str(folder / "photo.png"))
    page.click("form#complaint-form button[type=submit]")
    page.wait_for_url(url + "/complaints/filed")
    page.screenshot(path=str(OUT / f"complaint-filed-{stem}.png"), full_page=True)
    number = page.locator("#ticket-number").inner_text()
    answer(app, number)
    page.goto(f"{url}/track/{number}")
    page.screenshot(path=str(OUT / f"complaint-status-{stem}.png"), full_page=True)
    anonymous.close()
    print(f"apply and complaint screenshots for {stem} written to {OUT}")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "doc.pdf").write_bytes(PDF)
        (folder / "photo.png").write_bytes(PNG)
        app = build_app(folder)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, app, url, language, size, folder)


if __name__ == "__main__":
    main()
