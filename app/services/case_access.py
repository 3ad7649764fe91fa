"""Who may see a case, its data and its files, decided in one place for the API and the pages."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Case, User


@dataclass(frozen=True)
class CaseAccess:
    """What one viewer may do with one case."""

    applicant: bool  # the case's own applicant (logged in): answers its requests
    staff: bool
    view: bool  # sees the case's status (the public view)
    data: bool  # sees what was filed (staff and the applicant; a query code shows the status only)
    download: bool  # downloads its documents
    upload: bool  # adds documents (while the case is not closed)


def case_access(
    case: Case, viewer: User | None, *, code_proved: bool = False, performer: bool = False
) -> CaseAccess:
    """What ``viewer`` (None: anonymous) may do with ``case``; ``code_proved``: the viewer gave the
    case's query code (which shows its status, never its data or files); ``performer``: the viewer's
    company is named to perform a task of the case (the contractor of a rectification order,
    `performer_tasks.performs_on`), which shows its status like a query code does."""
    applicant = viewer is not None and case.applicant_id is not None and case.applicant_id == viewer.id
    staff = viewer is not None and viewer.is_staff
    insider = applicant or staff
    return CaseAccess(
        applicant=applicant,
        staff=staff,
        view=insider or code_proved or performer,
        data=insider,
        download=insider,
        upload=insider and not case.status.is_final,
    )
