"""A certificate's signature and its public state: HMAC-SHA256 with the app's secret key over
:func:`canonical` (every printed field and the revocation time), so a row edited in the database,
or a number nobody issued, is not genuine."""

from __future__ import annotations

import hashlib
import hmac
import json

from app import clock
from app.config import Settings
from app.models import Certificate

from .calendar import WorkCalendar


def _amount(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def canonical(cert: Certificate) -> bytes:
    """The signed content: every field the certificate shows, in a fixed JSON form."""
    body = {
        "number": cert.number,
        "case_id": cert.case_id,
        "kind": cert.kind,
        "holder_name": cert.holder_name,
        "holder_credit_code": cert.holder_credit_code,
        "project_name": cert.project_name,
        "project_code": cert.project_code,
        "location": cert.location,
        "floor_area": _amount(cert.floor_area),
        "investment": _amount(cert.investment),
        "issuer": cert.issuer,
        "issued_at": cert.issued_at.replace(microsecond=0).isoformat(),
        "valid_until": cert.valid_until.isoformat(),
        "revoked_at": cert.revoked_at.replace(microsecond=0).isoformat() if cert.revoked_at else None,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(settings: Settings, cert: Certificate) -> str:
    secret = settings.secret_key.encode()
    return hmac.new(secret, b"certificate:" + canonical(cert), hashlib.sha256).hexdigest()


def is_genuine(settings: Settings, cert: Certificate) -> bool:
    return hmac.compare_digest(cert.signature or "", sign(settings, cert))


def status_of(calendar: WorkCalendar, cert: Certificate) -> str:
    """``revoked``, ``expired`` (past its last valid local day) or ``valid``."""
    if cert.revoked_at is not None:
        return "revoked"
    today = calendar.local_date(clock.now())
    return "expired" if today > cert.valid_until else "valid"


def verify_url(settings: Settings, number: str) -> str:
    return f"{settings.base_url.rstrip('/')}/verify/{number}"


def clean_number(number: str | None) -> str:
    return "".join(ch for ch in (number or "")[:40] if ch.isalnum()).upper()
