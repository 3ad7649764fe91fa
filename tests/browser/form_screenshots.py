"""Screenshots of the forms that know the applicant, for review by eye: the start form with the
builder filled from the account and locked, the same form with a cross-field rule said at its field,
a correction answer whose typed slots offer only files of their kind, and My cases with what waits
first and its flags; zh-CN and English, desktop (1366×900) and phone (390×844).

    .venv/bin/python -m tests.browser.form_screenshots [OUT_FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import edge
from app.models import Case, CaseStatus, User
from tests.browser.filling import fill_form
from tests.browser.screenshots import OUT, SIZES, build_app, log_in, served
from tests.web.test_apply import _form

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def waiting_case(app: Any) -> str:
    """A demo case of acme's that waits for its corrections."""
    with edge.of(app).database.unit_of_work(write=False) as session:
        acme = session.scalar(select(User).where(User.username == "acme"))
        number = session.scalar(
            select(Case.number)
            .where(Case.applicant_id == acme.id, Case.status == CaseStatus.WAITING_FOR_APPLICANT)
            .order_by(Case.id)
            .limit(1)
        )
        assert number is not None
        return str(number)


def shoot(chromium: Any, url: str, language: str, size: str, folder: Path, out: Path, number: str) -> None:
    width, height = SIZES[size]
    stem = f"{language}-{size}"
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = log_in(context, url, language, "acme")
    page.goto(url + "/my/cases")
    page.screenshot(path=str(out / f"my-cases-{stem}.png"), full_page=True)
    page.click('form[action="/apply/construction_permit"] button')
    page.wait_for_url(url + "/apply/drafts/*")
    page.screenshot(path=str(out / f"start-prefilled-{stem}.png"), full_page=True)
    form = _form("马尾港区冷链物流中心")
    form.update({"planned_start": "2027-06-01", "planned_finish": "2027-05-01"})
    fill_form(page, form)
    page.click("button[value=check]")
    page.locator("#f-planned_finish-error").scroll_into_view_if_needed()
    page.screenshot(path=str(out / f"start-rule-error-{stem}.png"), full_page=True)
    page.screenshot(path=str(out / f"start-rule-error-view-{stem}.png"))  # the field in view
    page.set_input_files("#file-safety_plan", str(folder / "notes.pdf"))  # text, not a PDF: refused
    page.locator("#doc-safety_plan [data-role=error]").wait_for()
    page.locator("#doc-safety_plan").scroll_into_view_if_needed()
    page.screenshot(path=str(out / f"upload-refused-{stem}.png"))
    page.goto(f"{url}/track/{number}")
    if not page.locator("ul.documents").count():
        page.select_option("#upload-kind", "construction_contract")
        page.set_input_files("#upload-file", str(folder / "contract.pdf"))
        with page.expect_navigation():
            page.click("form.upload-form button[type=submit]")
    page.screenshot(path=str(out / f"correction-form-{stem}.png"), full_page=True)
    context.close()
    print(f"form screenshots for {stem} written to {out}")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "contract.pdf").write_bytes(PDF)
        (folder / "notes.pdf").write_bytes(b"meeting notes, typed as text")
        app = build_app(folder)
        number = waiting_case(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, url, language, size, folder, out, number)


if __name__ == "__main__":
    main()
