"""The admin console's webhook page: add a subscription (its secret shown once), the delivery log
of a receiver too slow to answer (the attempt times out and the worker moves on), and re-send."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from app.jobs.webhooks import deliver_webhook
from app.models import AuditEvent, DeliveryState, Webhook, WebhookDelivery
from app.services import cases
from tests.helpers import change_settings, user_named
from tests.services.test_complaints import complaint


@pytest.fixture
def slow_receiver() -> Iterator[str]:
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            time.sleep(3)  # longer than the delivery timeout
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def admin_en(pages: Any) -> Any:
    return pages("admin", language="en")


def test_a_slow_receiver_times_out_the_log_says_so_and_an_admin_resends(
    app: Any, db: Any, pages: Any, slow_receiver: str, monkeypatch: Any
) -> None:
    admin = pages("admin", language="zh_CN")
    refused = admin.post(
        "/admin/webhooks", {"url": "gopher://x", "events": ["case.started"]}, page="/admin/webhooks"
    )
    assert refused.status_code == 422 and "http://" in refused.get_data(as_text=True)
    made = admin.post(
        "/admin/webhooks", {"url": slow_receiver, "events": ["case.started"]}, page="/admin/webhooks"
    )
    # Post/redirect/get: a reload of the page shown next subscribes nothing again. The secret is
    # on that page once (carried in the session, never in the URL), and not on the next.
    assert made.status_code == 302 and made.headers["Location"].endswith("/admin/webhooks")
    shown = admin.get(made.headers["Location"])
    html = shown.get_data(as_text=True)
    assert "no-store" in shown.headers["Cache-Control"]
    secret = re.search(r'id="webhook-secret">([^<]+)<', html)
    assert secret is not None and secret.group(1) not in made.headers["Location"]
    assert "已添加" in html or "added" in html
    again = admin.get("/admin/webhooks").get_data(as_text=True)
    assert 'id="webhook-secret"' not in again and secret.group(1) not in again  # shown once
    assert db.scalar(select(func.count()).select_from(Webhook)) == 1
    db.rollback()

    case = cases.start_case(db, user_named(db, "acme"), "complaint_handling", complaint()).case
    db.commit()
    number = case.number
    delivery = db.scalar(select(WebhookDelivery).where(WebhookDelivery.case_number == number))
    delivery_id = delivery.id
    db.rollback()
    change_settings(monkeypatch, app, webhook_timeout=0.5, webhook_attempts=1)
    started = time.monotonic()
    with app.app_context():
        assert deliver_webhook(delivery_id, 1) == "failed"
        assert deliver_webhook(delivery_id, 1) == "skipped"  # an attempt is made once
    assert time.monotonic() - started < 2.5  # the slow receiver did not hold the job
    db.expire_all()
    row = db.get(WebhookDelivery, delivery_id)
    assert (row.state, row.attempts, row.response_code) == (DeliveryState.FAILED, 1, None)
    assert row.last_error == "no answer within 0.5 s"
    db.rollback()

    page = admin.get("/admin/webhooks").get_data(as_text=True)
    # The attempt's error in the page's language (the log keeps the English, for the API).
    assert "失败" in page and "0.5 秒内没有应答" in page and number in page
    assert "no answer within" not in page
    assert "no answer within 0.5 s" in admin_en(pages).get("/admin/webhooks").get_data(as_text=True)
    resent = admin.post(f"/admin/webhooks/deliveries/{delivery_id}/resend", page="/admin/webhooks")
    assert resent.status_code == 302
    assert (
        admin.post(f"/admin/webhooks/deliveries/{delivery_id}/resend", page="/admin/webhooks").status_code
        == 409
    )
    db.expire_all()
    assert db.get(WebhookDelivery, delivery_id).state is DeliveryState.PENDING
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("webhook.%"))).all()
    assert sorted(actions) == ["webhook.created", "webhook.resent"]
    db.rollback()
