"""Complaints from the public (投诉举报): filing one with evidence photos, and the complainant's own
rating of the answer.

Anyone files a complaint, with or without an account. Evidence files pass the same checks as any
upload (services.attachments.check_upload), all before anything is stored, and become attachments
of the new case; the complaint's `evidence` names them. The rating task of complaint_handling.bpmn
sits in the complainant's lane (the `applicant` pseudo-group): the applicant account that filed
it, or - for an anonymous complaint - whoever proved the number and query code, completes it here.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Attachment, Case, HumanTask, TaskState, User

from . import attachments, audit, cases, gateway, processes, steps

PROCESS = "complaint_handling"
EVIDENCE = "evidence"
MAX_PHOTOS = 6


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str | None


def file_complaint(
    session: Session,
    actor: User | None,
    data: dict[str, Any],
    photos: list[Upload],
    *,
    root: Path,
    max_bytes: int,
) -> cases.StartedCase:
    """Check every photo, then start the case (the API's start_case) naming them as evidence, then
    store them. A refused photo or form stores nothing. Flushes, never commits."""
    if len(photos) > MAX_PHOTOS:
        raise InvalidData(f"at most {MAX_PHOTOS} evidence files", {EVIDENCE: [f"at most {MAX_PHOTOS} files"]})
    checked: list[tuple[Upload, str, str]] = []
    for index, photo in enumerate(photos):
        try:
            content_type = attachments.check_upload(photo.content, EVIDENCE, max_bytes)
        except InvalidData as err:
            raise InvalidData(err.message, {f"{EVIDENCE}.{index}": err.errors.get("file", [])}) from err
        checked.append((photo, content_type, uuid.uuid4().hex))
    full = {k: v for k, v in data.items() if k != EVIDENCE}
    if checked:
        full[EVIDENCE] = [uid for _photo, _type, uid in checked]
    started = cases.start_case(session, actor, PROCESS, full)
    case = started.case
    for photo, content_type, uid in checked:
        item = Attachment(
            uid=uid,
            case_id=case.id,
            kind=EVIDENCE,
            filename=attachments.clean_filename(photo.filename),
            content_type=content_type,
            size=len(photo.content),
            sha256=hashlib.sha256(photo.content).hexdigest(),
            uploaded_by_id=actor.id if actor is not None else None,
            created_at=clock.now(),
        )
        session.add(item)
        session.flush()
        attachments.write_file(root / str(case.id), uid, photo.content)
        audit.record(
            session,
            "attachment.added",
            actor=actor,
            case=case,
            detail={"uid": uid, "kind": EVIDENCE, "sha256": item.sha256, "size": item.size},
        )
    return started


def rating_task(session: Session, case: Case) -> HumanTask | None:
    """The complaint's open task for the complainant (the rating), if one is waiting."""
    if case.process_key != PROCESS:
        return None
    return session.scalar(
        select(HumanTask).where(
            HumanTask.case_id == case.id,
            HumanTask.state == TaskState.OPEN,
            HumanTask.candidate_group == gateway.APPLICANT_GROUP,
        )
    )


def rating_schema(session: Session, task: HumanTask) -> dict[str, Any] | None:
    case = session.get(Case, task.case_id)
    assert case is not None
    return processes.form_schema(processes.version_by_id(session, case.process_version_id), task.form_key)


def rate(session: Session, case: Case, actor: User | None, data: Any) -> Case:
    """The complainant's rating. The caller has established who may rate (the holder of the query
    code or the case's applicant). Validated like any task form; flushes, never commits."""
    task = rating_task(session, case)
    if task is None:
        raise Conflict("this complaint is not waiting for a rating")
    if case.applicant_id is not None and (actor is None or actor.id != case.applicant_id):
        # Filed from an account: only that account rates it.
        raise Conflict("this complaint is rated by the account that filed it")
    by = "applicant" if actor is not None else "query code holder"
    # Who may rate was established by the caller (query code or account): no task check here.
    return steps.advance(session, steps.CompleteTask(task.id, data, actor, detail={"by": by})).case
