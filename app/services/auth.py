"""Passwords and API tokens."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import LoginLocked, NotAuthenticated
from app.models import User

from . import audit, caller
from .login_guard import LoginGuard

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or NotAuthenticated (never says which was wrong)."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("wrong username or password") from None
    if user is None or not user.is_active:
        raise NotAuthenticated("wrong username or password")
    return user


def sign_in(session: Session, guard: LoginGuard, username: str, password: str, address: str) -> User:
    """Authenticate under the lockout of every login path (token endpoint and page login alike).

    Raises LoginLocked while this username is locked from ``address`` (or the address is), and
    NotAuthenticated for wrong credentials. Lockouts that start or end are audited; the caller
    commits on every outcome so those events are kept even when the login is refused.
    """
    for ended in guard.released(username, address):
        audit.record(session, "login.unlocked", actor=None, actor_label="system", detail=ended.detail())
    wait = guard.locked_for(username, address)
    if wait:
        log.warning(
            "locked login for %r from %s",
            username,
            address,
            extra={"event": "login.locked_out", "username": username, "source_address": address},
        )
        minutes = max(1, -(-wait // 60))
        raise LoginLocked(f"too many failed logins; try again in {minutes} minute(s)", retry_after=wait)
    try:
        user = authenticate(session, username, password)
    except NotAuthenticated:
        log.warning(
            "failed login for %r from %s",
            username,
            address,
            extra={"event": "login.failed", "username": username, "source_address": address},
        )
        for started in guard.record_failure(username, address):
            audit.record(session, "login.locked", actor=None, actor_label="system", detail=started.detail())
        raise
    guard.reset(username, address)
    return user


def end_page_sessions(user: User) -> None:
    """Revoke every page session of the user (logout): session cookies name the version they
    were issued under. API tokens stay valid (they end with ``token_version``)."""
    user.session_version = (user.session_version or 1) + 1


def issue_token(user: User, secret: str, ttl_seconds: int) -> tuple[str, datetime]:
    expires = clock.now() + timedelta(seconds=ttl_seconds)
    token = URLSafeSerializer(secret, salt="api-token").dumps(
        {"u": user.id, "v": user.token_version, "e": int(expires.timestamp())}
    )
    return token, expires


def user_from_token(session: Session, token: str, secret: str) -> User:
    try:
        payload = URLSafeSerializer(secret, salt="api-token").loads(token)
        user_id, version, expires = int(payload["u"]), int(payload["v"]), int(payload["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotAuthenticated("invalid token") from None
    if clock.now().timestamp() > expires:
        raise NotAuthenticated("token expired: request a new one")
    # Read afresh on every request (the database is the one truth about revocation and groups),
    # with the memberships in the same statement: nearly every request asks for the caller's groups.
    user = caller.user_with_groups(session, user_id)
    if user is None or not user.is_active or user.token_version != version:
        raise NotAuthenticated("invalid token")
    return user
