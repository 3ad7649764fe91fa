"""Integration clients (outside systems: sensors, the 12345 hotline, other agencies) and the signed
messages they send (POST /api/v1/messages).

A client has an id and a secret; it signs each message with hex HMAC-SHA256(secret, timestamp + "."
+ raw body) and sends the Unix timestamp, which must be within the replay window of now. It may send
only the message names it was registered for. An idempotency key sent again gets the first answer
and has no second effect; a signature is accepted once (a replay is refused, 401). Nothing is
stored for a refused message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, Forbidden, InvalidData, NotAuthenticated, NotFound
from app.models import IntegrationClient, MessageReceipt, User

from . import audit, platform
from .admin_rules import require_admin
from .pii import PiiCipher
from .signed_body import signature
from .steps.messages import route


@dataclass(frozen=True)
class Registered:
    client: IntegrationClient
    secret: str  # shown once


def _cipher(session: Session) -> PiiCipher:
    return PiiCipher.of(platform.of(session).settings)


def register_client(session: Session, actor: User | None, name: str, messages: list[str]) -> Registered:
    """A new client allowed to send ``messages``; its secret is returned once, stored encrypted."""
    require_admin(actor)
    secret = secrets.token_urlsafe(32)
    client = IntegrationClient(
        client_id=f"pfc_{secrets.token_hex(8)}",
        name=name.strip()[:200],
        secret_sealed=_cipher(session).encrypt(secret) or "",
        messages=sorted({m.strip() for m in messages if m.strip()}),
        created_at=clock.now(),
    )
    session.add(client)
    session.flush()
    audit.record(session, "integration.registered", actor=actor, detail=_detail(client))
    return Registered(client, secret)


def clients(session: Session, actor: User | None) -> list[IntegrationClient]:
    require_admin(actor)
    return list(session.scalars(select(IntegrationClient).order_by(IntegrationClient.id)))


def _client(session: Session, client_id: str) -> IntegrationClient:
    client = session.scalar(select(IntegrationClient).where(IntegrationClient.client_id == client_id[:40]))
    if client is None:
        raise NotFound(f"no integration client {client_id}")
    return client


def revoke_client(session: Session, actor: User | None, client_id: str) -> IntegrationClient:
    """The client can no longer send anything (its row stays, for the audit trail)."""
    require_admin(actor)
    client = _client(session, client_id)
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        audit.record(session, "integration.revoked", actor=actor, detail=_detail(client))
    return client


def rotate_secret(session: Session, actor: User | None, client_id: str) -> Registered:
    """A new secret for the client (shown once); the old one stops verifying at once."""
    require_admin(actor)
    client = _client(session, client_id)
    if client.revoked_at is not None:
        raise NotFound(f"integration client {client_id} is revoked")
    secret = secrets.token_urlsafe(32)
    client.secret_sealed = _cipher(session).encrypt(secret) or ""
    client.rotated_at = clock.now()
    audit.record(session, "integration.rotated", actor=actor, detail=_detail(client))
    return Registered(client, secret)


def _detail(client: IntegrationClient) -> dict[str, Any]:
    return {"client_id": client.client_id, "name": client.name, "messages": client.messages}


def verify(session: Session, client_id: str, timestamp: str, sent: str, body: bytes) -> IntegrationClient:
    """The client that signed ``body``; 401 for an unknown or revoked client, a timestamp outside
    the replay window, or a signature that does not verify."""
    client = session.scalar(select(IntegrationClient).where(IntegrationClient.client_id == client_id[:40]))
    if client is None or client.revoked_at is not None:
        raise NotAuthenticated("unknown integration client (X-PermitFlow-Client)")
    # Digits only and at most 12 of them: a 400-digit "timestamp" must be a 401, not an overflow.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise NotAuthenticated("X-PermitFlow-Timestamp must be Unix seconds")
    sent_at = int(timestamp)
    window = platform.of(session).settings.message_replay_window_seconds
    if abs(clock.now().timestamp() - sent_at) > window:
        raise NotAuthenticated(f"X-PermitFlow-Timestamp is more than {window} seconds from now")
    secret = _cipher(session).decrypt(client.secret_sealed) or ""
    given = sent.strip().lower()
    if not given.isascii() or not hmac.compare_digest(signature(secret, timestamp, body), given):
        raise NotAuthenticated("X-PermitFlow-Signature does not verify")
    return client


def parse_message(body: bytes) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``{name, correlation, payload}`` from the signed body; 422 naming what is wrong."""
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidData("the body is not JSON", {"json": ["not valid JSON"]}) from None
    if not isinstance(data, dict):
        raise InvalidData("the body must be an object", {"json": ["must be an object"]})
    name, correlation, payload = data.get("name"), data.get("correlation", {}), data.get("payload", {})
    errors = {}
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        errors["name"] = ["a message name (1 to 200 characters) is required"]
    if not isinstance(correlation, dict) or not all(isinstance(v, str | int) for v in correlation.values()):
        errors["correlation"] = ["must be an object of text or number values"]
    if not isinstance(payload, dict):
        errors["payload"] = ["must be an object"]
    if errors:
        raise InvalidData("the message is not valid", errors)
    return str(name), correlation, payload


def receive(
    session: Session, client: IntegrationClient, key: str | None, body: bytes, signed: str
) -> tuple[int, dict[str, Any]]:
    """Route a verified client's message (``signed``: its verified signature); the answer
    (status, body) is kept, and the same idempotency key again returns it with no second effect.

    The key is not part of the signed string (API.md fixes it as timestamp + "." + body), so a
    signature is accepted once: within the replay window a captured message sent again, with its
    key, another key or none, has no second effect. The same key with another body is refused
    (422): it would otherwise get the answer to a message it is not."""
    name, correlation, payload = parse_message(body)
    if name not in client.messages:
        raise Forbidden(f"client {client.client_id} may not send the message '{name}'")
    digest = hashlib.sha256(body).hexdigest()
    if key is not None:
        earlier = _earlier_answer(session, client, key, digest)
        if earlier is not None:
            return earlier
    seen = select(MessageReceipt.id).where(
        MessageReceipt.client_id == client.id, MessageReceipt.signature == signed
    )
    if session.scalar(seen) is not None:
        raise NotAuthenticated("this signed message was received before (a replay): sign each message anew")
    detail = {"client": client.client_id}
    routed = route(session, name, {k: str(v) for k, v in correlation.items()}, payload, detail)
    session.add(
        MessageReceipt(
            client_id=client.id,
            idempotency_key=key,
            signature=signed,
            body_hash=digest,
            name=name,
            status=routed.status,
            answer=routed.answer,
            received_at=clock.now(),
        )
    )
    try:
        session.flush()
    except IntegrityError:  # the same key or signature at the same moment: the other one's effect stands
        raise Conflict("a message with this Idempotency-Key or signature is being handled") from None
    return routed.status, routed.answer


def _earlier_answer(
    session: Session, client: IntegrationClient, key: str, digest: str
) -> tuple[int, dict[str, Any]] | None:
    """The answer kept under the client's idempotency ``key`` (None: a new key); 422 when the key
    came with another body."""
    if not 0 < len(key) <= 200:
        raise InvalidData(
            "Idempotency-Key must be 1 to 200 characters",
            {"Idempotency-Key": ["give 1 to 200 characters"]},
        )
    earlier = session.scalar(
        select(MessageReceipt).where(
            MessageReceipt.client_id == client.id, MessageReceipt.idempotency_key == key
        )
    )
    if earlier is None:
        return None
    if earlier.body_hash is not None and earlier.body_hash != digest:
        raise InvalidData(
            "this Idempotency-Key was used for another message: a new message needs a new key",
            {"Idempotency-Key": ["already used for a message with another body"]},
        )
    return earlier.status, earlier.answer
