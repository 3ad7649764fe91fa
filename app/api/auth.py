"""POST /auth/token: a bearer token for a username and password."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.services import auth

from .common import documented_errors, session
from .schemas import TokenRequest, TokenResponse

blp = Blueprint("auth", __name__, description="Authentication")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(200, TokenResponse)
    @documented_errors(blp, 400, 401, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a username and password for a bearer token."""
        settings = current_app.extensions["permitflow.settings"]
        user = auth.authenticate(session(), body["username"], body["password"])
        token, expires = auth.issue_token(user, settings.secret_key, settings.token_ttl_seconds)
        return {"token": token, "expires_at": expires}
