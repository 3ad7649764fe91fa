"""Notifications: in-app with unread counts, e-mailed by a job through a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from app import edge
from app.jobs.email import MAX_ATTEMPTS, send_notification_email
from app.models import EmailState, Notification, User
from app.services import notifications


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _notify(db: Any, username: str, *, email: str | None) -> Notification:
    user = db.scalar(select(User).where(User.username == username))
    user.email = email
    [note] = notifications.notify(
        db,
        [user],
        "reminder",
        title="提醒：测试",
        title_en="Reminder: test",
        body="请处理",
        body_en="Please act",
        link="/tasks/1",
    )
    db.commit()
    return note


def _settings(app: Any, **values: Any) -> Any:
    from dataclasses import replace

    original = edge.of(app)
    app.extensions[edge.STATE_KEY] = replace(original, settings=replace(original.settings, **values))
    return original


def test_an_email_is_sent_by_the_job_through_smtp(app: Any, db: Any, smtp_server: Any) -> None:
    inbox, port = smtp_server
    note = _notify(db, "clerk", email="clerk@bureau.example")
    assert note.email_state is EmailState.PENDING  # nothing was sent inside the transaction
    original = _settings(app, smtp_host="127.0.0.1", smtp_port=port)
    try:
        with app.app_context():
            assert send_notification_email(note.id) == "sent"
            assert send_notification_email(note.id) == "nothing to send"  # a second run sends nothing
    finally:
        app.extensions[edge.STATE_KEY] = original
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "clerk@bureau.example"
    assert "Reminder: test" in message["Subject"]
    db.expire_all()
    stored = db.get(Notification, note.id)
    assert stored.email_state is EmailState.SENT and stored.emailed_at is not None
    db.rollback()


def test_a_failing_smtp_server_is_retried_then_marked_failed(app: Any, db: Any) -> None:
    note = _notify(db, "clerk", email="clerk@bureau.example")
    original = _settings(app, smtp_host="127.0.0.1", smtp_port=_free_port())  # nothing listens
    try:
        with app.app_context():
            for _ in range(MAX_ATTEMPTS):
                with pytest.raises(OSError):  # rq sees the failure and retries the job
                    send_notification_email(note.id)
    finally:
        app.extensions[edge.STATE_KEY] = original
    db.expire_all()
    stored = db.get(Notification, note.id)
    assert stored.email_attempts == MAX_ATTEMPTS
    assert stored.email_state is EmailState.FAILED and stored.email_error
    db.rollback()


def test_without_an_address_nothing_is_queued(db: Any) -> None:
    note = _notify(db, "planner", email=None)
    assert note.email_state is EmailState.SKIPPED


def test_notifications_api_counts_and_marks_read(api: Any, db: Any) -> None:
    first = _notify(db, "clerk", email=None)
    _notify(db, "clerk", email=None)
    _notify(db, "planner", email=None)
    body = api.get("/api/v1/notifications", "clerk").get_json()
    assert body["unread"] == 2 and len(body["items"]) == 2
    assert body["items"][0]["title_en"] == "Reminder: test"
    marked = api.post(f"/api/v1/notifications/{first.id}/read", "clerk").get_json()
    assert marked == {"marked": 1, "unread": 1}
    # Another user's notification does not exist for the caller.
    assert api.post(f"/api/v1/notifications/{first.id}/read", "planner").status_code == 404
    assert api.post("/api/v1/notifications/read-all", "clerk").get_json()["unread"] == 0
    assert api.get("/api/v1/notifications?unread=true", "clerk").get_json()["items"] == []
    assert api.get("/api/v1/notifications", "planner").get_json()["unread"] == 1
