"""The one signing scheme of PermitFlow's HTTP exchanges: messages received from integration
clients, webhook deliveries and SMS gateway requests sent: hex HMAC-SHA256(secret, timestamp + "."
+ raw body), so that a body cannot be replayed under another timestamp."""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
