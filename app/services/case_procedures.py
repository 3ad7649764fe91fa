"""The administrative procedures on a case as use cases: who may ask for each, and the command
that the step path then carries out (under the case's lock, where the rule is checked again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden
from app.models import Case, Group, HumanTask, User

from . import steps, tasks
from .cases import find_case
from .gateway import APPLICANT_GROUP
from .tasks import group_slugs


def _staff_groups_on(open_tasks: list[HumanTask]) -> set[str]:
    return {
        t.candidate_group for t in open_tasks if t.candidate_group and t.candidate_group != APPLICANT_GROUP
    }


def works_on_case(user: User, open_tasks: list[HumanTask]) -> bool:
    """Staff with an open task on the case (a member of its group, its assignee), a supervisor of
    such a group, or an admin."""
    if not user.is_staff or not user.is_active:
        return False
    if user.has_role("admin") or any(t.assignee_id == user.id for t in open_tasks):
        return True
    return bool(_staff_groups_on(open_tasks) & set(group_slugs(user)))


def is_leader(session: Session, user: User) -> bool:
    """A member of a group that escalations rise to (the bureau)."""
    tops = set(session.scalars(select(Group.escalates_to).where(Group.escalates_to.is_not(None))))
    return user.is_staff and bool(tops & set(group_slugs(user)))


def _check_works_on_case(user: User, what: str) -> steps.CaseCheck:
    def check(_session: Session, _case: Case, open_tasks: list[HumanTask]) -> None:
        if not works_on_case(user, open_tasks):
            raise Forbidden(f"only staff with a task on the case may {what}")

    return check


def _check_applicant(user: User | None, what: str) -> steps.CaseCheck:
    def check(_session: Session, case: Case, _open: list[HumanTask]) -> None:
        if user is None or case.applicant_id is None or case.applicant_id != user.id:
            raise Forbidden(f"only the applicant of the case may {what}")

    return check


def _check_supervisor_or_leader(user: User) -> steps.CaseCheck:
    def check(session: Session, _case: Case, open_tasks: list[HumanTask]) -> None:
        supervised = set(group_slugs(user, supervised=True))
        if user.has_role("admin") or supervised & _staff_groups_on(open_tasks) or is_leader(session, user):
            return
        raise Forbidden("only a supervisor of a group working on the case, or a leader, may issue 督办")

    return check


def _run(session: Session, number: str, build: Callable[[int], steps.Command]) -> steps.StepOutcome:
    case = find_case(session, number.upper()[:40])
    return steps.advance(session, build(case.id))


def suspend_case(session: Session, user: User, number: str, reason_code: str, note: str = "") -> Case:
    check = _check_works_on_case(user, "suspend it")
    return _run(session, number, lambda cid: steps.SuspendCase(cid, user, reason_code, note, check)).case


def resume_case(session: Session, user: User, number: str, note: str = "") -> Case:
    check = _check_works_on_case(user, "resume it")
    return _run(session, number, lambda cid: steps.ResumeCase(cid, user, note, check)).case


def withdraw_case(session: Session, user: User, number: str, reason: str) -> Case:
    check = _check_applicant(user, "withdraw it")
    return _run(session, number, lambda cid: steps.WithdrawCase(cid, user, reason, check)).case


def request_extension(
    session: Session, user: User, number: str, working_days: int, reason: str
) -> steps.StepOutcome:
    check = _check_works_on_case(user, "ask for an extension")
    return _run(session, number, lambda cid: steps.RequestExtension(cid, user, working_days, reason, check))


def urge_case(session: Session, user: User, number: str) -> Case:
    check = _check_applicant(user, "urge it (催办)")
    return _run(session, number, lambda cid: steps.UrgeCase(cid, user, check)).case


def order_supervision(
    session: Session, user: User, number: str, text: str, due: date | None
) -> steps.StepOutcome:
    check = _check_supervisor_or_leader(user)
    return _run(session, number, lambda cid: steps.OrderSupervision(cid, user, text, due, check))


def rate_case(session: Session, user: User, number: str, level: int, comment: str = "") -> steps.StepOutcome:
    check = _check_applicant(user, "rate it")
    return _run(session, number, lambda cid: steps.RateService(cid, user, level, comment, check))


def return_task(session: Session, user: User, task_id: int, to: str, reason: str) -> steps.StepOutcome:
    """退回 from the open task ``task_id`` (its assignee, or a candidate when unclaimed)."""
    check = tasks.may_complete_check(user)
    return steps.advance(session, steps.ReturnTask(task_id, user, to, reason, check))


def recall_task(session: Session, user: User, task_id: int) -> steps.StepOutcome:
    """Take back one's own completion while what followed is untouched."""
    return steps.advance(session, steps.RecallTask(task_id, user))


def consult(
    session: Session,
    user: User,
    task_id: int,
    question: str,
    *,
    users: list[str] | tuple[str, ...] = (),
    groups: list[str] | tuple[str, ...] = (),
    time_limit: str | None = None,
) -> steps.StepOutcome:
    """加签 from the open task ``task_id`` (its assignee, or a candidate when unclaimed)."""
    command = steps.ConsultTask(
        task_id,
        user,
        question,
        tuple(str(u) for u in users),
        tuple(str(g) for g in groups),
        time_limit,
        tasks.may_complete_check(user),
    )
    return steps.advance(session, command)


def withdraw_consultation(session: Session, user: User, task_id: int) -> steps.StepOutcome:
    """Withdraw the unanswered opinions asked from ``task_id``."""
    return steps.advance(session, steps.WithdrawConsultation(task_id, user, tasks.may_complete_check(user)))


def consultations_of(session: Session, task: HumanTask) -> list[HumanTask]:
    """Every opinion task asked from ``task`` (open, answered, withdrawn), oldest first."""
    rows = session.scalars(
        select(HumanTask)
        .where(HumanTask.case_id == task.case_id, HumanTask.procedure == "consultation")
        .order_by(HumanTask.id)
    )
    return [t for t in rows if (t.context or {}).get("asking_task_id") == task.id]
