"""Screenshots of the credit-code verification pages for review by eye: an unverified company's
"My cases" (the notice that its code awaits verification), and the admin console's account page
(unverified, verified) and applicant list, zh-CN and English, desktop (1280×800) and phone (390×844).

    .venv/bin/python -m tests.browser.credit_code_screenshots [OUT]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from app import create_app, edge
from app.cli import alembic_config
from app.services import accounts, demo
from tests.browser.screenshots import PASSWORD, served
from tests.web.test_applicant import credit_code

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
CLAIMER_PASSWORD = "Beihu-2026-build"


def _app(folder: Path) -> Any:
    """The demo users and processes (no demo cases) and one company registered on the site."""
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
            demo.load(session, password=PASSWORD, with_cases=False, echo=lambda _m: None)
            accounts.create_applicant(
                session,
                accounts.Registration(
                    kind=accounts.COMPANY,
                    username="minjiang",
                    password=CLAIMER_PASSWORD,
                    name="闽江建设发展有限公司",
                    phone="13905910001",
                    email="linfang@example.com",
                    contact_name="林芳",
                    credit_code=credit_code("T8"),
                ),
            )
    return app


def _log_in(context: Any, url: str, language: str, username: str, password: str) -> Any:
    context.add_cookies([{"name": "lang", "value": language, "url": url}])
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda at: "/login" not in at)
    return page


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size, (width, height) in SIZES.items():
                    stem = f"{language}-{size}"
                    shots = (
                        ("minjiang", "my-cases-unverified", "/my/cases", CLAIMER_PASSWORD),
                        ("admin", "admin-user-unverified", "/admin/users/minjiang", PASSWORD),
                        ("admin", "admin-user-verified", "/admin/users/buildco", PASSWORD),
                        ("admin", "admin-applicants", "/admin/users?kind=applicant", PASSWORD),
                    )
                    for user, name, path, password in shots:
                        context = chromium.new_context(viewport={"width": width, "height": height})
                        page = _log_in(context, url, language, user, password)
                        page.goto(url + path)
                        page.screenshot(path=str(out / f"{name}-{stem}.png"), full_page=True)
                        context.close()
    print(f"credit code screenshots written to {out}")


if __name__ == "__main__":
    main()
