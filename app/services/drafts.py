"""Drafts of applications started in the browser: the typed form and the uploaded files kept on
the server until the applicant submits, so nothing is lost between visits.

The start form's JSON Schema says which typed attachments a process needs: its `attachments`
object has one property per kind (with zh/en titles) and lists the needed kinds in `required`.
A draft holds at most one file per kind (a new upload of a kind replaces the old one). Files pass
the same checks as uploads to a case (services.attachments.check_upload). On submission the case
is started through services.cases.start_case, exactly as `POST /api/v1/cases` does, and each
draft file becomes an attachment of the case under the same uid, so the ids the form names stay
valid.

Files are kept in the app's storage (services/storage.py) under ``drafts/<draft uid>/<uid>`` and
follow the transaction: new files are written under new uids and go again if the transaction rolls
back; files a draft no longer names go only once it commits, so a rolled-back request never leaves
a row whose file is gone.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, InvalidData, NotFound
from app.models import Attachment, Draft, DraftAttachment, User

from . import attachments, audit, cases, form_prefill, personal_data, processes, storage
from .forms import validate_form

REFERENCES = attachments.REFERENCES
MAX_DRAFTS = 50  # per applicant: a flood of empty drafts is refused, not stored


@dataclass(frozen=True)
class AttachmentKind:
    kind: str
    schema: dict[str, Any]
    required: bool


def startable(session: Session) -> list[processes.ProcessVersion]:
    """The processes an applicant starts with an application: not public (complaints have their
    own page), not limited to staff groups, not started by a message (a site alert), and not only
    called from another process."""
    versions = processes.current_versions(session)
    called = {key for v in versions for key in v.meta.get("calls") or []}
    return [
        v
        for v in versions
        if v.meta["start"].get("form")
        and not v.meta["start"]["public"]
        and not v.meta["start"].get("starters")
        and not v.meta["start"].get("message")
        and v.key not in called
    ]


def start_schema(session: Session, process_key: str) -> dict[str, Any]:
    version = processes.current_version(session, process_key)
    return processes.form_schema(version, version.meta["start"]["form"]) or {}


def attachment_kinds(schema: dict[str, Any]) -> list[AttachmentKind]:
    """The typed attachments the form declares, in its order, with whether each is required."""
    group = (schema.get("properties") or {}).get(REFERENCES) or {}
    needed = set(group.get("required") or [])
    return [
        AttachmentKind(kind, sub, kind in needed)
        for kind, sub in (group.get("properties") or {}).items()
        if isinstance(sub, dict)
    ]


def _check_applicant(user: User) -> None:
    if user.is_staff:
        raise Forbidden("drafts are for applicants: staff do not submit applications")


def latest_draft(session: Session, user: User, process_key: str) -> Draft | None:
    """The applicant's latest draft of this process, if any (reads only)."""
    _check_applicant(user)
    if process_key not in {v.key for v in startable(session)}:
        raise NotFound(f"no process '{process_key}' to apply for")
    return session.scalar(
        select(Draft)
        .where(Draft.applicant_id == user.id, Draft.process_key == process_key)
        .order_by(Draft.updated_at.desc(), Draft.id.desc())
        .limit(1)
    )


def open_draft(session: Session, user: User, process_key: str) -> Draft:
    """The applicant's latest draft of this process, or a new empty one. Flushes."""
    draft = latest_draft(session, user, process_key)
    if draft is not None:
        return draft
    if len(user_drafts(session, user)) >= MAX_DRAFTS:
        raise InvalidData("too many drafts: submit or discard some first", {"draft": ["too many drafts"]})
    now = clock.now()
    draft = Draft(
        uid=uuid.uuid4().hex,
        applicant_id=user.id,
        process_key=process_key,
        data={},
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, user: User, uid: str, *, lock: bool = False) -> Draft:
    """The draft, if it is this applicant's; anyone else gets the same 404 as for no draft.

    ``lock`` (for a change) holds the row until the transaction ends, so a change waiting behind a
    submission or discard finds no draft instead of failing on a row deleted under it."""
    query = select(Draft).where(Draft.uid == uid[:32])
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    draft = session.scalar(query)
    if draft is None or draft.applicant_id != user.id:
        raise NotFound("no such draft")
    return draft


def user_drafts(session: Session, user: User) -> list[Draft]:
    return list(
        session.scalars(
            select(Draft).where(Draft.applicant_id == user.id).order_by(Draft.updated_at.desc(), Draft.id)
        )
    )


def files(session: Session, draft: Draft) -> list[DraftAttachment]:
    return list(
        session.scalars(
            select(DraftAttachment).where(DraftAttachment.draft_id == draft.id).order_by(DraftAttachment.id)
        )
    )


def draft_prefix(draft: Draft) -> str:
    """The storage prefix of a draft's files. The uid, not the id: SQLite reuses the id of a deleted
    row, so a new draft could find the files of a discarded one whose files are not yet removed."""
    return f"drafts/{draft.uid}/"


def save(session: Session, draft: Draft, data: dict[str, Any]) -> None:
    """Keep what is typed so far, valid or not (the completeness check says what is missing)."""
    typed = {k: v for k, v in data.items() if k != REFERENCES}
    # Personal fields (x-personal) are kept encrypted, like those of a case (services/personal_data.py).
    draft.data = personal_data.encrypt_marked(session, start_schema(session, draft.process_key), typed)
    draft.updated_at = clock.now()
    session.flush()


def add_file(
    session: Session,
    draft: Draft,
    *,
    content: bytes,
    filename: str | None,
    kind: str,
    max_bytes: int,
) -> DraftAttachment:
    """Check and store one file of a declared kind, replacing the draft's earlier file of that
    kind. Every check runs before anything is written; the replaced file is removed only when the
    transaction commits. Flushes, never commits."""
    kinds = {k.kind for k in attachment_kinds(start_schema(session, draft.process_key))}
    kind = (kind or "").strip()
    if kind not in kinds:
        raise InvalidData(
            "this application does not take that kind of document",
            {"kind": ["is not a document kind of this application"]},
        )
    content_type = attachments.check_upload(content, kind, max_bytes)
    store = storage.of(session)
    for old in files(session, draft):
        if old.kind == kind:
            session.delete(old)
            store.discard(session, draft_prefix(draft) + old.uid)
    item = DraftAttachment(
        uid=uuid.uuid4().hex,
        draft_id=draft.id,
        kind=kind,
        filename=attachments.clean_filename(filename),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=clock.now(),
    )
    session.add(item)
    draft.updated_at = clock.now()
    session.flush()
    store.write(session, draft_prefix(draft) + item.uid, io.BytesIO(content))
    return item


def remove_file(session: Session, draft: Draft, uid: str) -> None:
    item = session.scalar(
        select(DraftAttachment).where(DraftAttachment.draft_id == draft.id, DraftAttachment.uid == uid[:32])
    )
    if item is None:
        raise NotFound("no such file in this draft")
    session.delete(item)
    draft.updated_at = clock.now()
    session.flush()
    storage.of(session).discard(session, draft_prefix(draft) + item.uid)


def typed_data(session: Session, draft: Draft) -> dict[str, Any]:
    """What the applicant typed into the draft so far (personal fields in clear)."""
    return dict(personal_data.decrypt_marked(session, draft.data or {}))


def compose(session: Session, draft: Draft, data: dict[str, Any]) -> dict[str, Any]:
    """The application as it would be submitted: the typed data and, when the form declares typed
    attachments, the `attachments` object naming the draft's file of each kind."""
    schema = start_schema(session, draft.process_key)
    full = form_prefill.fill(
        schema, {k: v for k, v in data.items() if k != REFERENCES}, _account(session, draft)
    )
    if attachment_kinds(schema):
        full[REFERENCES] = {f.kind: f.uid for f in files(session, draft)}
    return full


def check(session: Session, draft: Draft, data: dict[str, Any]) -> dict[str, Any]:
    """The completeness check: InvalidData naming every missing or invalid field and document at
    once (a missing document is `attachments.<kind>: is required`). Returns the composed data."""
    full = compose(session, draft, data)
    schema = start_schema(session, draft.process_key)
    validate_form(schema, full, what="application", account=_account(session, draft))
    return full


def _account(session: Session, draft: Draft) -> dict[str, str]:
    return form_prefill.account_values(session, session.get(User, draft.applicant_id))


def prefill(session: Session, draft: Draft) -> list[form_prefill.BoundField]:
    """The draft's fields bound to the applicant's account, with the account's values."""
    return form_prefill.bound_fields(start_schema(session, draft.process_key), _account(session, draft))


def submit(session: Session, user: User, draft: Draft, data: dict[str, Any]) -> cases.StartedCase:
    """Start the case from the draft (the API's service), move its files to the case, delete the
    draft rows; the draft's folder goes when the transaction commits. Flushes, never commits.

    The draft row is locked first (FOR UPDATE on PostgreSQL; SQLite serialises writers), so of
    two submissions at once the second waits and then finds no draft: one case, one NotFound."""
    _check_applicant(user)
    locked = session.scalar(
        select(Draft).where(Draft.id == draft.id).with_for_update().execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound("no such draft: it was submitted or discarded")
    full = check(session, draft, data)
    store = storage.of(session)
    items = files(session, draft)
    lost = [item.kind for item in items if not store.exists(session, draft_prefix(draft) + item.uid)]
    if lost:
        raise InvalidData(
            "a document of the draft is no longer on the server: upload it again",
            {f"{REFERENCES}.{kind}": ["is no longer on the server: upload it again"] for kind in lost},
        )
    started = cases.start_case(session, user, draft.process_key, full)
    case = started.case
    for item in items:
        session.add(
            Attachment(
                uid=item.uid,
                case_id=case.id,
                kind=item.kind,
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                uploaded_by_id=user.id,
                created_at=item.created_at,
            )
        )
        # Copied, not moved: if the transaction rolls back, the draft keeps its files.
        store.copy(session, draft_prefix(draft) + item.uid, attachments.file_key(case, item.uid))
        audit.record(
            session,
            "attachment.added",
            actor=user,
            case=case,
            detail={"uid": item.uid, "kind": item.kind, "sha256": item.sha256, "size": item.size},
        )
    discard(session, draft)
    return started


def discard(session: Session, draft: Draft) -> None:
    """Delete the draft; its folder goes when the transaction commits. Flushes, never commits."""
    session.execute(delete(DraftAttachment).where(DraftAttachment.draft_id == draft.id))
    session.delete(draft)
    session.flush()
    storage.of(session).discard(session, draft_prefix(draft))
