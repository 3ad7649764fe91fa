"""The task page's additions in a real browser: a PDF attachment previewed by pdf.js on a canvas
(under the pages' real Content-Security-Policy), the joint-review panel and comments, and axe-core
(npm) finding no WCAG 2.1 AA violation on the pages opened."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas as pdf_canvas

from app.services.demo_files import sample_pdf
from tests.conftest import PASSWORD
from tests.helpers import inbox_task, submit_permit

SHOTS = Path("/tmp/h16-shots")


def _contract_pdf() -> bytes:
    """A real two-page PDF, drawn with reportlab (the certificates' library)."""
    out = io.BytesIO()
    doc = pdf_canvas.Canvas(out, pagesize=A4)
    for number in (1, 2):
        doc.setFont("Helvetica-Bold", 28)
        doc.drawString(72, 760, f"CONSTRUCTION CONTRACT - PAGE {number}")
        doc.rect(72, 400, 400, 300, fill=1)
        doc.showPage()
    doc.save()
    return out.getvalue()


def _log_in(context: Any, url: str, username: str) -> Any:
    context.add_cookies([{"name": "lang", "value": "en", "url": url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    return page


def open_pages(browser: Any, url: str, username: str, paths: list[str]) -> list[str]:
    """Open each page as ``username`` (the `browser` fixture runs axe-core on every page that loads
    and fails the test on any violation); the pages axe checked."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = _log_in(context, url, username)
        for path in paths:
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            browser.axe(page)
    finally:
        context.close()
    return [where.split(" [")[0] for where in browser.axe_checked]


def test_a_pdf_previews_inside_the_task_page(api: Any, live_server: Any, browser: Any) -> None:
    number = submit_permit(api, "预览项目")["number"]
    upload = api.post(
        f"/api/v1/cases/{number}/attachments",
        "acme",
        data={
            "kind": "construction_contract",
            "file": (io.BytesIO(_contract_pdf()), "contract.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    chinese = api.post(
        f"/api/v1/cases/{number}/attachments",
        "acme",
        data={
            "kind": "safety_plan",
            "file": (io.BytesIO(sample_pdf("建设工程施工合同", "预览项目")), "合同.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert chinese.status_code == 201, chinese.get_json()
    task = inbox_task(api, "clerk", number)
    api.post(
        f"/api/v1/cases/{number}/comments", "clerk", json={"text": "合同已核对", "visibility": "internal"}
    )

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = _log_in(context, live_server.url, "clerk")
        page.goto(f"{live_server.url}/tasks/{task['id']}")
        figure = page.locator("figure.pdf-preview").first
        expect(figure).to_have_attribute("data-pdf-rendered", "2")
        expect(figure).to_contain_text("2 pages; the first is shown")
        # The canvas holds the drawn page: dark pixels (the text and the filled box) on white.
        dark = page.evaluate(
            """() => { const c = document.querySelector('figure.pdf-preview canvas');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0;
                       for (let i = 0; i < d.length; i += 4) { if (d[i] < 80) n++; }
                       return [c.width, n]; }"""
        )
        assert dark[0] > 300 and dark[1] > 1000, dark
        # A Chinese document (a CID font, as the platform's own PDFs use): its title is drawn, which
        # takes pdf.js's character maps. Only text sits in the page's top fifth.
        second = page.locator("figure.pdf-preview").nth(1)
        expect(second).to_have_attribute("data-pdf-rendered", "2")
        title = second.evaluate(
            """(f) => { const c = f.querySelector('canvas');
                        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height / 5).data;
                        let n = 0;
                        for (let i = 0; i < d.length; i += 4) { if (d[i] < 80) n++; }
                        return n; }"""
        )
        assert title > 300, title
        second.screenshot(path=str(SHOTS / "pdf-preview-chinese-en-desktop.png"))
        expect(page.locator("#comments")).to_contain_text("合同已核对")
        SHOTS.mkdir(exist_ok=True)
        figure.screenshot(path=str(SHOTS / "pdf-preview-en-desktop.png"))
    finally:
        context.close()

    checked = open_pages(browser, live_server.url, "clerk", [f"/tasks/{task['id']}", "/inbox"])
    assert {f"/tasks/{task['id']}", "/inbox"} <= set(checked)


def test_the_changed_pages_of_leaders_applicants_and_contractors_pass_axe(
    api: Any, live_server: Any, browser: Any
) -> None:
    number = submit_permit(api, "无障碍项目")["number"]
    api.post(f"/api/v1/cases/{number}/comments", "clerk", json={"text": "请补充原件", "visibility": "shared"})
    pages = {
        "director": ["/dashboard", "/dashboard/list?metric=cases_received", "/inbox?scope=all"],
        "acme": [f"/track/{number}", "/my/cases"],
    }
    for username, paths in pages.items():
        checked = open_pages(browser, live_server.url, username, paths)
        assert set(paths) <= set(checked), (username, checked)
