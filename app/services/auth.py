"""Passwords and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app import clock
from app.errors import NotAuthenticated
from app.models import User

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
    # Memberships in the same statement: nearly every request asks for the caller's groups.
    user = session.get(User, user_id, options=[joinedload(User.memberships)])
    if user is None or not user.is_active or user.token_version != version:
        raise NotAuthenticated("invalid token")
    return user
