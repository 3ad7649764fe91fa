"""Sending a stored attachment over HTTP, the same way from the API and from the pages."""

from __future__ import annotations

from flask import Response, send_file

from app.services.attachments import StoredFile


def download_response(stored: StoredFile) -> Response:
    """The stored file as a download that browsers never render inline or sniff."""
    attachment = stored.attachment
    response = send_file(
        stored.path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
        etag=attachment.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
