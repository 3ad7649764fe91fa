"""Tasks an outside party performs on a case it did not file: a contractor's rectification, whose
task names the contractor's credit code (`performer_credit_code`) instead of an applicant.

An account performs for a company only when its credit code is verified (`credit_code_verified`:
vouched for by the identity provider or confirmed by staff). A code typed at local registration is
a claim anyone can make: matching on it would hand a company's orders, reminders and case status to
whoever registered its code (security review, session 8, finding 1). Every performer match asks
:func:`performer_code` or :func:`performers`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, HumanTask, TaskState, User, UserKind

from . import gateway

SCAN_LIMIT = 2000  # open applicant-lane tasks read per look-up (the lane is small: applicants' turns)


def performer_code(user: User | None) -> str | None:
    """The credit code ``user`` performs a company's tasks under: an active applicant account's
    verified code; None for staff, disabled accounts, citizens and codes still awaiting verification."""
    if user is None or user.is_staff or not user.is_active or not user.credit_code:
        return None
    return user.credit_code if user.credit_code_verified else None


def awaits_verification(user: User | None) -> bool:
    """Whether ``user`` is a company account whose credit code is not verified yet (it sees no
    tasks addressed to its company until staff or the identity provider vouch for the code)."""
    return user is not None and not user.is_staff and bool(user.credit_code) and not user.credit_code_verified


def performers(session: Session, code: str) -> list[User]:
    """The accounts that perform for the company with credit ``code`` (its reminders go to them)."""
    stmt = select(User).where(
        User.credit_code == code,
        User.kind == UserKind.APPLICANT,
        User.is_active.is_(True),
        User.credit_code_verified.is_(True),
    )
    return list(session.scalars(stmt.order_by(User.id)))


def open_tasks_for(session: Session, user: User) -> list[tuple[HumanTask, Case]]:
    """The open tasks waiting for ``user``'s organisation as performer, oldest due first."""
    code = performer_code(user)
    if code is None:
        return []
    rows = session.execute(
        select(HumanTask, Case)
        .join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.state == TaskState.OPEN, HumanTask.candidate_group == gateway.APPLICANT_GROUP)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(SCAN_LIMIT)
    ).tuples()
    return [(task, case) for task, case in rows if (task.context or {}).get("performer_credit_code") == code]


def performs_on(session: Session, case: Case, user: User | None) -> bool:
    """Whether ``user``'s company is named to perform a task of ``case``, open or done (the
    contractor a rectification order is addressed to): it may follow the case's status."""
    code = performer_code(user)
    if code is None:
        return False
    contexts = session.scalars(
        select(HumanTask.context).where(
            HumanTask.case_id == case.id, HumanTask.candidate_group == gateway.APPLICANT_GROUP
        )
    )
    return any((context or {}).get("performer_credit_code") == code for context in contexts)
