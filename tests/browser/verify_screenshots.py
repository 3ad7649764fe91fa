"""Screenshots of the certificate pages for review by eye: the public verification page (genuine
and not genuine) in zh-CN and English, the applicant's status page listing the certificate, and the
certificate PDF rendered to PNG (needs poppler's `pdftoppm`). Writes to screenshots/ (git-ignored).

    .venv/bin/python -m tests.browser.verify_screenshots
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from app import edge
from app.extensions import close_embedded
from app.models import Case, Certificate
from app.services import certificates
from tests.browser.conftest import LiveServer, launch_chromium
from tests.browser.screenshots import OUT, PASSWORD, build_app


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        try:
            with edge.of(app).database.unit_of_work(write=False) as session:
                cert = session.scalar(select(Certificate).order_by(Certificate.id).limit(1))
                assert cert is not None, "the demo data has no approved permit"
                number, case_number = cert.number, session.get(Case, cert.case_id).number
                pdf = certificates.render_pdf(session, cert)
            if shutil.which("pdftoppm"):
                (Path(tmp) / "cert.pdf").write_bytes(pdf)
                subprocess.run(
                    [
                        "pdftoppm",
                        "-r",
                        "80",
                        "-png",
                        "-singlefile",
                        str(Path(tmp) / "cert.pdf"),
                        str(OUT / "certificate-pdf"),
                    ],
                    check=True,
                )
            with LiveServer(app) as server, sync_playwright() as playwright:
                chromium = launch_chromium(playwright)
                for language in ("zh_CN", "en"):
                    context = chromium.new_context(viewport={"width": 1366, "height": 900})
                    context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
                    page = context.new_page()
                    page.goto(f"{server.url}/verify/{number}")
                    page.screenshot(path=str(OUT / f"verify-genuine-{language}.png"), full_page=True)
                    page.goto(f"{server.url}/verify/202600000000")
                    page.screenshot(path=str(OUT / f"verify-not-genuine-{language}.png"), full_page=True)
                    context.close()
                    phone = chromium.new_context(viewport={"width": 390, "height": 844})
                    phone.add_cookies([{"name": "lang", "value": language, "url": server.url}])
                    page = phone.new_page()
                    page.goto(f"{server.url}/verify/{number}")
                    page.screenshot(path=str(OUT / f"verify-genuine-{language}-phone.png"), full_page=True)
                    phone.close()
                    context = chromium.new_context(viewport={"width": 1366, "height": 900})
                    context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
                    page = context.new_page()
                    page.goto(server.url + "/login")
                    page.fill("#username", "acme")
                    page.fill("#password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                    page.goto(f"{server.url}/track/{case_number}")
                    page.screenshot(path=str(OUT / f"track-certificate-{language}.png"), full_page=True)
                    context.close()
                chromium.close()
        finally:
            edge.of(app).database.dispose()
            close_embedded()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
