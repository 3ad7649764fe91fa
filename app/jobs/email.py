"""Sending a notification's e-mail through SMTP, retried by rq when the server fails."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sqlalchemy.orm import Session

from app import clock, edge
from app.config import Settings
from app.models import EmailState, Notification, User

from .runner import in_transaction

MAX_ATTEMPTS = 5
RETRY_INTERVALS = [10, 30, 120, 600]


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Hand ``message`` to the configured SMTP server. Raises on failure (rq retries the job)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def send_notification_email(notification_id: int) -> str:
    """Send one notification's e-mail. Raises on SMTP failure so rq retries it."""
    settings = edge.settings()

    def load(session: Session) -> tuple[EmailMessage | None, str]:
        note = session.get(Notification, notification_id)
        if note is None or note.email_state is not EmailState.PENDING:
            return None, "nothing to send"
        user = session.get(User, note.user_id)
        if user is None or not user.email or not settings.smtp_host:
            note.email_state = EmailState.SKIPPED
            return None, "skipped"
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = user.email
        message["Subject"] = f"{note.title} / {note.title_en}"
        link = f"{settings.base_url.rstrip('/')}{note.link}" if note.link else ""
        message.set_content("\n\n".join(p for p in (note.body, note.body_en, link) if p))
        note.email_attempts += 1
        return message, "send"

    message, what = in_transaction(load)
    if message is None:
        return what
    try:
        deliver(settings, message)
    except (OSError, smtplib.SMTPException) as err:
        error = str(err)
        in_transaction(lambda session: _record_failure(session, notification_id, error))
        raise
    in_transaction(lambda session: _record_sent(session, notification_id))
    return "sent"


def _record_sent(session: Session, notification_id: int) -> None:
    note = session.get(Notification, notification_id)
    if note is not None:
        note.email_state, note.emailed_at, note.email_error = EmailState.SENT, clock.now(), None


def _record_failure(session: Session, notification_id: int, error: str) -> None:
    note = session.get(Notification, notification_id)
    if note is not None:
        note.email_error = error[:500]
        if note.email_attempts >= MAX_ATTEMPTS:
            note.email_state = EmailState.FAILED
