"""SMS beside e-mail: opted-in users get the notification kinds the setting names as a text, sent by a
job through the HTTP provider to a local stand-in SMS server this test starts (real HTTP, signed
requests), at most `sms_per_hour` per user; a failing provider leaves the message pending for rq's
retry."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from app import edge
from app.jobs.sms import send_notification_sms
from app.models import EmailState, Notification, User
from app.services import notifications, pii, sms

SECRET = "stand-in-secret"


class StandIn:
    """A stand-in SMS gateway on 127.0.0.1: records each request, answers `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"id": f"m-{len(outer.received)}"}).encode())

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def texting(app: Any, db: Any, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The planner opted in with a phone; the job's settings point at the stand-in."""
    planner = db.scalar(select(User).where(User.username == "planner"))
    planner.sms_opt_in = True
    pii.set_phone(db, planner, "13800001111")  # stored encrypted, as every account's phone
    db.commit()
    settings = replace(
        edge.of(app).settings,
        sms_url=stand_in.url,
        sms_key_id="pf",
        sms_secret=SECRET,
        sms_per_hour=2,
    )
    monkeypatch.setattr(edge, "settings", lambda: settings)
    yield settings
    planner = db.scalar(select(User).where(User.username == "planner"))
    planner.sms_opt_in = False
    pii.set_phone(db, planner, None)
    db.commit()


def _remind(app: Any, db: Any, *usernames: str, kind: str = "reminder") -> list[int]:
    users = [db.scalar(select(User).where(User.username == name)) for name in usernames]
    made = notifications.notify(
        db, users, kind, title="提醒：CP1 受理审查即将到期", title_en="Reminder", link="/tasks/1"
    )
    db.commit()
    return [n.id for n in made]


def _state(db: Any, note_id: int) -> tuple[EmailState | None, str | None]:
    db.expire_all()
    note = db.get(Notification, note_id)
    found = (note.sms_state, note.sms_message_id)
    db.rollback()
    return found


def test_an_opted_in_reviewer_gets_the_warning_by_sms_signed(
    app: Any, db: Any, stand_in: StandIn, texting: Any
) -> None:
    mine, other = _remind(app, db, "planner", "clerk")
    assert _state(db, other) == (None, None)  # the clerk did not opt in: no SMS at all
    with app.app_context():
        assert send_notification_sms(mine) == "sent"
        assert send_notification_sms(mine) == "skipped"  # run twice: sent once
    assert _state(db, mine) == (EmailState.SENT, "m-1")
    [request] = stand_in.received
    body, headers = request["body"], request["headers"]
    assert json.loads(body) == {
        "to": "13800001111",
        "text": "提醒：CP1 受理审查即将到期 http://127.0.0.1:5000/tasks/1",
    }
    expected = hmac.new(
        SECRET.encode(), headers["x-permitflow-timestamp"].encode() + b"." + body, hashlib.sha256
    )
    assert headers["x-permitflow-signature"] == expected.hexdigest() and headers["x-permitflow-key"] == "pf"


def test_kinds_not_named_are_not_texted_and_the_hourly_limit_holds(
    app: Any, db: Any, stand_in: StandIn, texting: Any
) -> None:
    [not_texted] = _remind(app, db, "planner", kind="case.urged")
    assert _state(db, not_texted) == (None, None)
    notes = [_remind(app, db, "planner")[0] for _ in range(3)]
    with app.app_context():
        assert [send_notification_sms(n) for n in notes] == ["sent", "sent", "skipped"]
    assert len(stand_in.received) == 2 and _state(db, notes[2])[0] is EmailState.SKIPPED


def test_a_failing_provider_leaves_the_sms_pending_for_the_retry(
    app: Any, db: Any, stand_in: StandIn, texting: Any
) -> None:
    [note] = _remind(app, db, "planner")
    stand_in.status = 503
    with app.app_context(), pytest.raises(sms.SmsFailed, match="503"):
        send_notification_sms(note)
    assert _state(db, note)[0] is EmailState.PENDING
    stand_in.status = 200
    with app.app_context():
        assert send_notification_sms(note) == "sent"
    assert len(stand_in.received) == 2


def test_the_number_stored_encrypted_is_the_one_texted_and_decisions_are_texted(
    app: Any, db: Any, stand_in: StandIn, texting: Any
) -> None:
    from app.services import pii

    planner = db.scalar(select(User).where(User.username == "planner"))
    pii.set_phone(db, planner, "13800003333")
    db.commit()
    [note] = _remind(app, db, "planner", kind="case.decided")
    with app.app_context():
        assert send_notification_sms(note) == "sent"
    assert json.loads(stand_in.received[0]["body"])["to"] == "13800003333"
    assert {"reminder", "task.overdue", "case.decided"} <= sms.texted_kinds(edge.of(app).settings)
