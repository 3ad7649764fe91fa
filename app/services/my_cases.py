"""My cases (办件列表) for an applicant: what waits for them first, each case with its flags: a step
past its time limit (overdue) and the whole case past its statutory limit (overrun)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus, HumanTask, TaskState, User

from . import case_overrun, cases, processes


@dataclass(frozen=True)
class MyCase:
    """One row of My cases."""

    case: Case
    version: processes.VersionSnapshot
    waiting: bool  # waits for the applicant (a correction, a supplement)
    overdue: bool  # an open step is past its own time limit
    overrun: bool  # the case is past its statutory limit


def _overdue_ids(session: Session, case_ids: list[int], now: datetime) -> set[int]:
    if not case_ids:
        return set()
    rows = session.scalars(
        select(HumanTask.case_id).where(
            HumanTask.case_id.in_(case_ids), HumanTask.state == TaskState.OPEN, HumanTask.due_at < now
        )
    )
    return set(rows)


def my_cases(session: Session, applicant: User, now: datetime) -> list[MyCase]:
    """The applicant's cases: those waiting for them first, then those past a limit, then the
    rest; newest first within each (no workflow is loaded)."""
    mine = cases.applicant_cases(session, applicant)
    ids = [c.id for c in mine]
    late = case_overrun.overrun_ids(session, ids, now)
    overdue = _overdue_ids(session, ids, now)
    rows = [
        MyCase(
            case=c,
            version=processes.version_by_id(session, c.process_version_id),
            waiting=c.status == CaseStatus.WAITING_FOR_APPLICANT,
            overdue=c.id in overdue,
            overrun=c.id in late,
        )
        for c in mine
    ]
    # sorted() is stable: the newest-first order stays within each band.
    return sorted(rows, key=lambda r: (not r.waiting, not (r.overrun or r.overdue)))
