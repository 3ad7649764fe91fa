"""Sending a replaced query code (services/code_recovery.py) by SMS or e-mail, retried by rq when
the provider or the mail server fails. The address and the text arrive sealed."""

from __future__ import annotations

from email.message import EmailMessage

from app import edge
from app.services import sms
from app.services.pii import PiiCipher

from .email import deliver


def send_code(channel: str, sealed_to: str, sealed_text: str) -> str:
    """Send one code. Raises (SmsFailed, OSError, SMTPException) so rq retries it."""
    settings = edge.settings()
    cipher = PiiCipher.of(settings)
    to, text = cipher.decrypt(sealed_to), cipher.decrypt(sealed_text)
    if not to or not text:
        return "nothing to send"
    if channel == "sms":
        provider = sms.provider_of(settings)
        if provider is None:
            return "skipped: no SMS provider is configured"
        provider.send(to, text)
        return "sent"
    if not settings.smtp_host:
        return "skipped: no SMTP server is configured"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = "投诉查询码 / Your complaint's query code"
    message.set_content(text)
    deliver(settings, message)
    return "sent"
