"""Integration clients (admins register, list, rotate and revoke them) and the signed messages they
send: `POST /messages` starts a case at a message start event, resumes the cases waiting for the
message whose correlation keys match, or records it on the case or project it names."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from app import json_input
from app.models import IntegrationClient
from app.services import integrations

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("integrations", __name__, description="Outside systems: integration clients and messages")


class ClientRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    messages = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "the message names the client may send"},
    )


class ClientView(Schema):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    messages = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    rotated_at = fields.DateTime(allow_none=True, required=True)
    revoked = fields.Boolean(required=True)


class ClientCreated(Schema):
    client_id = fields.String(required=True)
    secret = fields.String(required=True, metadata={"description": "shown once; stored encrypted"})


class ClientList(Schema):
    items = fields.List(fields.Nested(ClientView), required=True)


class MessageHeaders(Schema):
    class Meta:
        unknown = EXCLUDE

    client = fields.String(data_key="X-PermitFlow-Client", metadata={"description": "the client id"})
    timestamp = fields.String(data_key="X-PermitFlow-Timestamp", metadata={"description": "Unix seconds"})
    signature = fields.String(
        data_key="X-PermitFlow-Signature",
        metadata={"description": 'hex HMAC-SHA256(secret, timestamp + "." + raw body)'},
    )
    key = fields.String(
        data_key="Idempotency-Key",
        metadata={"description": "again with the same body: the first answer; with another body: 422"},
    )


class MessageBody(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    correlation = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        load_default=dict,
        metadata={"description": "keys"},
    )
    payload = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)


class MessageAnswer(Schema):
    started = fields.String(metadata={"description": "201: the number of the case it started"})
    resumed = fields.List(fields.String(), metadata={"description": "200: the cases it resumed"})
    recorded = fields.Boolean(metadata={"description": "202: recorded on the case or project it names"})


def _view(client: IntegrationClient) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "messages": client.messages,
        "created_at": client.created_at,
        "rotated_at": client.rotated_at,
        "revoked": client.revoked_at is not None,
    }


@blp.route("/integrations")
class Integrations(MethodView):
    @blp.response(200, ClientList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """Every integration client, revoked ones included (admins)."""
        return {"items": [_view(c) for c in integrations.clients(session(), require_user())]}

    @blp.arguments(ClientRequest)
    @blp.response(201, ClientCreated)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a client allowed to send `messages` (admins); its secret is shown only here."""
        made = integrations.register_client(session(), require_user(), body["name"], body["messages"])
        commit()
        return {"client_id": made.client.client_id, "secret": made.secret}


@blp.route("/integrations/<client_id>")
class Integration(MethodView):
    @blp.response(200, ClientView)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404)
    def delete(self, client_id: str) -> dict[str, Any]:
        """Revoke the client: its messages are refused from now on (admins)."""
        client = integrations.revoke_client(session(), require_user(), client_id)
        commit()
        return _view(client)


@blp.route("/integrations/<client_id>/secret")
class IntegrationSecret(MethodView):
    @blp.response(200, ClientCreated)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404)
    def post(self, client_id: str) -> dict[str, Any]:
        """Rotate the client's secret (admins): the new one is shown only here; the old one stops."""
        made = integrations.rotate_secret(session(), require_user(), client_id)
        commit()
        return {"client_id": made.client.client_id, "secret": made.secret}


MAX_MESSAGE_BYTES = 256 * 1024


# A message is parsed (for its schema) before its signature is checked: so anyone can send one,
# and it may be no bigger than a message needs, not the upload limit.
json_input.limit_body("integrations.Messages", MAX_MESSAGE_BYTES)


@blp.route("/messages")
class Messages(MethodView):
    @blp.arguments(MessageHeaders, location="headers")
    @blp.arguments(MessageBody)
    @blp.response(201, MessageAnswer)
    @blp.alt_response(200, schema=MessageAnswer, description="resumed waiting cases")
    @blp.alt_response(202, schema=MessageAnswer, description="recorded on the case or project")
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, headers: dict[str, Any], _body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """A signed message from an integration client: 201 started a case, 200 resumed cases, 202
        recorded; 401 for an unknown client, an old timestamp, a bad signature or one received
        before (a replay); 403 for a name the client may not send; 422 for an Idempotency-Key used
        with another body; 404/409/422 with the reason. Nothing is stored for a refusal."""
        raw = request.get_data(cache=True)
        db = session()
        client = integrations.verify(
            db, headers.get("client", ""), headers.get("timestamp", ""), headers.get("signature", ""), raw
        )
        signed = headers.get("signature", "").strip().lower()
        status, answer = integrations.receive(db, client, headers.get("key"), raw, signed)
        commit()
        return answer, status
