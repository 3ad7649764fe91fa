"""The JSON API under /api/v1 (flask-smorest): one blueprint per resource."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_smorest import Api

from app.db import write_intent

from .attachments import blp as attachments_blp
from .auth import blp as auth_blp
from .bulk_tasks import blp as bulk_tasks_blp
from .cases import blp as cases_blp
from .certificates import blp as certificates_blp
from .comments import blp as comments_blp
from .common import error_response
from .integrations import blp as integrations_blp
from .notifications import blp as notifications_blp
from .procedures import blp as procedures_blp
from .processes import blp as processes_blp
from .reassign import blp as reassign_blp
from .search import blp as search_blp
from .stats import blp as stats_blp
from .substitutes import blp as substitutes_blp
from .tasks import blp as tasks_blp
from .webhooks import blp as webhooks_blp

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def register_api(app: Flask, api: Api) -> None:
    """Register the resources on ``api``; their errors are answered by app/web/errors.py."""
    for blueprint in (
        auth_blp,
        processes_blp,
        cases_blp,
        comments_blp,
        certificates_blp,
        attachments_blp,
        bulk_tasks_blp,
        tasks_blp,
        reassign_blp,
        procedures_blp,
        substitutes_blp,
        notifications_blp,
        stats_blp,
        webhooks_blp,
        integrations_blp,
        search_blp,
    ):
        api.register_blueprint(blueprint, url_prefix="/api/v1")

    @app.before_request
    def _intent() -> None:
        g.write_intent_token = write_intent.set(request.method not in SAFE_METHODS)

    @app.before_request
    def _refuse_nul() -> Any:
        # No stored text may hold NUL (PostgreSQL refuses it in text and JSONB): say so up front.
        if request.path.startswith("/api/") and (
            b"%00" in request.query_string
            or "\x00" in request.path
            or (request.is_json and (b"\\u0000" in request.get_data() or b"\x00" in request.get_data()))
        ):
            return error_response(400, "text must not contain NUL (\\u0000) characters", {})
        return None

    @app.teardown_request
    def _reset_intent(_exc: BaseException | None) -> None:
        token = g.pop("write_intent_token", None)
        if token is not None:
            write_intent.reset(token)
