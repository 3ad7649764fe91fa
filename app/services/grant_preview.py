"""The confirmation step of a grant: before a decision that grants a certificate is submitted,
the deciding officer sees the certificate it will issue (holder, project, issuer, validity) and
confirms. A grant is a submission that fills the validity field a certificate type of the case's
process declares (`certificate_valid_until`) with a decision that does not refuse; the form and
the validity are checked first, with the same rules the step path applies again on completion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.models import User

from . import certificates, gateway, platform, process_traits, processes, tasks
from .forms import validate_form
from .steps.procedures import REFUSING_OUTCOMES


@dataclass(frozen=True)
class GrantPreview:
    title: str
    title_en: str
    holder_name: str
    holder_credit_code: str | None
    project_name: str
    project_code: str | None
    floor_area: Any
    investment: Any
    issuer: str
    issued_on: date
    valid_until: date


def grant_preview(session: Session, user: User, task_id: int, data: dict[str, Any]) -> GrantPreview | None:
    """The certificate the submission ``data`` of task ``task_id`` would lead to, or None when it
    grants nothing (or ``user`` may not complete the task now: completing answers why). Raises
    InvalidData (the field named) when the form or the validity is wrong."""
    detail = tasks.task_detail(session, user, task_id)
    if not detail.permissions.complete:
        return None  # completing it is refused, with the step path's reason
    case, task = detail.case, detail.task
    if gateway.outcome_of(data) in REFUSING_OUTCOMES:
        return None
    declared = process_traits.of_case(session, case).certificates.values()
    kind = next((k for k in declared if _field(k) and data.get(_field(k))), None)
    if kind is None:
        return None
    version = processes.version_by_id(session, case.process_version_id)
    validate_form(processes.form_schema(version, task.form_key), data)
    certificates.check_validity(session, case, data)
    today = platform.calendar(session).local_date(clock.now())
    case_data = case.data or {}
    raw = case_data.get("builder")
    builder: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return GrantPreview(
        title=kind.title,
        title_en=kind.title_en,
        holder_name=str(builder.get("name") or ""),
        holder_credit_code=builder.get("credit_code"),
        project_name=str(case_data.get("project_name") or case.project_name or ""),
        project_code=case_data.get("project_code"),
        floor_area=case_data.get("floor_area"),
        investment=case_data.get("total_investment"),
        issuer=kind.issuer or certificates.DEFAULT_ISSUER,
        issued_on=today,
        valid_until=date.fromisoformat(str(data[_field(kind)])),
    )


def _field(kind: process_traits.CertificateType) -> str:
    return (kind.valid_until or "").rsplit(".", 1)[-1]
