"""Attachments of a case: upload (multipart, checked by content) and download."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app import edge
from app.downloads import download_response
from app.services import attachments

from .common import AUTH, commit, documented_errors, require_user, session
from .schemas import AttachmentCreated, AttachmentForm, AttachmentUpload

blp = Blueprint("attachments", __name__, description="Attachments of a case")


@blp.route("/cases/<string:number>/attachments")
class AttachmentList(MethodView):
    @blp.arguments(AttachmentForm, location="form")
    @blp.arguments(AttachmentUpload, location="files")
    @blp.response(201, AttachmentCreated)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 404, 409, 413, 415, 422)
    def post(self, form: dict[str, Any], files: dict[str, Any], number: str) -> dict[str, Any]:
        """Upload a file to the case (the applicant of the case, or staff): multipart `file` + `kind`.

        PDF, JPEG and PNG only, recognised by their content; executables are refused whatever their
        name. Larger than the upload limit: 413. The answer's `id` is what form data refers to.
        """
        user = require_user()
        upload = files["file"]
        settings = edge.settings()
        content = upload.stream.read(settings.max_upload_bytes + 1)
        attachment = attachments.add_attachment(
            session(),
            user,
            number,
            content=content,
            filename=upload.filename,
            kind=form["kind"],
            max_bytes=settings.max_upload_bytes,
        )
        commit()
        return {
            "id": attachment.uid,
            "kind": attachment.kind,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "created_at": attachment.created_at,
            "links": {"download": url_for("attachments.AttachmentItem", number=number, uid=attachment.uid)},
        }


@blp.route("/cases/<string:number>/attachments/<string:uid>")
class AttachmentItem(MethodView):
    @blp.response(
        200,
        description="the file, as an attachment (never shown inline)",
        content_type="application/octet-stream",
    )
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 404)
    def get(self, number: str, uid: str) -> Response:
        """Download a file of the case: the applicant of the case and staff only (others: 404)."""
        user = require_user()
        stored = attachments.attachment_for_download(session(), user, number, uid)
        return download_response(stored)
