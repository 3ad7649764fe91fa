"""Processes staff start themselves (an inspector's rectification order): which ones a member may
start, and starting one with the files its form references.

A process is staff-started when its start event names `starters` groups (meta["start"]["starters"]);
members of those groups (and admins) may start it, as cases.check_may_start decides. A start form
marks a string property holding an attachment id with ``"x-attachment": "<kind>"`` (e.g. each
finding's photo). Every file is checked before anything is stored; its uid is written into the data
at its path, the case is started through cases.start_case (the API's service, which validates the
form) and the files become the case's attachments under those uids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidData, TooLarge, UnsupportedType
from app.models import AuditEvent, Case, User
from app.models.process import ProcessVersion

from . import attachments, cases, processes

ATTACHMENT = "x-attachment"


@dataclass(frozen=True)
class StartFile:
    """One chosen file, with the path of the data value it fills (``findings.0.photo``)."""

    path: str
    content: bytes
    filename: str | None


def startable_by(session: Session, user: User) -> list[ProcessVersion]:
    """The staff-started processes ``user`` may start (their `starters` include a group of theirs)."""
    found: list[ProcessVersion] = []
    for version in processes.current_versions(session):
        if not version.meta["start"].get("starters") or not version.meta["start"].get("form"):
            continue
        try:
            cases.check_may_start(user, version.meta)
        except Forbidden:
            continue
        found.append(version)
    return found


def started_by(session: Session, user: User, limit: int = 50) -> list[Case]:
    """The cases ``user`` started as staff, newest first (the audit trail says who submitted)."""
    return list(
        session.scalars(
            select(Case)
            .join(AuditEvent, AuditEvent.case_id == Case.id)
            .where(
                AuditEvent.action == "case.submitted",
                AuditEvent.actor_id == user.id,
                Case.applicant_id.is_(None),
            )
            .order_by(Case.submitted_at.desc(), Case.id.desc())
            .limit(limit)
        )
    )


def start_schema(session: Session, user: User, process_key: str) -> tuple[ProcessVersion, dict[str, Any]]:
    """The process and its start form, if ``user`` may start it; otherwise Forbidden/NotFound."""
    version = processes.current_version(session, process_key)
    if not version.meta["start"].get("starters"):
        raise Forbidden("this process is not started by staff")
    cases.check_may_start(user, version.meta)
    return version, processes.form_schema(version, version.meta["start"].get("form")) or {}


def attachment_kind(schema: dict[str, Any], path: str) -> str | None:
    """The attachment kind the schema declares at ``path`` (row numbers step into array items)."""
    node: Any = schema
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        if part.isdigit() and node.get("type") == "array":
            node = node.get("items")
        else:
            node = (node.get("properties") or {}).get(part)
    kind = node.get(ATTACHMENT) if isinstance(node, dict) else None
    return kind if isinstance(kind, str) else None


def put_value(data: dict[str, Any], path: str, value: str) -> None:
    """Set the value at ``path`` (row numbers index lists) in ``data``."""
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[parts[-1]] = value


def start_with_files(
    session: Session,
    actor: User,
    process_key: str,
    data: dict[str, Any],
    files: list[StartFile],
    *,
    max_bytes: int,
) -> cases.StartedCase:
    """Check every file, start the case naming them, then store them. A refused file or form
    stores nothing. Flushes, never commits."""
    _version, schema = start_schema(session, actor, process_key)
    checked: list[tuple[StartFile, str, str, str]] = []
    for item in files:
        kind = attachment_kind(schema, item.path)
        if kind is None:
            raise InvalidData("this form takes no file there", {item.path: ["takes no file"]})
        try:
            content_type = attachments.check_upload(item.content, kind, max_bytes)
        except (InvalidData, TooLarge, UnsupportedType) as err:
            # Said at the value the file fills, so the page marks that row's input.
            raise InvalidData(err.message, {item.path: err.errors.get("file", [err.message])}) from err
        checked.append((item, kind, content_type, uuid.uuid4().hex))
    full = dict(data)
    for item, _kind, _type, uid in checked:
        try:
            put_value(full, item.path, uid)
        except (IndexError, KeyError, TypeError, ValueError) as err:
            raise InvalidData("a file names no value of the form", {item.path: ["takes no file"]}) from err
    started = cases.start_case(session, actor, process_key, full)
    case = started.case
    for item, kind, content_type, uid in checked:
        attachments.store_checked(
            session,
            case,
            actor,
            uid=uid,
            kind=kind,
            filename=item.filename,
            content=item.content,
            content_type=content_type,
        )
    return started
