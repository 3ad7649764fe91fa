"""What process code may read of a project (统一项目代码) from its other cases: its name and the
parties named in their data (the builder, the contractor), newest case first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case

PARTIES = ("builder", "contractor")


def project_data(session: Session, project_code: str) -> dict[str, Any]:
    """``{"project_name", "builder", "contractor", "district"}`` as the project's newest cases name
    them (each key from the newest case that has it); empty for an unknown project."""
    found: dict[str, Any] = {}
    if not project_code:
        return found
    rows = session.scalars(
        select(Case).where(Case.project_code == project_code[:64]).order_by(Case.id.desc()).limit(20)
    )
    for case in rows:
        data = case.data or {}
        if case.project_name:
            found.setdefault("project_name", case.project_name)
        for key in (*PARTIES, "district"):
            if data.get(key):
                found.setdefault(key, data[key])
    return found
