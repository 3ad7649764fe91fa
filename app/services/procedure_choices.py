"""Which administrative procedures a viewer may start on a case or a task, decided once here so
that the pages show a button exactly when the step path would accept the request (the step path
checks the same rules again under the case's lock; a race there is a refusal, not a surprise)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, HumanTask, ServiceRating, TaskState, User

from . import platform
from .case_clock import open_suspension
from .case_procedures import works_on_case
from .gateway import APPLICANT_GROUP
from .steps.core import RUNNING
from .steps.procedures import RATED_STATUSES


@dataclass(frozen=True)
class ApplicantChoices:
    """What the applicant of a case may do on its status page."""

    withdraw: bool = False  # 撤回: not decided yet
    rate: bool = False  # 好差评: finished and not rated yet
    urge: bool = False  # 催办: a staff step is past its warning time


@dataclass(frozen=True)
class ReturnTarget:
    bpmn_id: str
    name: str
    name_en: str


@dataclass(frozen=True)
class TaskChoices:
    """What the viewer of a task page may do on it and its case, besides completing it."""

    return_to: list[ReturnTarget] = field(default_factory=list)  # 退回
    recall: bool = False  # 撤回 of one's own completion
    suspend: bool = False  # 挂起
    resume: bool = False  # 恢复
    extension: bool = False  # 延期 (once per case)
    suspension_reasons: list[str] = field(default_factory=list)
    extension_max_days: int = 0

    @property
    def any(self) -> bool:
        return bool(self.return_to or self.recall or self.suspend or self.resume or self.extension)


def _open_tasks(session: Session, case: Case) -> list[HumanTask]:
    return list(
        session.scalars(
            select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
        )
    )


def applicant_choices(
    session: Session, case: Case, user: User | None, *, rating_allowed: bool
) -> ApplicantChoices:
    """The status page's procedures for ``user``; nothing unless they are the case's applicant.
    ``rating_allowed`` is False for complaint-style processes, which keep their own rating."""
    if user is None or case.applicant_id is None or case.applicant_id != user.id:
        return ApplicantChoices()
    running = case.status in RUNNING
    rated = session.scalar(select(ServiceRating.id).where(ServiceRating.case_id == case.id)) is not None
    now = clock.now()
    late = running and any(
        t.candidate_group != APPLICANT_GROUP and t.warn_at is not None and t.warn_at <= now
        for t in _open_tasks(session, case)
    )
    return ApplicantChoices(
        withdraw=running,
        rate=rating_allowed and case.status in RATED_STATUSES and not rated,
        urge=late,
    )


def _return_targets(session: Session, task: HumanTask) -> list[ReturnTarget]:
    declared = [str(x) for x in (task.context or {}).get("returnable_to") or []]
    targets = []
    for bpmn_id in declared:
        done = session.scalar(
            select(HumanTask)
            .where(
                HumanTask.case_id == task.case_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == TaskState.COMPLETED,
            )
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
            .limit(1)
        )
        if done is not None:
            targets.append(ReturnTarget(bpmn_id, done.name, done.name_en or done.name))
    return targets


def task_choices(
    session: Session, user: User, task: HumanTask, case: Case, *, may_complete: bool
) -> TaskChoices:
    """The task page's procedures for ``user`` (``may_complete``: task_access's answer)."""
    if case.status not in RUNNING:
        return TaskChoices()
    open_tasks = _open_tasks(session, case)
    is_open = task.state == TaskState.OPEN
    staff = works_on_case(user, open_tasks)
    suspended = open_suspension(case) is not None
    settings = platform.of(session).settings
    asked = session.scalar(
        select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.procedure == "extension_approval")
    )
    return TaskChoices(
        return_to=_return_targets(session, task)
        if is_open and may_complete and task.procedure is None
        else [],
        recall=task.state == TaskState.COMPLETED
        and task.completed_by_id == user.id
        and task.procedure is None,
        suspend=staff and not suspended,
        resume=staff and suspended,
        extension=staff and asked is None and not case.extension_days,
        suspension_reasons=[c.strip() for c in settings.suspension_reasons.split(",") if c.strip()],
        extension_max_days=settings.extension_max_working_days,
    )
