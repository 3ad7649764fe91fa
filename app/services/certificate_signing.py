"""A certificate's signature and its public state: HMAC-SHA256 over :func:`canonical` (every printed
field and the revocation time), so a row edited in the database, or a number nobody issued, is not
genuine.

Every machine signs with ``PERMITFLOW_CERT_KEY`` (production refuses to start without it) and each
certificate stores the id of the key that signed it, so the key can rotate: set the new key, move
the old one to ``PERMITFLOW_CERT_OLD_KEYS``, and certificates it signed still verify. Certificates
from before key ids (``key_id`` NULL) were signed with the SECRET_KEY and verify against it.
"""

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


def key_id(key: str) -> str:
    """A short public name of a certificate key (a fingerprint, so no separate setting can
    disagree with the key it names)."""
    return hashlib.sha256(b"permitflow-certificate-key:" + key.encode()).hexdigest()[:16]


def _keys(settings: Settings) -> dict[str | None, bytes]:
    """Every key a certificate may name: the current one, earlier ones, and (as None) the
    SECRET_KEY, which signed every certificate before key ids and signs outside production when no
    certificate key is set."""
    keys: dict[str | None, bytes] = {None: settings.secret_key.encode()}
    for key in [*settings.cert_old_keys.split(","), settings.cert_key]:
        if key.strip():
            keys[key_id(key.strip())] = key.strip().encode()
    return keys


def current_key_id(settings: Settings) -> str | None:
    """The id of the key new signatures are made with (None: the SECRET_KEY)."""
    return key_id(settings.cert_key.strip()) if settings.cert_key.strip() else None


def sign(settings: Settings, cert: Certificate) -> str:
    """The signature of the certificate with the key its ``key_id`` names ("" for an unknown key).

    Issuing and revoking set ``key_id`` to the current key first (see `seal`)."""
    secret = _keys(settings).get(cert.key_id)
    if secret is None:
        return ""
    return hmac.new(secret, b"certificate:" + canonical(cert), hashlib.sha256).hexdigest()


def seal(settings: Settings, cert: Certificate) -> None:
    """Sign the certificate with the current key, naming it."""
    cert.key_id = current_key_id(settings)
    cert.signature = sign(settings, cert)


def is_genuine(settings: Settings, cert: Certificate) -> bool:
    """Whether the stored signature matches the content under the key the certificate names."""
    expected = sign(settings, cert)
    return bool(expected) and hmac.compare_digest(cert.signature or "", expected)


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
