"""Enterprise credit (信用评价): a company's score is 100 plus the deltas of its credit records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CreditRecord, User

from . import audit

BASE_SCORE = 100


def score(session: Session, credit_code: str) -> int:
    """The company's current score: 100 plus the sum of its records' deltas."""
    total = session.scalar(
        select(func.coalesce(func.sum(CreditRecord.delta), 0)).where(CreditRecord.credit_code == credit_code)
    )
    return BASE_SCORE + int(total or 0)


def subject_of(
    session: Session, case: Case, performer_code: str | None = None, public: bool = False
) -> str | None:
    """The company whose credit a reviewer of ``case`` weighs.

    A task performed by a company (a contractor's report) concerns that company. Otherwise the
    applicant's own verified account, then the parties named in the data (builder, contractor, the
    company a complaint was confirmed against). The filer of a public case (a complaint) is never the
    subject: a complainant is not the one being judged, and showing its score to the company it
    complained about would identify it."""
    if performer_code:
        return performer_code
    if case.applicant_id is not None and not public:
        applicant = session.get(User, case.applicant_id)
        if applicant is not None and applicant.credit_code:
            return str(applicant.credit_code)
    data: dict[str, Any] = case.data or {}
    for party in ("builder", "contractor", "company"):
        value = data.get(party)
        if isinstance(value, dict) and isinstance(value.get("credit_code"), str) and value["credit_code"]:
            return str(value["credit_code"])
    return None


def recent_deductions(session: Session, credit_code: str, limit: int = 5) -> list[CreditRecord]:
    """The company's latest deductions, newest first (shown to reviewers with their reasons)."""
    return list(
        session.scalars(
            select(CreditRecord)
            .where(CreditRecord.credit_code == credit_code, CreditRecord.delta < 0)
            .order_by(CreditRecord.created_at.desc(), CreditRecord.id.desc())
            .limit(limit)
        )
    )


def records(session: Session, credit_code: str) -> list[CreditRecord]:
    return list(
        session.scalars(
            select(CreditRecord)
            .where(CreditRecord.credit_code == credit_code)
            .order_by(CreditRecord.created_at, CreditRecord.id)
        )
    )


def deduct(
    session: Session,
    credit_code: str,
    points: int,
    reason: str,
    *,
    case: Case | None = None,
    source: str | None = None,
    actor: User | None = None,
) -> CreditRecord:
    """Deduct ``points`` (a positive number) from the company's score, recording why; ``{case}`` in
    the reason stands for the number of the case that caused it (a BPMN `credit_reason` is fixed text)."""
    if points < 0:
        raise ValueError("a deduction is a positive number of points")
    if case is not None:
        reason = reason.replace("{case}", case.number)
    record = CreditRecord(
        credit_code=credit_code,
        delta=-points,
        reason=reason[:200],
        case_id=case.id if case is not None else None,
        source=(source or None) and source[:100],
        created_at=clock.now(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        "credit.deducted",
        actor=actor,
        case=case,
        detail={"credit_code": credit_code, "points": points, "reason": reason, "source": source},
    )
    return record
