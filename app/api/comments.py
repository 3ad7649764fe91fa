"""Comments on a case (API.md "Workspace"): internal among staff, or shared with the applicant."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.services import case_comments, cases

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("comments", __name__, description="Comments on a case")


class CommentItem(Schema):
    id = fields.Integer(required=True)
    author = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    text = fields.String(required=True)
    visibility = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class CommentList(Schema):
    items = fields.List(fields.Nested(CommentItem), required=True)


class NewComment(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=case_comments.MAX_TEXT))
    visibility = fields.String(load_default="internal", validate=validate.OneOf(["internal", "shared"]))


@blp.route("/cases/<string:number>/comments")
class Comments(MethodView):
    @blp.response(200, CommentList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 404)
    def get(self, number: str) -> dict[str, Any]:
        """The case's comments, oldest first: staff see all, the applicant only the shared ones."""
        db = session()
        case = cases.find_case(db, number[:40])
        return {"items": case_comments.list_comments(db, require_user(), case)}

    @blp.arguments(NewComment)
    @blp.response(201, CommentItem)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404, 422)
    def post(self, body: dict[str, Any], number: str) -> case_comments.CommentView:
        """Add a comment: staff of a group with a task on the case, supervisors, the bureau's leaders
        and the applicant (whose comments are always `shared`)."""
        db = session()
        case = cases.find_case(db, number[:40])
        comment = case_comments.add_comment(db, require_user(), case, body["text"], body["visibility"])
        commit()
        return comment
