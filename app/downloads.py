"""Sending a stored attachment over HTTP, the same way from the API and from the pages."""

from __future__ import annotations

from flask import Response

from app.services.attachments import StoredFile


def download_response(stored: StoredFile, *, inline: bool = False) -> Response:
    """The stored file as a download that browsers never sniff; ``inline`` (a preview) lets the
    browser show it (only PDF, JPEG and PNG are ever stored, recognised by their content)."""
    attachment = stored.attachment
    # Streamed a chunk at a time from the storage; the length and checksum come from the row.
    response = Response(stored.chunks, mimetype=attachment.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename, inline)
    response.set_etag(attachment.sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Browsers refuse to show a PDF in a sandboxed document: a PDF preview goes without it.
    pdf_preview = inline and attachment.content_type == "application/pdf"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'" if pdf_preview else "sandbox; default-src 'none'"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def content_disposition(filename: str, inline: bool) -> str:
    """The header naming the download, RFC 6266 with an ASCII fallback and the UTF-8 name."""
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "file"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
