"""POST /tasks/bulk: claim, release or (supervisors) reassign many tasks, each on its own."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.services.bulk_tasks import MAX_ITEMS, BulkAction, apply_bulk

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("bulk_tasks", __name__, description="Bulk actions on tasks")


class BulkRequest(Schema):
    action = fields.Enum(BulkAction, by_value=True, required=True)
    ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=MAX_ITEMS))
    user = fields.String(validate=validate.Length(min=1, max=64))
    group = fields.String(validate=validate.Length(min=1, max=64))
    reason = fields.String(validate=validate.Length(max=2000))


class BulkItemSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.Integer(
        required=True, metadata={"description": "200 applied; else why not (403, 404, 409…)"}
    )
    message = fields.String(required=True)


class BulkResponse(Schema):
    results = fields.List(fields.Nested(BulkItemSchema), required=True)


@blp.route("/tasks/bulk")
class TasksBulk(MethodView):
    @blp.arguments(BulkRequest)
    @blp.response(200, BulkResponse)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """`{action: claim|unclaim|reassign, ids, user?, group?, reason?}`: each task applied or
        refused on its own (a refused one changes nothing), through the single-task services."""
        user = require_user()
        results = apply_bulk(
            session(),
            user,
            body["action"],
            body["ids"],
            to_user=body.get("user"),
            to_group=body.get("group"),
            reason=body.get("reason"),
        )
        commit()
        return {"results": results}
