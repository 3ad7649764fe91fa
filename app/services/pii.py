"""Personal data at rest: encrypted with AES-256-GCM under ``PERMITFLOW_PII_KEY`` (a setting, never
in the database), found through a keyed hash where a search needs it (issue 15).

A stored value reads ``pii1:<key id>:<base64 of nonce + ciphertext>``; the key id names the key, so
keys rotate: set the new key, move the old one into ``PERMITFLOW_PII_OLD_KEYS`` on every machine,
then ``flask pii rotate`` re-encrypts every stored value under the new key (values written before
encryption are encrypted by it too); afterwards the old key can go. The lookup hash is an HMAC
under a key derived from the current key, so rotation recomputes it as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import User

from . import platform

PREFIX = "pii1"


def _key_bytes(secret: str) -> bytes:
    # Any string setting becomes a 256-bit key; a purpose label keeps it apart from other uses.
    return hashlib.sha256(b"permitflow-pii-key:" + secret.encode()).digest()


def key_id(secret: str) -> str:
    """A short public name of a key (a fingerprint of it)."""
    return hashlib.sha256(b"permitflow-pii-key-id:" + secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PiiCipher:
    """Encrypts with the current key; decrypts with any key it knows."""

    current_id: str
    keys: dict[str, bytes]

    @classmethod
    def of(cls, settings: Settings) -> PiiCipher:
        current = settings.pii_key or settings.secret_key
        secrets = [k.strip() for k in settings.pii_old_keys.split(",") if k.strip()] + [current]
        return cls(current_id=key_id(current), keys={key_id(k): _key_bytes(k) for k in secrets})

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(12)
        aad = self.current_id.encode()  # the key id cannot be swapped without the tag failing
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, value.encode(), aad)
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str | None) -> str | None:
        """The plain value; a value stored before encryption is returned as it is."""
        if stored is None or not stored.startswith(PREFIX + ":"):
            return stored
        _prefix, kid, body = stored.split(":", 2)
        key = self.keys.get(kid)
        if key is None:
            raise ValueError(f"personal data encrypted under unknown key {kid} (PERMITFLOW_PII_OLD_KEYS)")
        raw = base64.b64decode(body)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode()).decode()
        except InvalidTag:
            raise ValueError("personal data that does not decrypt (changed in the database?)") from None

    def is_current(self, stored: str | None) -> bool:
        return stored is None or stored.startswith(f"{PREFIX}:{self.current_id}:")

    def lookup_hash(self, value: str | None) -> str | None:
        """A keyed hash of a normalised value, to find a row by it without storing it in clear."""
        if value is None:
            return None
        normal = "".join(value.split()).lower()
        lookup_key = hmac.new(self.keys[self.current_id], b"lookup", hashlib.sha256).digest()
        return hmac.new(lookup_key, normal.encode(), hashlib.sha256).hexdigest()


def cipher(session: Session) -> PiiCipher:
    return PiiCipher.of(platform.of(session).settings)


def set_phone(session: Session, user: User, phone: str | None) -> None:
    """Store a user's phone number encrypted, with its lookup hash."""
    c = cipher(session)
    user.phone = c.encrypt(phone)
    user.phone_hash = c.lookup_hash(phone)


def phone_of(session: Session, user: User) -> str | None:
    """A user's phone number in clear (for masking on a page, or for staff)."""
    return cipher(session).decrypt(user.phone)


def users_with_phone(session: Session, phone: str) -> list[User]:
    """Users whose phone number is ``phone`` (found by the keyed hash)."""
    digest = cipher(session).lookup_hash(phone)
    return list(session.scalars(select(User).where(User.phone_hash == digest)))


def rotate(session: Session) -> int:
    """Re-encrypt every stored phone number under the current key; how many changed. Flushes."""
    c = cipher(session)
    changed = 0
    for user in session.scalars(select(User).where(User.phone.is_not(None))):
        if c.is_current(user.phone):
            continue
        set_phone(session, user, c.decrypt(user.phone))
        changed += 1
    session.flush()
    return changed
