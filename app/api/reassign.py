"""POST /tasks/{id}/reassign: a supervisor (督办) hands a task to a person or another group."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.services.reassign import reassign_task
from app.services.task_view import TaskSummary

from .common import AUTH, commit, documented_errors, require_user, session
from .schemas import TaskItem
from .tasks import summary

blp = Blueprint("reassign", __name__, description="Reassigning tasks (supervisors)")


class ReassignRequest(Schema):
    user = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "username of a member of the task's group"},
    )
    group = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "slug of the group to move to"}
    )

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_kw: Any) -> None:
        if ("user" in data) == ("group" in data):
            raise ValidationError("give either user or group", "user")


@blp.route("/tasks/<int:task_id>/reassign")
class TaskReassign(MethodView):
    @blp.arguments(ReassignRequest)
    @blp.response(200, TaskItem)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], task_id: int) -> TaskSummary:
        """Give the task to a member of its group (`user`) or move it to another group (`group`).
        Only a supervisor of the task's group may; 409 when the task is no longer open."""
        user = require_user()
        task = reassign_task(session(), user, task_id, to_user=body.get("user"), to_group=body.get("group"))
        commit()
        return summary(task)
