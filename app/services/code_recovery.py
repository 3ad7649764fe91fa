"""Recovering a lost query code (查询码找回). An anonymous complainant's code is their only key to the
case; a start form may mark the contact fields a new code can be sent to (``"x-recovery": "sms"`` on
a phone field, ``"x-recovery": "email"`` on an e-mail field, beside ``"x-personal": true``). Whoever
gives the case number and the same phone or e-mail address receives a new code there; the old one
stops working. Matching goes through the keyed hash of the sealed value (nothing is decrypted to
compare), the answer to a mismatch is the same as to an unknown number, wrong guesses count against
the address like wrong query codes, and a case has its code replaced at most once per window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import TooManyRequests
from app.models import Case

from . import personal_data, pii, platform, processes, steps
from .credit_code import mask_phone
from .deferred import SendCode, defer

CHANNELS = ("sms", "email")
MAX_CONTACT = 254  # the longest e-mail address


@dataclass(frozen=True)
class Recovery:
    """A new code was sent: by which channel, to where (masked for the page)."""

    number: str
    channel: str
    masked_to: str


def recovery_fields(schema: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, channel) of every field the form marks ``x-recovery``."""
    if not isinstance(schema, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        if sub.get("x-recovery") in CHANNELS:
            yield path, str(sub["x-recovery"])
        yield from recovery_fields(sub, path + ".")


def normalise(contact: str) -> tuple[str, str] | None:
    """(channel, value) of what the complainant typed: an e-mail address or a phone number."""
    text = "".join(contact.split())[:MAX_CONTACT]
    if "@" in text:
        return "email", text.lower()
    digits = re.sub(r"[-()]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    return ("sms", digits) if digits.isdigit() else None


def _masked(channel: str, value: str) -> str:
    if channel == "sms":
        return mask_phone(value) or ""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def recover(session: Session, number: str, contact: str) -> Recovery | None:
    """Send a new code when ``contact`` is the phone or e-mail given to case ``number`` at filing.
    None for no match, an unknown number, or a case whose code was replaced within the window
    (the page gives the same answer to all: the per-case window is what stops a stranger who knows
    the number and the contact from cycling the complainant's code). Flushes; the caller commits
    (the code is sent after the commit)."""
    given = normalise(contact)
    case = session.scalar(select(Case).where(Case.number == number))
    if given is None or case is None:
        return None
    channel, value = given
    version = processes.version_by_id(session, case.process_version_id)
    schema = processes.form_schema(version, (version.meta.get("start") or {}).get("form"))
    paths = [path for path, wanted in recovery_fields(schema) if wanted == channel]
    if not any(case.id in personal_data.cases_with(session, value, path) for path in paths):
        return None
    try:
        outcome = steps.advance(session, steps.ReplaceQueryCode(case.id, channel))
    except TooManyRequests:
        return None  # replaced within the window: the page answers as for a mismatch

    assert outcome.query_code is not None
    defer(
        session,
        SendCode(case.id, channel, *_sealed(session, value, _text(session, case, outcome.query_code))),
    )
    return Recovery(case.number, channel, _masked(channel, value))


def _sealed(session: Session, to: str, text: str) -> tuple[str, str]:
    cipher = pii.cipher(session)
    return cipher.encrypt(to) or "", cipher.encrypt(text) or ""


def _text(session: Session, case: Case, code: str) -> str:
    """The message: Chinese first (the bureau's citizens), then English."""
    link = platform.of(session).settings.base_url.rstrip("/") + "/track"
    return (
        f"您的投诉 {case.number} 的新查询码：{code}，原查询码已失效。查询：{link}\n"
        f"New query code of your complaint {case.number}: {code} (the old code no longer works). {link}"
    )
