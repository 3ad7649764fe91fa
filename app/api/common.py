"""What every API view shares: the session, the caller, committing, the error shape."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.http import HTTP_STATUS_CODES

from app import edge
from app.edge import commit as commit  # re-exported for the API views
from app.edge import db as db
from app.edge import session as session
from app.errors import NotAuthenticated
from app.extensions import ErrorSchema
from app.models import User
from app.services import auth


def error_response(status: int, message: str, errors: dict[str, list[str]]) -> ResponseReturnValue:
    body = {
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "message": message,
        "errors": errors,
    }
    return jsonify(body), status


def current_user(required: bool = True) -> User | None:
    """The caller from `Authorization: Bearer <token>`, or None (anonymous) when allowed."""
    header = request.headers.get("Authorization", "")
    if not header:
        if required:
            raise NotAuthenticated("log in first: send Authorization: Bearer <token>")
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("use Authorization: Bearer <token>")
    settings = edge.settings()
    user = auth.user_from_token(session(), token.strip(), settings.secret_key)
    g.api_user = user  # the request's log line names its user (app/web/request_log.py)
    return user


def require_user() -> User:
    user = current_user(required=True)
    assert user is not None
    return user


AUTH: list[dict[str, list[str]]] = [{"bearer": []}]


def documented_errors(blp: Any, *codes: int) -> Any:
    """Decorator adding the shared error responses of ``codes`` to an operation's docs."""

    def decorate(fn: Any) -> Any:
        # Any request can be malformed (bad JSON, NUL characters), so 400 is always documented.
        for code in sorted({400, *codes}):
            fn = blp.alt_response(code, schema=ErrorSchema, description=HTTP_STATUS_CODES[code])(fn)
        return fn

    return decorate
