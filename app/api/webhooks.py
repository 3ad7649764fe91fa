"""Outbound webhooks (admins): subscribe a URL to event types, list and delete subscriptions.
Deliveries are signed like `POST /messages` (services/webhook_sending.py); their log and the
re-send button are in the admin console (`/admin/webhooks`)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.models import Webhook
from app.services import webhooks
from app.services.webhook_events import EVENTS

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("webhooks", __name__, description="Outbound webhooks (admins)")


class WebhookRequest(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "http(s) URL of the receiver; private addresses only when allowed"},
    )
    events = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENTS)),
        metadata={"description": f"event types, among {', '.join(EVENTS)}"},
    )


class WebhookCreated(Schema):
    id = fields.Integer(required=True)
    secret = fields.String(required=True, metadata={"description": "the signing secret, shown this once"})


class WebhookView(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)


class WebhookList(Schema):
    items = fields.List(fields.Nested(WebhookView), required=True)


def _view(row: Webhook) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "events": list(row.events), "created_at": row.created_at}


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.response(200, WebhookList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """The subscriptions (never their secrets)."""
        return {"items": [_view(r) for r in webhooks.subscriptions_for(session(), require_user())]}

    @blp.arguments(WebhookRequest)
    @blp.response(201, WebhookCreated)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Subscribe `url` to `events`. Each delivery is a POST of JSON with the headers
        `X-PermitFlow-Event`, `X-PermitFlow-Delivery`, `X-PermitFlow-Timestamp` (Unix seconds) and
        `X-PermitFlow-Signature` = hex HMAC-SHA256(secret, timestamp + "." + raw body). A URL that
        is not http(s), or whose host resolves to a private address not allowed by
        `PERMITFLOW_WEBHOOK_ALLOW_HOSTS`: 422."""
        made = webhooks.subscribe(session(), require_user(), body["url"], body["events"])
        commit()
        return {"id": made.webhook.id, "secret": made.secret}


@blp.route("/webhooks/<int:webhook_id>")
class WebhookItem(MethodView):
    @blp.response(204)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404)
    def delete(self, webhook_id: int) -> None:
        """End the subscription: nothing more is sent to it (its delivery log stays)."""
        webhooks.delete(session(), require_user(), webhook_id)
        commit()
