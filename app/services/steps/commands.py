"""The commands of the step path: each change of a case that a caller may ask for, as data.

A command names the case (or the task) it changes, who acts, and what they submit. Checks that
depend on the case as it is under its lock (may this user complete this task?) travel with the
command as ``check``: the step path runs them after taking the lock, before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.models import Case, HumanTask, ProcessVersion, User

from ..processes import VersionSnapshot

# A permission check run under the case's lock with the task as it is then; raises to refuse.
TaskCheck = Callable[[Session, HumanTask], None]
# The same for a command on a case: the case and its open tasks as they are under the lock.
CaseCheck = Callable[[Session, Case, list[HumanTask]], None]


def no_check(_session: Session, _task: HumanTask) -> None:
    """For callers that decided before (the system, or a caller that established the right)."""
    return None


def no_case_check(_session: Session, _case: Case, _open: list[HumanTask]) -> None:
    return None


@dataclass(frozen=True)
class StartCase:
    """Create a case of ``version`` with the start form's ``data`` and run it to its first wait.
    ``start_data`` is what the platform adds for process code (e.g. the verified applicant)."""

    version: ProcessVersion | VersionSnapshot
    data: Mapping[str, Any]
    actor: User | None
    applicant_id: int | None
    start_data: Mapping[str, Any] = field(default_factory=dict)
    # A message start event catches this message (``data`` is its payload): POST /messages.
    message: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # added to the audit event


@dataclass(frozen=True)
class DeliverMessage:
    """Deliver message ``name`` to the case waiting for it at ``spiff_task_id`` (checked again under
    the case's lock: a message that lost a race to another finds it gone, 409)."""

    case_id: int
    name: str
    spiff_task_id: str
    payload: Mapping[str, Any]
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompleteTask:
    """Complete the open task ``task_id`` with the form ``data``."""

    task_id: int
    data: Any
    actor: User | None
    check: TaskCheck = no_check
    detail: Mapping[str, Any] = field(default_factory=dict)  # added to the audit event


@dataclass(frozen=True)
class FireTimers:
    """Fire every due timer of a case: BPMN timers in the engine, SLA and escalation timers."""

    case_id: int


@dataclass(frozen=True)
class MigrateCase:
    """Move a running case from one version of its process to another."""

    case_id: int
    from_version: ProcessVersion
    to_version: ProcessVersion
    actor: User | None


@dataclass(frozen=True)
class ClaimTask:
    task_id: int
    actor: User
    check: TaskCheck = no_check


@dataclass(frozen=True)
class ReleaseTask:
    task_id: int
    actor: User
    check: TaskCheck = no_check
    # Supervisors release a task claimed by someone else.
    may_release_others: Callable[[HumanTask], bool] = lambda _task: False


@dataclass(frozen=True)
class ReassignTask:
    """Give an open task to a member of its group (``to_user``) or move it to ``to_group``."""

    task_id: int
    actor: User
    to_user: str | None = None
    to_group: str | None = None
    check: TaskCheck = no_check
    reason: str | None = None  # recorded in the audit event when given (bulk reassignment)


@dataclass(frozen=True)
class ReturnTask:
    """退回: send the case from the open task ``task_id`` back to an earlier step it declares
    returnable (BPMN property `returnable_to`), with a reason."""

    task_id: int
    actor: User
    to: str
    reason: str
    check: TaskCheck = no_check


@dataclass(frozen=True)
class RecallTask:
    """撤回 by a reviewer: take back their own completion of ``task_id`` while nothing that
    followed it has been claimed or completed."""

    task_id: int
    actor: User
    check: TaskCheck = no_check


@dataclass(frozen=True)
class ConsultTask:
    """加签: the assignee of ``task_id`` asks colleagues (``users``) or groups for an opinion, each
    answered in an opinion task with ``time_limit`` (default: the configured one)."""

    task_id: int
    actor: User
    question: str
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    time_limit: str | None = None
    check: TaskCheck = no_check


@dataclass(frozen=True)
class WithdrawConsultation:
    """Withdraw the unanswered opinions asked from ``task_id`` (its assignee may then decide)."""

    task_id: int
    actor: User
    check: TaskCheck = no_check


@dataclass(frozen=True)
class SuspendCase:
    """挂起: stop the case's statutory clock for an excluded period (a configured reason code)."""

    case_id: int
    actor: User
    reason_code: str
    note: str = ""
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class ResumeCase:
    """恢复: run the suspended clock again."""

    case_id: int
    actor: User
    note: str = ""
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class WithdrawCase:
    """撤回: the applicant withdraws a case not yet decided."""

    case_id: int
    actor: User
    reason: str
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class RequestExtension:
    """延期: ask the supervisor for more working days for the case (once per case)."""

    case_id: int
    actor: User
    working_days: int
    reason: str
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class UrgeCase:
    """催办: the applicant nudges a task past its warning time (once per working day)."""

    case_id: int
    actor: User
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class OrderSupervision:
    """督办: a supervisor or leader orders the current assignee to answer by ``due``."""

    case_id: int
    actor: User
    text: str
    due: date | None = None
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class RateService:
    """好差评: the applicant rates a finished case once (5 非常满意 … 1 非常不满意)."""

    case_id: int
    actor: User
    level: int
    comment: str = ""
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class ReplaceQueryCode:
    """A complainant who lost the query code gets a new one sent to the phone or e-mail address
    given at filing (``channel``: ``sms`` or ``email``); the old code stops working."""

    case_id: int
    channel: str
    check: CaseCheck = no_case_check


@dataclass(frozen=True)
class WithholdDisclosure:
    """信息公开: keep a finished case off the public disclosure, with the reason."""

    case_id: int
    actor: User
    reason: str
    check: CaseCheck = no_case_check


CaseCommand = (
    SuspendCase
    | ResumeCase
    | WithdrawCase
    | RequestExtension
    | UrgeCase
    | OrderSupervision
    | RateService
    | ReplaceQueryCode
    | WithholdDisclosure
)
TaskCommand = (
    CompleteTask
    | ClaimTask
    | ReleaseTask
    | ReassignTask
    | ReturnTask
    | RecallTask
    | ConsultTask
    | WithdrawConsultation
)
Command = StartCase | FireTimers | MigrateCase | DeliverMessage | TaskCommand | CaseCommand


@dataclass(frozen=True)
class StepOutcome:
    """What a command did: the case, the task it acted on, and per-command facts."""

    case: Case
    task: HumanTask | None = None
    fired: int = 0  # FireTimers: how many timers went off
    refused: str | None = None  # MigrateCase: why the case could not move (nothing changed)
    skipped: bool = False  # MigrateCase: the case was no longer on the old version or running
    # StartCase, ReplaceQueryCode: shown (or sent) to the applicant once, stored only hashed
    query_code: str | None = None
    opened: tuple[HumanTask, ...] = ()  # ConsultTask: the opinion tasks it opened
