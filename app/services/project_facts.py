"""What process code may read of a project (统一项目代码) from its other cases: its name, district
and the parties of its granted permit (the builder, the contractor).

The parties come only from the project's newest case that was granted and holds an issued,
unrevoked certificate: a company named there was checked by the bureau before the grant. A pending,
refused or withdrawn application names whatever its applicant typed, and a site alert orders the
contractor it is given to rectify (security review, session 8, finding 2). Which processes issue
certificates is their BPMN's business (an end event's `certificate` property), so no process is
named here: any case with a certificate row qualifies.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus, Certificate

PARTIES = ("builder", "contractor")
RECENT = 20  # the project's newest cases its name and district may come from


def _granted_case(session: Session, project_code: str) -> Case | None:
    """The project's newest granted case with a valid certificate (its permit), if any."""
    return session.scalar(
        select(Case)
        .join(Certificate, Certificate.case_id == Case.id)
        .where(
            Case.project_code == project_code,
            Case.status == CaseStatus.APPROVED,
            Certificate.revoked_at.is_(None),
        )
        .order_by(Certificate.issued_at.desc(), Case.id.desc())
        .limit(1)
    )


def project_data(session: Session, project_code: str) -> dict[str, Any]:
    """``{"project_name", "builder", "contractor", "district"}``: the parties as the project's
    granted permit names them (absent without one), its name and district from that permit, else
    from the newest case that has them; empty for an unknown project."""
    found: dict[str, Any] = {}
    if not project_code:
        return found
    code = project_code[:64]
    granted = _granted_case(session, code)
    if granted is not None:
        data = granted.data or {}
        found.update({key: data[key] for key in PARTIES if data.get(key)})
    stmt = select(Case).where(Case.project_code == code).order_by(Case.id.desc()).limit(RECENT)
    named = ([granted] if granted is not None else []) + list(session.scalars(stmt))
    for case in named:
        if case.project_name:
            found.setdefault("project_name", case.project_name)
        if (case.data or {}).get("district"):
            found.setdefault("district", case.data["district"])
    return found
