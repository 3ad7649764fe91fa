"""Sending a stored attachment over HTTP, the same way from the API and from the pages."""

from __future__ import annotations

from flask import Response, send_file

from app.services.attachments import StoredFile


def download_response(stored: StoredFile, *, inline: bool = False) -> Response:
    """The stored file as a download that browsers never sniff; ``inline`` (a preview) lets the
    browser show it (only PDF, JPEG and PNG are ever stored, recognised by their content)."""
    attachment = stored.attachment
    response = send_file(
        stored.path,
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.filename,
        max_age=0,
        etag=attachment.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Browsers refuse to show a PDF in a sandboxed document: a PDF preview goes without it.
    pdf_preview = inline and attachment.content_type == "application/pdf"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'" if pdf_preview else "sandbox; default-src 'none'"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
