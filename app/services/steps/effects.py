"""The named after-step effects: what follows every saved step of a case, in this order.

Each effect reads the step (:class:`AfterStep`) and writes only its own records; adding one (the
search index, outbound events) is adding a function to :data:`EFFECTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.engine import StepResult
from app.models import Case, CaseStatus, User

from .. import audit, certificates, credit, notifications, search_index
from ..gateway import Mirrored
from .core import wake_at


@dataclass(frozen=True)
class AfterStep:
    """A step just mirrored in rows: the case, the engine's result, who acted and why."""

    case: Case
    result: StepResult
    mirrored: Mirrored
    actor: User | None
    action: str
    detail: Mapping[str, Any]


def schedule_wakeup(session: Session, step: AfterStep) -> None:
    """After the commit, wake the case at its earliest unfired timer (one job per case)."""
    wake_at(session, step.case.id, step.mirrored.next_due())


def record_audit(session: Session, step: AfterStep) -> None:
    error = step.result.error
    audit.record(
        session,
        step.action,
        actor=step.actor,
        case=step.case,
        detail={
            **step.detail,
            "status": step.case.status.value,
            **({"error": error.as_dict()} if error else {}),
        },
    )


def deduct_credit(session: Session, step: AfterStep) -> None:
    """An event with the property `credit_deduction` completed: the company loses points."""
    for deduction in step.result.credit_deductions:
        credit.deduct(
            session,
            deduction["credit_code"],
            deduction["points"],
            deduction["reason"],
            case=step.case,
            source=deduction["bpmn_id"],
        )


def issue_certificate(session: Session, step: AfterStep) -> None:
    """The end event asks for a certificate (property `certificate`): issued once, on approval."""
    properties = step.result.end_properties
    kind = properties.get("certificate")
    if kind and step.case.status == CaseStatus.APPROVED and not step.mirrored.was_approved:
        certificates.issue(
            session, step.case, kind, issuer=properties.get("certificate_issuer"), actor=step.actor
        )


DECISIONS = {
    CaseStatus.APPROVED: ("已批准", "approved"),
    CaseStatus.REJECTED: ("未获批准", "not approved"),
}


def notify_decision(session: Session, step: AfterStep) -> None:
    """The case was just decided (approved or refused): its applicant is told, in the app and, when
    they opted in, by SMS (`case.decided`), with a link to the status page."""
    case = step.case
    words = DECISIONS.get(case.status)
    if words is None or step.mirrored.was_final or case.applicant_id is None:
        return
    applicant = session.get(User, case.applicant_id)
    if applicant is None:
        return
    notifications.notify(
        session,
        [applicant],
        "case.decided",
        title=f"办件已办结：{case.number} {words[0]}",
        title_en=f"Case decided: {case.number} {words[1]}",
        body=case.project_name or "",
        body_en=case.project_name or "",
        case=case,
        link=f"/track/{case.number}",
    )


def index_for_search(session: Session, step: AfterStep) -> None:
    """The case is found by what it holds after this step, in the step's transaction."""
    search_index.index_case(session, step.case)


EFFECTS: tuple[Callable[[Session, AfterStep], None], ...] = (
    schedule_wakeup,
    record_audit,
    deduct_credit,
    issue_certificate,
    notify_decision,
    index_for_search,
)


def run_effects(session: Session, step: AfterStep) -> None:
    for effect in EFFECTS:
        effect(session, step)
