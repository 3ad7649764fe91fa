"""不予许可决定书 (Administrative Licensing Law, Art. 38): a refused case's decision with its reasons,
legal basis and the applicant's remedies, read from the steps that refused it (any process: the
steps whose outcome is ``reject``, with their `reasons` or `comment`, and `legal_basis`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus, Group, HumanTask, TaskState, User

from . import platform, process_traits
from .certificates import DEFAULT_ISSUER

RECONSIDERATION_DAYS = 60  # 行政复议法 Art. 20: within 60 days of learning of the decision
LITIGATION_MONTHS = 6  # 行政诉讼法 Art. 46: within 6 months


@dataclass(frozen=True)
class RefusalReason:
    group: str  # who refused (the group's name)
    group_en: str
    text: str


@dataclass(frozen=True)
class RefusalDecision:
    number: str  # the decision's own number, from the case number
    case_number: str
    decided_on: date  # local date of the decision
    applicant: str
    project: str
    reasons: list[RefusalReason]
    legal_basis: str
    issuer: str
    reconsideration_days: int = RECONSIDERATION_DAYS
    litigation_months: int = LITIGATION_MONTHS


def refusal_of(session: Session, case: Case) -> RefusalDecision | None:
    """The refusal decision of ``case``; None unless it was refused (complaints are not permits)."""
    if case.status != CaseStatus.REJECTED or case.completed_at is None:
        return None
    traits = process_traits.of_case(session, case)
    if traits.complaint:
        return None
    refusing = list(
        session.scalars(
            select(HumanTask)
            .where(
                HumanTask.case_id == case.id,
                HumanTask.state == TaskState.COMPLETED,
                HumanTask.outcome == "reject",
            )
            .order_by(HumanTask.completed_at, HumanTask.id)
        )
    )
    groups = {g.slug: g for g in session.scalars(select(Group))}
    reasons, bases = [], []
    for task in refusing:
        data = task.submitted or {}
        text = str(data.get("reasons") or data.get("comment") or "").strip()
        group = groups.get(task.candidate_group or "")
        reasons.append(
            RefusalReason(
                group.name if group else task.name,
                (group.name_en if group else None) or task.name_en or task.name,
                text or "—",
            )
        )
        if str(data.get("legal_basis") or "").strip():
            bases.append(str(data["legal_basis"]).strip())
    applicant = session.get(User, case.applicant_id) if case.applicant_id else None
    issuer = next((c.issuer for c in traits.certificates.values() if c.issuer), None) or DEFAULT_ISSUER
    settings = platform.of(session).settings
    return RefusalDecision(
        number=f"不予许〔{case.completed_at.year}〕{case.number}号",
        case_number=case.number,
        decided_on=platform.calendar(session).local_date(case.completed_at),
        applicant=(applicant.company_name or applicant.display_name) if applicant else "—",
        project=case.project_name or "—",
        reasons=reasons,
        legal_basis="；".join(dict.fromkeys(bases)) or settings.refusal_legal_basis,
        issuer=issuer,
    )
