"""转办 / 委托: a staff member's substitute for a date range (`PUT`/`DELETE
/users/me/substitute`; supervisors for their members at `/users/{username}/substitute`). While it
runs, tasks assigned or offered to the absent person reach the substitute; what the substitute
does is audited with both names. An overlapping substitution is refused (409)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models import Substitution, User
from app.services import substitutions

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("substitutes", __name__, description="Substitutes of absent staff (委托)")


class SubstituteRequest(Schema):
    user = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the substitute's username"},
    )
    start = fields.Date(required=True, data_key="from", metadata={"description": "first day (local date)"})
    end = fields.Date(required=True, data_key="to", metadata={"description": "last day, included"})
    process = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "one process key; absent: every process"},
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **_kw: Any) -> None:
        if data["start"] > data["end"]:
            raise ValidationError("must not be after `to`", "from")


class SubstituteView(Schema):
    id = fields.Integer(required=True)
    user = fields.String(required=True, metadata={"description": "the absent person"})
    substitute = fields.String(required=True)
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")
    process = fields.String(allow_none=True, required=True)


class SubstituteList(Schema):
    items = fields.List(fields.Nested(SubstituteView), required=True)


def _view(row: Substitution) -> dict[str, Any]:
    db = session()
    absent, substitute = db.get(User, row.user_id), db.get(User, row.substitute_id)
    return {
        "id": row.id,
        "user": absent.username if absent else "",
        "substitute": substitute.username if substitute else "",
        "start": row.starts_on,
        "end": row.ends_on,
        "process": row.process_key,
    }


@blp.route("/users/<username>/substitute")
class UserSubstitute(MethodView):
    @blp.response(200, SubstituteList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404)
    def get(self, username: str) -> dict[str, Any]:
        """The substitutions of the user (`me`: the caller) running or to come."""
        user = substitutions.target_user(session(), require_user(), username)
        return {"items": [_view(r) for r in substitutions.substitutions_of(session(), user)]}

    @blp.arguments(SubstituteRequest)
    @blp.response(200, SubstituteView)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def put(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        """Name a substitute for `from`..`to` (both included), for every process or `process`:
        staff for themselves (`me`), a supervisor for a member of their group. A period that
        overlaps one already set for the same person: 409."""
        request = substitutions.SubstituteRequest(body["user"], body["start"], body["end"], body["process"])
        row = substitutions.set_substitute(session(), require_user(), username, request)
        commit()
        return _view(row)

    @blp.response(200, SubstituteList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409)
    def delete(self, username: str) -> dict[str, Any]:
        """End the user's substitutions running or to come (none: 409); the answer lists those ended."""
        rows = substitutions.end_substitute(session(), require_user(), username)
        commit()
        return {"items": [_view(r) for r in rows]}
