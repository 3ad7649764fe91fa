"""The named after-step effects: what follows every saved step of a case, in this order.

Each effect reads the step (:class:`AfterStep`) and writes only its own records; adding one (the
search index) is adding a function to :data:`EFFECTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import StepResult
from app.models import Case, CaseStatus, Certificate, User

from .. import audit, certificates, credit, notifications, search_index, webhook_events, webhooks
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


def _certificate_kind(step: AfterStep) -> str | None:
    """The certificate type this step issues: the end event's property `certificate`, on approval."""
    kind = step.result.end_properties.get("certificate")
    if kind and step.case.status == CaseStatus.APPROVED and not step.mirrored.was_approved:
        return str(kind)
    return None


def issue_certificate(session: Session, step: AfterStep) -> None:
    """The end event asks for a certificate (property `certificate`): issued once, on approval."""
    kind = _certificate_kind(step)
    if kind:
        issuer = step.result.end_properties.get("certificate_issuer")
        certificates.issue(session, step.case, kind, issuer=issuer, actor=step.actor)


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


def queue_webhooks(session: Session, step: AfterStep) -> None:
    """The step's outbound events (services/webhook_events.py) into the webhook outbox, in this
    transaction; they are sent by jobs once it commits and never hold or fail the step."""
    case = step.case
    events: list[tuple[str, dict[str, Any]]] = []
    if step.action == "case.submitted":
        events.append((webhook_events.CASE_STARTED, {}))
    elif step.action == "task.completed":
        events.append((webhook_events.TASK_COMPLETED, {"task": webhook_events.task_part(dict(step.detail))}))
    if case.status.is_final and not step.mirrored.was_final:
        if case.status in webhook_events.DECIDED:
            events.append((webhook_events.CASE_DECIDED, {"decision": webhook_events.DECIDED[case.status]}))
        cert = (
            session.scalar(select(Certificate).where(Certificate.case_id == case.id))
            if _certificate_kind(step)
            else None
        )
        if cert is not None:
            part = webhook_events.certificate_part(session, case, cert)
            events.append((webhook_events.CERTIFICATE_ISSUED, {"certificate": part}))
        events.append((webhook_events.CASE_CLOSED, {}))
    webhooks.queue(session, case, events)


def notify_groups(session: Session, step: AfterStep) -> None:
    """Events of the step with the property `notify_group`: that group's members are told."""
    for notice in step.result.notices:
        notifications.notify(
            session,
            notifications.group_members(session, notice["group"]),
            "case.notice",
            title=f"{notice['title']}：{step.case.number}",
            title_en=f"{notice['title_en']}: {step.case.number}",
            body=step.case.project_name or "",
            body_en=step.case.project_name or "",
            case=step.case,
            link=f"/projects/{step.case.project_code}" if step.case.project_code else None,
        )


def route_messages(session: Session, step: AfterStep) -> None:
    """Messages the step threw out of its case reach the cases that catch them (same step path)."""
    if step.result.messages_thrown:
        from .messages import route_thrown  # the message step runs these effects too

        route_thrown(session, step)


def index_for_search(session: Session, step: AfterStep) -> None:
    """The case is found by what it holds after this step, in the step's transaction."""
    search_index.index_case(session, step.case)


EFFECTS: tuple[Callable[[Session, AfterStep], None], ...] = (
    schedule_wakeup,
    record_audit,
    deduct_credit,
    issue_certificate,
    notify_decision,
    queue_webhooks,
    notify_groups,
    route_messages,
    index_for_search,
)


def run_effects(session: Session, step: AfterStep) -> None:
    for effect in EFFECTS:
        effect(session, step)
