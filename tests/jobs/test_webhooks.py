"""Outbound webhooks sent by a real rq worker on a real Redis to a receiver the test starts, which
checks every signature and answers 500 once: the delivery is retried, the log shows the attempts,
and the steps that caused the events succeeded regardless."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from app.models import Case, CaseStatus, DeliveryState, WebhookDelivery
from app.services import cases, processes
from app.services.webhook_events import EVENTS
from tests.helpers import open_task, user_named
from tests.jobs.test_worker import WorkerProcess, clear_rq
from tests.services.test_process_traits import CERTIFICATE_BPMN, retire

pytestmark = pytest.mark.slow

KEY = "webhook_record"


class Receiver:
    """A local HTTP receiver: records each request; answers 500 to the first one it is told to."""

    def __init__(self, fail_first: str) -> None:
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = self.headers["X-PermitFlow-Event"]
                failing = event == receiver.fail_first and not any(
                    h["X-PermitFlow-Event"] == event for h, _b, _s in receiver.requests
                )
                status = 500 if failing else 200
                receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/permitflow?src=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first="case.started")
    yield server
    server.close()


@pytest.fixture
def webhook_worker(app: Any, redis_url: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    clear_rq(redis_url)
    env = {"PERMITFLOW_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "PERMITFLOW_WEBHOOK_RETRY_SECONDS": "1"}
    process = WorkerProcess(app, redis_url, tmp_path, extra_env=env)
    yield process
    process.stop()
    clear_rq(redis_url)


@pytest.fixture
def record_process(app: Any, db: Any, tmp_path: Path) -> Iterator[str]:
    """Start → one review → approved with a certificate: every event type in two steps."""
    path = tmp_path / f"{KEY}.bpmn"
    path.write_text(CERTIFICATE_BPMN.format(key=KEY), encoding="utf-8")
    with app.app_context():
        processes.deploy_processes(db, None, [path])
        db.commit()
    yield KEY
    retire(db, KEY)


def _deliveries(db: Any) -> list[tuple[str, DeliveryState, int, int | None]]:
    rows = db.execute(
        select(
            WebhookDelivery.event,
            WebhookDelivery.state,
            WebhookDelivery.attempts,
            WebhookDelivery.response_code,
        ).order_by(WebhookDelivery.id)
    ).all()
    db.rollback()
    return [tuple(r) for r in rows]


def test_a_receiver_gets_signed_deliveries_and_a_500_is_retried(
    app: Any, db: Any, api: Any, receiver: Receiver, webhook_worker: WorkerProcess, record_process: str
) -> None:
    made = api.post("/api/v1/webhooks", "admin", json={"url": receiver.url, "events": list(EVENTS)})
    assert made.status_code == 201, made.get_json()
    secret = made.get_json()["secret"]
    builder = {"name": "华建第一工程有限公司", "credit_code": "91110108MA01ABCD1E"}
    data = {"project_name": "旧厂房拆除", "project_code": "2026-350100-47-01-000123", "builder": builder}
    case = cases.start_case(db, user_named(db, "acme"), record_process, data).case
    db.commit()
    number, case_id = case.number, case.id
    task_id = open_task(db, case_id, "Task_Review").id
    db.rollback()
    done = api.post(f"/api/v1/tasks/{task_id}/complete", "clerk", json={"data": {"decision": "approve"}})
    assert done.status_code == 200 and done.get_json()["status"] == "approved"  # the step succeeded

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(r[1] is not DeliveryState.DELIVERED for r in _deliveries(db)):
        time.sleep(0.2)
    assert _deliveries(db) == [
        ("case.started", DeliveryState.DELIVERED, 2, 200),  # a 500, then retried
        ("task.completed", DeliveryState.DELIVERED, 1, 200),
        ("case.decided", DeliveryState.DELIVERED, 1, 200),
        ("certificate.issued", DeliveryState.DELIVERED, 1, 200),
        ("case.closed", DeliveryState.DELIVERED, 1, 200),
    ], webhook_worker.log.read_text()[-3000:]

    bodies: dict[str, dict[str, Any]] = {}
    for headers, body, _status in receiver.requests:
        stamp = headers["X-PermitFlow-Timestamp"]
        expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-PermitFlow-Signature"], expected)
        assert abs(int(stamp) - time.time()) < 60
        payload = json.loads(body)
        assert (
            payload["event"] == headers["X-PermitFlow-Event"]
            and payload["id"] == headers["X-PermitFlow-Delivery"]
        )
        assert payload["case"]["number"] == number
        bodies.setdefault(payload["event"], payload)
    assert [s for _h, _b, s in receiver.requests].count(500) == 1
    first, retry = [r for r in receiver.requests if r[0]["X-PermitFlow-Event"] == "case.started"]
    assert first[1] == retry[1]  # the same body and delivery id, signed again
    assert bodies["case.decided"]["decision"] == "approved"
    assert bodies["task.completed"]["task"]["bpmn_id"] == "Task_Review"
    cert = bodies["certificate.issued"]["certificate"]
    assert cert["holder"] == builder
    assert cert["project"]["name"] == "旧厂房拆除" and cert["project"]["code"] == data["project_code"]
    assert cert["valid_from"] and cert["valid_until"] and cert["number"]
    assert cert["pdf_url"].endswith(f"/api/v1/cases/{number}/documents/{cert['number']}.pdf")
    assert cert["verify_url"].endswith(f"/verify/{cert['number']}")
    assert db.get(Case, case_id).status is CaseStatus.APPROVED
    db.rollback()


def test_a_delivery_whose_job_was_lost_is_queued_again_once(app: Any, db: Any, redis_url: str) -> None:
    from datetime import timedelta

    from rq.job import Job

    from app import clock
    from app.jobs.webhooks import requeue_stalled
    from app.models import Webhook

    clear_rq(redis_url)
    long_ago = clock.now() - timedelta(hours=1)
    hook = Webhook(
        url="http://127.0.0.1:9/hook", events=["case.closed"], secret_sealed="x", created_at=long_ago
    )
    db.add(hook)
    db.flush()
    rows = [
        WebhookDelivery(
            webhook_id=hook.id,
            uid=f"lost-{i}",
            event="case.closed",
            body="{}",
            state=state,
            attempts=attempts,
            created_at=long_ago,
            last_attempt_at=long_ago if attempts else None,
        )
        for i, (state, attempts) in enumerate(
            [(DeliveryState.PENDING, 0), (DeliveryState.PENDING, 2), (DeliveryState.DELIVERED, 1)]
        )
    ]
    recent = WebhookDelivery(
        webhook_id=hook.id,
        uid="recent",
        event="case.closed",
        body="{}",
        state=DeliveryState.PENDING,
        attempts=0,
        created_at=clock.now(),
    )
    db.add_all([*rows, recent])
    db.commit()
    lost, killed = rows[0].id, rows[1].id
    db.rollback()
    with app.app_context():
        assert requeue_stalled() == 2  # never queued (Redis was down) and a worker killed mid-attempt
        assert requeue_stalled() == 0  # their jobs wait in Redis now
    connection = redis.Redis.from_url(redis_url)
    assert Job.exists(f"webhook-{lost}-1", connection=connection)
    assert Job.exists(f"webhook-{killed}-3", connection=connection)
    connection.close()
    clear_rq(redis_url)
