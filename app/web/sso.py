"""Login through the unified identity provider (统一身份认证, OpenID Connect), beside local passwords.

`/login/sso` sends the browser to the provider (authorization code flow with PKCE S256, a fresh
state and nonce kept in the session); `/login/sso/callback` exchanges the code and accepts the ID
token only when its signature verifies against the provider's published keys and its issuer,
audience, expiry and nonce are right and the state is the one this browser was given (once: a
replayed state is refused). Authlib does the protocol; the account behind the identity is
services/sso_accounts.py's. Failed callbacks count against the address like failed logins, so the
callback is no way around the lockout. Configured by the PERMITFLOW_OIDC_* settings; without an
issuer the routes answer 404 and the login page shows no button.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from joserfc.errors import JoseError
from requests import RequestException

from app import edge
from app.errors import NotAuthenticated, NotFound
from app.limits import client_address, login_guard
from app.services import audit, sso_accounts

from . import common
from .auth import bp, landing_url, log_in

log = logging.getLogger(__name__)
AUTHLIB_KEY = "authlib.integrations.flask_client"  # where OAuth(app) keeps itself
NEXT_KEY = "sso_next"
GUARD_NAME = "sso:callback"  # the lockout's account key of the callback (the address counts too)


def _client() -> Any:
    """The provider's Authlib client for the current settings, registered on first use (per app,
    in Authlib's own extension slot; another issuer or client id is another client)."""
    settings = edge.settings()
    if not settings.oidc_issuer:
        raise NotFound("login through the identity provider is not configured")
    oauth = current_app.extensions.get(AUTHLIB_KEY) or OAuth(current_app)
    name = (
        "idp-"
        + hashlib.sha256(f"{settings.oidc_issuer}\n{settings.oidc_client_id}".encode()).hexdigest()[:12]
    )
    client = oauth.create_client(name)
    if client is None:
        oauth.register(
            name,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256", "timeout": 10},
        )
        client = oauth.create_client(name)
    return client


def sso_enabled() -> bool:
    return bool(edge.settings().oidc_issuer)


@bp.route("/login/sso")
def sso_login() -> ResponseReturnValue:
    """Off to the identity provider."""
    client = _client()
    # The redirect URI must be exactly the one registered at the provider: `next` waits here.
    session[NEXT_KEY] = common.safe_next(request.args.get("next"), "")
    callback = url_for("account.sso_callback", _external=True)
    try:
        return client.authorize_redirect(callback)  # state, nonce and the PKCE verifier in the session
    except (OAuthError, RequestException, ValueError) as err:
        log.warning("identity provider unreachable: %s", err)
        return _refused(
            gettext(
                "The unified identity service cannot be reached. Please log in with your password or "
                "try again later."
            ),
            503,
        )


@bp.route("/login/sso/callback")
def sso_callback() -> ResponseReturnValue:
    """Back from the provider: check everything, then log in as the account behind the identity."""
    client = _client()
    address = client_address()
    guard = login_guard()
    if guard.locked_for(GUARD_NAME, address):
        return _refused(gettext("Too many failed logins from your address. Please try again later."), 429)
    db = common.session()
    try:
        token = client.authorize_access_token()
        claims = token.get("userinfo") or {}
        settings = edge.settings()
        user = sso_accounts.account_for(db, settings.oidc_issuer, claims, settings.oidc_credit_code_claim)
    except (OAuthError, JoseError, NotAuthenticated, RequestException, ValueError, KeyError) as err:
        common.rollback()
        for started in guard.record_failure(GUARD_NAME, address):
            audit.record(db, "login.locked", actor=None, actor_label="system", detail=started.detail())
        audit.record(
            db,
            "login.sso_refused",
            actor=None,
            actor_label="system",
            detail={"address": address, "reason": type(err).__name__},
        )
        common.commit()
        log.warning("identity provider login refused from %s: %s", address, err)
        return _refused(
            gettext(
                "The login through the unified identity service could not be verified. Please try again."
            ),
            401,
        )
    common.commit()
    nxt = session.get(NEXT_KEY)
    log_in(user)  # a fresh session: the provider's state and nonce go with the old one
    return redirect(common.safe_next(nxt if isinstance(nxt, str) else None, landing_url(user)))


def _refused(message: str, status: int) -> ResponseReturnValue:
    return render_template("login.html", error=message, username="", next=""), status
