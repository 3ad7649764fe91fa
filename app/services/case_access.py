"""Who may see a case, its data and its files, decided in one place for the API and the pages.

Reading is for insiders (the applicant, staff); adding files is for those who may change the case:
its applicant, staff of a group with an open task on it (or its assignee) and admins. Auditors and
analysts, like other staff, read only (issue 15, finding 8)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from app.models import Case, Group, HumanTask, Membership, TaskState, User


@dataclass(frozen=True)
class CaseAccess:
    """What one viewer may do with one case."""

    applicant: bool  # the case's own applicant (logged in): answers its requests
    staff: bool
    view: bool  # sees the case's status (the public view)
    data: bool  # sees what was filed (staff and the applicant; a query code shows the status only)
    download: bool  # downloads its documents
    upload: bool  # adds documents (while the case is not closed)


def works_on_case(session: Session, case: Case, viewer: User | None) -> bool:
    """Whether ``viewer`` is staff with an open task on ``case``: its assignee or a member of its
    candidate group."""
    if viewer is None or not viewer.is_staff or case.id is None:
        return False
    groups = select(Group.slug).join(Membership, Membership.group_id == Group.id)
    groups = groups.where(Membership.user_id == viewer.id)
    found = session.scalar(
        select(HumanTask.id)
        .where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
        .where(or_(HumanTask.assignee_id == viewer.id, HumanTask.candidate_group.in_(groups)))
        .limit(1)
    )
    return found is not None


def access_to_case(
    session: Session, case: Case, viewer: User | None, *, code_proved: bool = False
) -> CaseAccess:
    """:func:`case_access` with what only the database knows (whether the viewer works on the case):
    what the API and the pages ask before they offer or accept an upload."""
    works_on = works_on_case(session, case, viewer)
    return case_access(case, viewer, code_proved=code_proved, works_on=works_on)


def case_access(
    case: Case,
    viewer: User | None,
    *,
    code_proved: bool = False,
    performer: bool = False,
    works_on: bool = False,
) -> CaseAccess:
    """What ``viewer`` (None: anonymous) may do with ``case``; ``code_proved``: the viewer gave the
    case's query code (which shows its status, never its data or files); ``performer``: the viewer's
    company is named to perform a task of the case (the contractor of a rectification order,
    `performer_tasks.performs_on`), which shows its status like a query code does; ``works_on``: the
    viewer has an open task on it (:func:`works_on_case`), without which staff other than admins
    read only."""
    applicant = viewer is not None and case.applicant_id is not None and case.applicant_id == viewer.id
    staff = viewer is not None and viewer.is_staff
    insider = applicant or staff
    return CaseAccess(
        applicant=applicant,
        staff=staff,
        view=insider or code_proved or performer,
        data=insider,
        download=insider,
        upload=(applicant or (staff and (works_on or _is_admin(viewer)))) and not case.status.is_final,
    )


def _is_admin(viewer: User | None) -> bool:
    return viewer is not None and viewer.has_role("admin")


def readable_cases(viewer: User | None) -> ColumnElement[bool]:
    """The cases whose data ``viewer`` may read (:attr:`CaseAccess.data` as a condition on
    ``case``), for lists that find cases by what they hold (the search): staff every case, an
    applicant its own, nobody else any. A query code or a performer's task shows a status, never
    the data, so it finds nothing here."""
    if viewer is None:
        return false()
    if viewer.is_staff:
        return true()
    return Case.applicant_id == viewer.id
