"""Attachments: files an applicant or staff member adds to a case, checked by their content.

Only PDF, JPEG and PNG are accepted, recognised by their content (the `filetype` library reads
the leading bytes), never by the file name or the client's Content-Type. Executables are refused
by name of what they are, whatever they are called. The stored file is named by a random uid under
``<case id>/`` in the app's storage (services/storage.py: the database or an object store); the
uploaded name is kept only as metadata (cleaned of any path). A refused upload writes nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, Forbidden, InvalidData, NotFound, TooLarge, UnsupportedType
from app.models import Attachment, Case, User

from . import audit, storage
from .case_access import access_to_case, case_access

ACCEPTED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# Leading bytes of programs: ELF, PE/MZ (Windows), Mach-O (both byte orders, 32/64 bit, fat).
EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
NOT_FOUND = "no case with this number and query code"


@dataclass(frozen=True)
class StoredFile:
    """An attachment and its content, read a chunk at a time from the app's storage."""

    attachment: Attachment
    chunks: Iterator[bytes]


def file_key(case: Case, uid: str) -> str:
    """The storage key of a case's file (services/storage.py)."""
    return f"{case.id}/{uid}"


def clean_filename(name: str | None) -> str:
    """The uploaded name for display: the last path part only, no control characters, no
    leading dots, at most 200 characters. Never used as a path."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if len(text) > 200:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else text[:200]
    return text or "file"


def detect_type(content: bytes) -> str:
    """The accepted MIME type of ``content``, or UnsupportedType saying what it is instead."""
    if content.startswith(EXECUTABLE_MAGIC) or content.startswith(b"#!"):
        raise UnsupportedType(
            "executable programs and scripts are refused, whatever their name: upload a PDF, JPEG or PNG",
            {"file": ["is an executable program or script"]},
        )
    kind = filetype.guess(content[:8192])
    if kind is None or kind.mime not in ACCEPTED:
        what = f" (it is {kind.mime})" if kind is not None else ""
        raise UnsupportedType(
            f"only PDF, JPEG and PNG files are accepted{what}; the type is read from the content, "
            "not from the file name",
            {"file": ["is not a PDF, JPEG or PNG file"]},
        )
    return str(kind.mime)


def _case_for(session: Session, number: str, user: User) -> Case:
    """The case, if ``user`` may have its files (staff, its applicant); otherwise the same 404 as
    for no case."""
    case = session.scalar(select(Case).where(Case.number == number[:40]))
    if case is None or not case_access(case, user).download:
        raise NotFound(NOT_FOUND)
    return case


def add_attachment(
    session: Session,
    user: User,
    number: str,
    *,
    content: bytes,
    filename: str | None,
    kind: str,
    max_bytes: int,
) -> Attachment:
    """Check and store one uploaded file for the case ``number``. Flushes, never commits.

    The checks all run before anything is written: who may add files, the kind, the size, the
    type by content. The file is written after the row is flushed, so a database refusal leaves
    no file behind.
    """
    case = _case_for(session, number, user)
    if case.status.is_final:
        raise Conflict("the case is closed: no more documents can be added")
    if not access_to_case(session, case, user).upload:
        raise Forbidden(
            "only the applicant, staff with an open task on the case and admins may add documents to it"
        )
    kind = (kind or "").strip()
    content_type = check_upload(content, kind, max_bytes)
    return store_checked(
        session,
        case,
        user,
        uid=uuid.uuid4().hex,
        kind=kind,
        filename=filename,
        content=content,
        content_type=content_type,
    )


def store_checked(
    session: Session,
    case: Case,
    actor: User | None,
    *,
    uid: str,
    kind: str,
    filename: str | None,
    content: bytes,
    content_type: str,
) -> Attachment:
    """Store a file that passed :func:`check_upload` as the case's attachment ``uid``: the row is
    flushed first, so a database refusal leaves no file behind; the addition is audited."""
    attachment = Attachment(
        uid=uid,
        case_id=case.id,
        kind=kind,
        filename=clean_filename(filename),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=actor.id if actor is not None else None,
        created_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    storage.of(session).write(session, file_key(case, attachment.uid), io.BytesIO(content))
    audit.record(
        session,
        "attachment.added",
        actor=actor,
        case=case,
        detail={"uid": attachment.uid, "kind": kind, "sha256": attachment.sha256, "size": len(content)},
    )
    return attachment


def check_upload(content: bytes, kind: str, max_bytes: int) -> str:
    """The checks every upload passes, wherever it goes (case, draft, complaint): the kind, the
    size, the type by content. Returns the detected MIME type."""
    if not KIND.fullmatch(kind):
        raise InvalidData(
            "the attachment kind is not valid", {"kind": ["use lower-case letters, digits and '_'"]}
        )
    if len(content) > max_bytes:
        raise TooLarge(
            f"the file is larger than the limit of {max_bytes} bytes ({max_bytes // (1024 * 1024)} MB)",
            {"file": [f"is larger than {max_bytes} bytes"]},
        )
    if not content:
        raise InvalidData("the file is empty", {"file": ["is empty"]})
    return detect_type(content)


def case_attachments(session: Session, case: Case) -> list[Attachment]:
    return list(
        session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
    )


def attachment_for_download(session: Session, user: User, number: str, uid: str) -> StoredFile:
    """The file, for staff and the case's applicant only; anyone else gets the same 404."""
    return stored_file(session, _case_for(session, number, user), uid)


def stored_file(session: Session, case: Case, uid: str, *, kind: str | None = None) -> StoredFile:
    """The file ``uid`` of ``case`` (of that ``kind`` only, when given), for a caller that has
    decided the viewer may have it; NotFound otherwise."""
    stmt = select(Attachment).where(Attachment.uid == uid[:32], Attachment.case_id == case.id)
    if kind is not None:
        stmt = stmt.where(Attachment.kind == kind)
    attachment = session.scalar(stmt)
    if attachment is None or not re.fullmatch(r"[0-9a-f]{32}", attachment.uid):
        raise NotFound("no such attachment on this case")
    # Read through a connection of its own: the download streams after the request has ended.
    chunks = storage.of(session).chunks(file_key(case, attachment.uid))
    if chunks is None:
        raise NotFound("the file of this attachment is missing; ask the bureau to check it")
    return StoredFile(attachment, chunks)


REFERENCES = "attachments"  # a form's object of typed attachments: kind -> attachment id


def check_references(session: Session, case: Case, data: object) -> None:
    """Every attachment id a form's `attachments` object names must be a file of this case."""
    refs = data.get(REFERENCES) if isinstance(data, dict) else None
    if not isinstance(refs, dict) or not refs:
        return
    named = {kind: uid for kind, uid in refs.items() if isinstance(uid, str)}
    known = set(
        session.scalars(
            select(Attachment.uid).where(
                Attachment.case_id == case.id, Attachment.uid.in_([u[:32] for u in named.values()])
            )
        )
    )
    errors = {
        f"{REFERENCES}.{kind}": ["is not the id of a file uploaded to this case"]
        for kind, uid in named.items()
        if uid not in known
    }
    if errors:
        raise InvalidData("the form names attachments this case does not have: " + ", ".join(errors), errors)
