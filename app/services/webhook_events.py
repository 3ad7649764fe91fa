"""The events a step sends out by webhook, and their bodies.

Event types (stable names; receivers switch on `X-PermitFlow-Event` or the body's `event`):

| event | when |
|---|---|
| `case.started` | a case was submitted (any process) |
| `task.completed` | a human task of a case was completed |
| `case.decided` | the case was just approved or refused (`decision`: `approved` / `rejected`) |
| `certificate.issued` | an electronic certificate (电子证照) was issued for the case |
| `case.closed` | the case ended (approved, rejected, closed or withdrawn) |

Every body: `{id, event, occurred_at, case: {number, process, status, stage, project_name,
project_code, submitted_at, url}}` plus `task`, `decision` or `certificate`. The outbox rows are
written in the transaction of the step that caused them (services/webhooks.py ``queue``), so an
event goes out exactly when its step commits, and sending never blocks or fails the step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Case, CaseStatus, Certificate

from . import platform, process_traits
from .certificate_signing import verify_url

CASE_STARTED = "case.started"
TASK_COMPLETED = "task.completed"
CASE_DECIDED = "case.decided"
CERTIFICATE_ISSUED = "certificate.issued"
CASE_CLOSED = "case.closed"
EVENTS = (CASE_STARTED, TASK_COMPLETED, CASE_DECIDED, CERTIFICATE_ISSUED, CASE_CLOSED)

DECIDED = {CaseStatus.APPROVED: "approved", CaseStatus.REJECTED: "rejected"}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def case_part(base_url: str, case: Case) -> dict[str, Any]:
    """What every event says of its case (no form data: personal values never leave by webhook)."""
    return {
        "number": case.number,
        "process": case.process_key,
        "status": case.status.value,
        "stage": case.stage,
        "project_name": case.project_name,
        "project_code": case.project_code,
        "submitted_at": iso(case.submitted_at),
        "url": f"{base_url}/track/{case.number}",
    }


def task_part(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": detail.get("task_id"),
        "bpmn_id": detail.get("task"),
        "name": detail.get("name"),
        "outcome": detail.get("outcome"),
    }


def certificate_part(session: Any, case: Case, cert: Certificate) -> dict[str, Any]:
    """What a provincial 电子证照 library needs: number, type, holder with credit code, project,
    issuer, validity and where the PDF and the public verification are."""
    settings = platform.of(session).settings
    base = settings.base_url.rstrip("/")
    declared = process_traits.certificate_type(session, case, cert.kind)
    issued_on = platform.of(session).base_calendar.local_date(cert.issued_at)
    return {
        "number": cert.number,
        "kind": cert.kind,
        "title": declared.title,
        "title_en": declared.title_en,
        "holder": {"name": cert.holder_name, "credit_code": cert.holder_credit_code},
        "project": {"name": cert.project_name, "code": cert.project_code, "location": cert.location},
        "issuer": cert.issuer,
        "issued_at": iso(cert.issued_at),
        "valid_from": issued_on.isoformat(),
        "valid_until": cert.valid_until.isoformat(),
        "pdf_url": f"{base}/api/v1/cases/{case.number}/documents/{cert.number}.pdf",
        "verify_url": verify_url(settings, cert.number),
    }
