"""Complaints from the public (投诉举报): filing one with evidence photos, and the complainant's own
rating of the answer.

Anyone files a complaint, with or without an account. Evidence files pass the same checks as any
upload (services.attachments.check_upload), all before anything is stored, and become attachments
of the new case; the complaint's `evidence` names them.

Which processes take complaints is declared in their BPMN (services/process_traits.py): a public
process with `case_kind` = `complaint`. Its rating task (the user task with the property `rating`)
sits in the complainant's lane (the `applicant` pseudo-group): the applicant account that filed
it, or - for an anonymous complaint - whoever proved the number and query code, completes it here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidData, NotFound
from app.models import Case, HumanTask, TaskState, User

from . import attachments, cases, gateway, process_traits, processes, steps

EVIDENCE = "evidence"
MAX_PHOTOS = 6


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str | None


def complaint_processes(session: Session) -> list[processes.ProcessVersion]:
    """The current versions of the processes anyone may file a complaint with: public, and
    declaring ``case_kind`` = ``complaint``; by key."""
    keys = process_traits.complaint_keys(session)
    return [v for v in processes.current_versions(session) if v.key in keys and v.meta["start"]["public"]]


def complaint_process(session: Session, key: str | None = None) -> str:
    """The process a complaint is filed with: ``key`` when it is one of
    :func:`complaint_processes`, the first of them when no key is given; else NotFound."""
    keys = [v.key for v in complaint_processes(session)]
    if key is None and keys:
        return keys[0]
    if key in keys:
        return key
    raise NotFound("no such complaint process")


def file_complaint(
    session: Session,
    actor: User | None,
    data: dict[str, Any],
    photos: list[Upload],
    *,
    max_bytes: int,
    process: str | None = None,
) -> cases.StartedCase:
    """Check every photo, then start the case of the complaint process ``process`` (default: the
    first, see :func:`complaint_process`) with the API's start_case, naming them as evidence, then
    store them. A refused photo or form stores nothing. Flushes, never commits."""
    key = complaint_process(session, process)
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
    started = cases.start_case(session, actor, key, full)
    case = started.case
    for photo, content_type, uid in checked:
        attachments.store_checked(
            session,
            case,
            actor,
            uid=uid,
            kind=EVIDENCE,
            filename=photo.filename,
            content=photo.content,
            content_type=content_type,
        )
    return started


def rating_task(session: Session, case: Case) -> HumanTask | None:
    """The case's open rating task (the task its process declares with the property `rating`),
    if one is waiting."""
    rule = process_traits.of_case(session, case).rating
    if rule is None:
        return None
    return session.scalar(
        select(HumanTask).where(
            HumanTask.case_id == case.id,
            HumanTask.state == TaskState.OPEN,
            HumanTask.bpmn_id == rule.task,
            # Only a task in the complainant's lane: a query code never completes staff work.
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
