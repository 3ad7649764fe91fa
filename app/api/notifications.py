"""Notifications: the caller's in-app messages and unread count."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.errors import InvalidData
from app.services import notifications

from .common import AUTH, commit, documented_errors, require_user, session

blp = Blueprint("notifications", __name__, description="Notifications")


class NotificationItem(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    title_en = fields.String(required=True)
    body = fields.String(required=True)
    body_en = fields.String(required=True)
    link = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class NotificationList(Schema):
    items = fields.List(fields.Nested(NotificationItem), required=True)
    unread = fields.Integer(required=True)


class NotificationArgs(Schema):
    unread = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ReadResult(Schema):
    marked = fields.Integer(required=True)
    unread = fields.Integer(required=True)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationArgs, location="query")
    @blp.response(200, NotificationList)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's notifications, newest first, with the unread count."""
        user = require_user()
        db = session()
        items = notifications.list_for(
            db, user, unread_only=args["unread"], page=args["page"], per_page=args["per_page"]
        )
        return {"items": items, "unread": notifications.unread_count(db, user)}


class ReadRequest(Schema):
    ids = fields.List(fields.Integer(), validate=validate.Length(max=1000))
    all = fields.Boolean(load_default=False)


@blp.route("/notifications/read")
class NotificationsRead(MethodView):
    @blp.arguments(ReadRequest)
    @blp.response(200, ReadResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 422)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Mark notifications of the caller read: `{ids: [...]}` or `{all: true}`. Ids of other
        users' notifications mark nothing."""
        user = require_user()
        db = session()
        if args["all"]:
            marked = notifications.mark_read(db, user)
        elif "ids" in args:
            marked = notifications.mark_read_many(db, user, args["ids"])
        else:
            raise InvalidData("say which notifications: ids or all", {"ids": ["give ids or all: true"]})
        commit()
        return {"marked": marked, "unread": notifications.unread_count(db, user)}


@blp.route("/notifications/read-all")
class NotificationsReadAll(MethodView):
    @blp.response(200, ReadResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401)
    def post(self) -> dict[str, Any]:
        """Mark every notification of the caller read."""
        user = require_user()
        marked = notifications.mark_read(session(), user)
        commit()
        return {"marked": marked, "unread": 0}


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, ReadResult)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 404)
    def post(self, notification_id: int) -> dict[str, Any]:
        """Mark one notification read. Another user's notification is 404."""
        user = require_user()
        marked = notifications.mark_read(session(), user, notification_id)
        commit()
        return {"marked": marked, "unread": notifications.unread_count(session(), user)}
