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
