"""A task as its performer sees it: typed view models that `tasks.task_detail` builds and the API
(through its schemas) and the task pages read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models import Attachment, Case, HumanTask

from .calendar import SlaState
from .case_comments import CommentView
from .signing_view import SigningProgress
from .task_access import PersonName, TaskPermissions


@dataclass(frozen=True)
class TaskSummary:
    """A task as the inbox lists it: the row, where it stands against its limit, who has it, and
    for a signature of a 会签 / 或签 round the round's progress (None for any other task)."""

    task: HumanTask
    sla: SlaState
    assignee: PersonName | None
    signing: SigningProgress | None = None

    @property
    def assignee_username(self) -> str | None:
        return self.assignee.username if self.assignee is not None else None


@dataclass(frozen=True)
class TaskForm:
    """The task's form: its JSON Schema and the UI hints of the form that lays it out."""

    name: str | None
    schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None


@dataclass(frozen=True)
class AttachmentSummary:
    """A file uploaded to the task's case."""

    id: str  # the uid form data refers to
    kind: str
    filename: str
    content_type: str
    size: int
    created_at: datetime

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentSummary:
        return cls(
            id=attachment.uid,
            kind=attachment.kind,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            created_at=attachment.created_at,
        )


@dataclass(frozen=True)
class CreditDeduction:
    """Points a company lost, shown to the reviewer weighing its application."""

    points: int  # a positive number
    reason: str
    at: datetime


@dataclass(frozen=True)
class TaskDetail:
    """The task with its form, its case, the case data the user may see, the case's files, the
    concerned company's credit, and what the user may do with the task."""

    task: HumanTask
    sla: SlaState
    assignee: PersonName | None
    form: TaskForm
    case: Case
    data: dict[str, Any]
    submitted: dict[str, Any]  # what was submitted in the task (personal values revealed)
    comments: list[CommentView]  # the case's comments the user may read (services/case_comments.py)
    attachments: list[AttachmentSummary]
    credit_score: int | None  # None: no company concerned (or none known)
    credit_deductions: list[CreditDeduction]
    permissions: TaskPermissions
    signing: SigningProgress | None = None

    @property
    def summary(self) -> TaskSummary:
        return TaskSummary(self.task, self.sla, self.assignee, self.signing)
