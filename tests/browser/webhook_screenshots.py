"""Screenshots of the admin console's webhook page for review by eye: zh-CN and English, desktop
(1280×800) and phone (390×844), with a subscription and deliveries delivered, retrying and failed.

    .venv/bin/python -m tests.browser.webhook_screenshots [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import clock, edge
from app.models import DeliveryState, User, Webhook, WebhookDelivery
from app.services import pii
from tests.browser.screenshots import OUT, build_app, log_in, served

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def add_webhook(app: Any) -> None:
    """A subscription of the provincial library and three deliveries in their three states."""
    database = edge.of(app).database
    with database.unit_of_work() as session:
        boss = session.scalar(select(User).where(User.username == "admin"))
        now = clock.now()
        # Straight into the table: this machine resolves no outside names for the URL check.
        hook = Webhook(
            url="https://zzk.example.gov.cn/api/permitflow/events",
            events=["certificate.issued", "case.closed"],
            secret_sealed=pii.cipher(session).encrypt("screenshot-secret") or "",
            created_at=now - timedelta(days=2),
            created_by_id=boss.id if boss else None,
        )
        session.add(hook)
        session.flush()
        rows = [
            ("certificate.issued", DeliveryState.DELIVERED, 1, 200, None, None),
            (
                "case.closed",
                DeliveryState.PENDING,
                2,
                500,
                "the receiver answered 500",
                now + timedelta(minutes=2),
            ),
            ("certificate.issued", DeliveryState.FAILED, 6, None, "no answer within 10 s", None),
        ]
        for i, (event, state, attempts, code, error, next_at) in enumerate(rows):
            session.add(
                WebhookDelivery(
                    webhook_id=hook.id,
                    uid=f"00000000-0000-4000-8000-00000000000{i}",
                    event=event,
                    case_number=f"SG2026120200{i + 1}",
                    body="{}",
                    state=state,
                    attempts=attempts,
                    response_code=code,
                    last_error=error,
                    created_at=now - timedelta(minutes=30 - i),
                    last_attempt_at=now - timedelta(minutes=5 - i),
                    next_attempt_at=next_at,
                )
            )


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        add_webhook(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size, (width, height) in SIZES.items():
                    context = chromium.new_context(viewport={"width": width, "height": height})
                    page = log_in(context, url, language, "admin")
                    page.goto(url + "/admin/webhooks")
                    page.screenshot(path=str(out / f"admin-webhooks-{language}-{size}.png"), full_page=True)
                    # A refused URL: the error next to its field.
                    page.fill("#f-url", "http://10.0.0.8/hook")
                    page.click("form.stack button[type=submit]")
                    page.screenshot(
                        path=str(out / f"admin-webhooks-refused-{language}-{size}.png"), full_page=True
                    )
                    context.close()
                    print(f"screenshots for {language}-{size} written to {out}")


if __name__ == "__main__":
    main()
