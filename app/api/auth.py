"""POST /auth/token: a bearer token for a username and password."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app import edge
from app.errors import LoginLocked, NotAuthenticated
from app.limits import client_address, login_guard
from app.services import auth

from .common import commit, documented_errors, session
from .schemas import TokenRequest, TokenResponse

blp = Blueprint("auth", __name__, description="Authentication")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(200, TokenResponse)
    @documented_errors(blp, 400, 401, 422, 429)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a username and password for a bearer token.

        Failed attempts count against the same lockout as the page login: per username and
        address, and per address; a locked login answers 429 with `Retry-After`."""
        settings = edge.settings()
        try:
            user = auth.sign_in(
                session(), login_guard(), body["username"], body["password"], client_address()
            )
        except (NotAuthenticated, LoginLocked):
            commit()  # the lockouts it started or ended stay in the audit trail
            raise
        commit()  # a lock that ended before this login is audited
        token, expires = auth.issue_token(user, settings.secret_key, settings.token_ttl_seconds)
        return {"token": token, "expires_at": expires}
