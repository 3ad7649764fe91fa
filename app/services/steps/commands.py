"""The commands of the step path: each change of a case that a caller may ask for, as data.

A command names the case (or the task) it changes, who acts, and what they submit. Checks that
depend on the case as it is under its lock (may this user complete this task?) travel with the
command as ``check``: the step path runs them after taking the lock, before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.models import Case, HumanTask, ProcessVersion, User

# A permission check run under the case's lock with the task as it is then; raises to refuse.
TaskCheck = Callable[[Session, HumanTask], None]


def no_check(_session: Session, _task: HumanTask) -> None:
    """For callers that decided before (the system, or a caller that established the right)."""
    return None


@dataclass(frozen=True)
class StartCase:
    """Create a case of ``version`` with the start form's ``data`` and run it to its first wait.
    ``start_data`` is what the platform adds for process code (e.g. the verified applicant)."""

    version: ProcessVersion
    data: Mapping[str, Any]
    actor: User | None
    applicant_id: int | None
    start_data: Mapping[str, Any] = field(default_factory=dict)


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


Command = StartCase | CompleteTask | FireTimers | MigrateCase | ClaimTask | ReleaseTask | ReassignTask


@dataclass(frozen=True)
class StepOutcome:
    """What a command did: the case, the task it acted on, and per-command facts."""

    case: Case
    task: HumanTask | None = None
    fired: int = 0  # FireTimers: how many timers went off
    refused: str | None = None  # MigrateCase: why the case could not move (nothing changed)
    skipped: bool = False  # MigrateCase: the case was no longer on the old version or running
    query_code: str | None = None  # StartCase: shown to the applicant once, stored only hashed
