"""Tasks an outside party performs on a case it did not file: a contractor's rectification, whose
task names the contractor's credit code (`performer_credit_code`) instead of an applicant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, HumanTask, TaskState, User

from . import gateway

SCAN_LIMIT = 2000  # open applicant-lane tasks read per look-up (the lane is small: applicants' turns)


def open_tasks_for(session: Session, user: User) -> list[tuple[HumanTask, Case]]:
    """The open tasks waiting for ``user``'s organisation as performer, oldest due first."""
    if user.is_staff or not user.credit_code:
        return []
    rows = session.execute(
        select(HumanTask, Case)
        .join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.state == TaskState.OPEN, HumanTask.candidate_group == gateway.APPLICANT_GROUP)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(SCAN_LIMIT)
    ).tuples()
    return [
        (task, case)
        for task, case in rows
        if (task.context or {}).get("performer_credit_code") == user.credit_code
    ]


def performs_on(session: Session, case: Case, user: User | None) -> bool:
    """Whether ``user``'s company is named to perform a task of ``case``, open or done (the
    contractor a rectification order is addressed to): it may follow the case's status."""
    if user is None or user.is_staff or not user.is_active or not user.credit_code:
        return False
    contexts = session.scalars(
        select(HumanTask.context).where(
            HumanTask.case_id == case.id, HumanTask.candidate_group == gateway.APPLICANT_GROUP
        )
    )
    return any((context or {}).get("performer_credit_code") == user.credit_code for context in contexts)
