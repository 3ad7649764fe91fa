"""Unified identity (统一身份认证): the account behind a login through the OpenID Connect provider.

The provider has verified who logs in; its ID token (checked by app/web/sso.py: signature, issuer,
audience, nonce, state, PKCE) names the person or company by ``sub`` and - for a company - its
unified social credit code (the claim ``PERMITFLOW_OIDC_CREDIT_CODE_CLAIM``). The first login of a
subject links it to the applicant account whose credit code the provider verified at an earlier
login (another person of the same company), or creates the account (a company with the code, else
a citizen); an account that only claimed the code at local registration is never linked (issue 19
review, finding 1); later logins find it by (issuer, subject). An account created with the
provider's code has it verified (`credit_code_verified`), so it performs the company's tasks. Local
passwords stay for the zero-set-up default: an account created here has none (no password works).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import NotAuthenticated
from app.models import ExternalIdentity, User, UserKind

from . import audit, pii
from .auth import hash_password
from .credit_code import is_valid_credit_code

MAX_CLAIM = 200


def _claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip()[:MAX_CLAIM] if isinstance(value, str) else ""


def account_for(session: Session, issuer: str, claims: Mapping[str, Any], credit_code_claim: str) -> User:
    """The active account of this verified identity, linked or created on its first login.
    Flushes, never commits; NotAuthenticated for a token without subject or a disabled account."""
    subject = _claim(claims, "sub")
    if not subject:
        raise NotAuthenticated("the identity provider named no subject")
    now = clock.now()
    link = session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
    )
    if link is not None:
        user = session.get(User, link.user_id)
        link.last_login_at = now
    else:
        user = _first_login(session, issuer, subject, claims, credit_code_claim)
    if user is None or not user.is_active:
        raise NotAuthenticated("this account is disabled")
    audit.record(session, "login.sso", actor=user, detail={"issuer": issuer})
    return user


def _first_login(
    session: Session, issuer: str, subject: str, claims: Mapping[str, Any], credit_code_claim: str
) -> User:
    code = _claim(claims, credit_code_claim).upper()
    company = is_valid_credit_code(code)
    user = _verified_company(session, issuer, code) if company else None
    if user is None:
        user = _create(session, issuer, subject, claims, code if company else None)
        action = "account.registered"
    else:
        action = "account.linked"
    now = clock.now()
    session.add(
        ExternalIdentity(user_id=user.id, issuer=issuer, subject=subject, created_at=now, last_login_at=now)
    )
    session.flush()
    audit.record(session, action, actor=user, detail={"user_id": user.id, "via": "oidc", "issuer": issuer})
    return user


def _verified_company(session: Session, issuer: str, code: str) -> User | None:
    """The applicant account whose credit code this provider has already vouched for (an earlier
    login through it linked or created the account). A code typed at local registration is only
    claimed, never verified: linking to it would hand a company that logs in here to whoever
    registered its code first (and send its notices to that person's phone and mailbox)."""
    vouched = select(ExternalIdentity.user_id).where(ExternalIdentity.issuer == issuer)
    return session.scalar(
        select(User)
        .where(User.credit_code == code, User.kind == UserKind.APPLICANT, User.id.in_(vouched))
        .order_by(User.id)
        .limit(1)
    )


def _create(
    session: Session, issuer: str, subject: str, claims: Mapping[str, Any], credit_code: str | None
) -> User:
    name = _claim(claims, "company_name") or _claim(claims, "name") or subject
    person = _claim(claims, "name") or name
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:16]
    user = User(
        username=f"sso-{digest}",
        display_name=name,
        # A hash of a secret nobody knows: this account logs in through the provider only.
        password_hash=hash_password(secrets.token_urlsafe(32)),
        kind=UserKind.APPLICANT,
        roles=[],
        company_name=name if credit_code else None,
        credit_code=credit_code,
        # The provider vouches for the code it put in its token: this account performs the
        # company's tasks (an account that only typed the code at registration does not).
        credit_code_verified=credit_code is not None,
        contact_name=person,
        email=_claim(claims, "email") or None,
        created_at=clock.now(),
    )
    phone = _claim(claims, "phone_number").replace(" ", "")
    if phone:
        pii.set_phone(session, user, phone)  # stored encrypted, as every account's phone
    session.add(user)
    session.flush()
    return user
