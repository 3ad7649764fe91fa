"""What a complaint's status page shows of what was filed (category, location, description, the
evidence photos) and its handling deadline, in the complainant's words.

The person who filed it sees it: the account that filed it, or - for an anonymous complaint - the
browser that proved the number and query code (the code is the complainant's only key; it shows no
personal field, which stays sealed). Staff see it as they see the case. Which fields are shown is
the start form's: its top-level fields that are not personal, objects or attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Attachment, Case, HumanTask, TaskState

from . import processes
from .case_access import CaseAccess
from .gateway import APPLICANT_GROUP

EVIDENCE = "evidence"
MAX_TEXT = 2000  # characters of one shown value (a description is at most this long anyway)


@dataclass(frozen=True)
class FiledItem:
    """One field as filed: its title (both languages) and the value (a choice's title, both)."""

    title: str
    title_en: str
    value: str
    value_en: str


@dataclass(frozen=True)
class FiledComplaint:
    items: list[FiledItem]
    photos: list[Attachment]


def may_see_filed(access: CaseAccess, *, complaint: bool, code_proved: bool) -> bool:
    """The complainant (by account or by the proved code) and staff; never for other processes'
    code holders, whose code shows the status only."""
    return complaint and (access.data or code_proved)


def _shown(prop: Any) -> bool:
    return (
        isinstance(prop, dict)
        and prop.get("x-personal") is not True
        and prop.get("type") in ("string", "number", "integer")
        and "x-attachment" not in prop
    )


def _value(prop: dict[str, Any], value: Any) -> tuple[str, str]:
    for choice in prop.get("oneOf") or []:
        if isinstance(choice, dict) and choice.get("const") == value:
            title = str(choice.get("title") or value)
            return title, str(choice.get("x-title-en") or title)
    text = str(value)[:MAX_TEXT]
    return text, text


def filed_complaint(session: Session, case: Case) -> FiledComplaint:
    version = processes.version_by_id(session, case.process_version_id)
    schema = processes.form_schema(version, (version.meta.get("start") or {}).get("form")) or {}
    data = case.data or {}
    items = []
    for name, prop in (schema.get("properties") or {}).items():
        if not _shown(prop) or data.get(name) in (None, ""):
            continue
        value, value_en = _value(prop, data[name])
        title = str(prop.get("title") or name)
        items.append(FiledItem(title, str(prop.get("x-title-en") or title), value, value_en))
    photos = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case.id, Attachment.kind == EVIDENCE)
            .order_by(Attachment.id)
        )
    )
    return FiledComplaint(items, photos)


def handling_due(session: Session, case: Case) -> datetime | None:
    """The deadline the complainant waits on: the case's own limit when the process sets one, else
    the earliest due time of the bureau's open steps (triage, handling, answer)."""
    if case.due_at is not None:
        return case.due_at
    return session.scalar(
        select(HumanTask.due_at)
        .where(
            HumanTask.case_id == case.id,
            HumanTask.state == TaskState.OPEN,
            HumanTask.candidate_group != APPLICANT_GROUP,
            HumanTask.due_at.is_not(None),
        )
        .order_by(HumanTask.due_at)
        .limit(1)
    )
