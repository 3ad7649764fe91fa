"""What the applicant and complaint pages share about uploaded files: reading them with the size
limit, and saying a refusal in the page's language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from app.errors import Conflict, InvalidData, PermitFlowError, TooLarge, UnsupportedType

from . import common

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def max_mb() -> int:
    return max(1, common.settings().max_upload_bytes // (1024 * 1024))


def read(upload: Any) -> bytes:
    """At most one byte over the limit: enough to refuse a larger file without reading it all."""
    if upload is None:
        return b""
    data: bytes = upload.stream.read(common.settings().max_upload_bytes + 1)
    return data


def chosen(upload: Any) -> bool:
    """Whether a file input of a posted form had a file chosen (browsers send empty parts)."""
    return upload is not None and bool(upload.filename)


def message(err: PermitFlowError) -> str:
    if isinstance(err, TooLarge):
        return gettext("The file is too large: at most %(num)d MB.", num=max_mb())
    if isinstance(err, UnsupportedType):
        if "executable" in err.message:
            return gettext("Programs and scripts are refused. Upload a PDF, JPEG or PNG file.")
        return gettext("Only PDF, JPEG and PNG files are accepted (the type is read from the file itself).")
    if isinstance(err, InvalidData) and "file" in err.errors:
        return gettext("Choose a file to upload.")
    if isinstance(err, InvalidData):
        return gettext("Choose what kind of document this is.")
    if isinstance(err, Conflict):
        return gettext("The case is closed: no more documents can be added.")
    return gettext("The request could not be carried out. Nothing was changed.")


def photo_message(err: PermitFlowError) -> str:
    """The same for evidence photos, which must be pictures (or a PDF)."""
    if isinstance(err, UnsupportedType) and "executable" not in err.message:
        return gettext(
            "Only photos (JPEG, PNG) and PDF files are accepted (the type is read from the file itself)."
        )
    return message(err)
