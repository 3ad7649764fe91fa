"""Public disclosure (信息公开): what finished cases a supervision portal publishes.

A process declares which of its end statuses are disclosed with the process property ``disclose``
(e.g. the permit's ``approved``, the rectification order's ``closed``); nothing in Python names a
process. A finished case with such a status is published ``PERMITFLOW_DISCLOSURE_DELAY_HOURS`` after
it finished unless staff withheld it (a step-path command, with the reason, audited). What is shown
is public by nature and masked where personal: the number, the project and its code, the holder's
or the contractor's name with its credit code masked, the date, the certificates with their
validity, the number of findings and the credit points deducted. Never a phone number or a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, NotFound
from app.models import Case, CaseStatus, Certificate, CreditRecord, HumanTask, User

from . import performer_tasks, platform, processes, search, steps
from .case_access import case_access
from .credit_code import is_valid_credit_code, mask_credit_code
from .stats_access import LEADERS

LIMIT = 50
STATUSES = {s.value for s in CaseStatus}
MAX_QUERY = 100
WITHHOLDING_ROLES = ("admin",)


@dataclass(frozen=True)
class DisclosedCertificate:
    number: str
    title: str
    title_en: str
    valid_until: date


@dataclass(frozen=True)
class DisclosedCase:
    number: str
    process_name: str
    process_name_en: str
    status: str
    project_name: str
    project_code: str | None
    holder: str
    holder_credit_code: str  # masked
    finished_at: datetime
    certificates: list[DisclosedCertificate]
    findings: int | None  # rectification-style cases: how many findings the order listed
    credit_deducted: int  # points deducted from the holder for this case


def disclosed_statuses(session: Session) -> dict[str, set[str]]:
    """Process key → the end statuses its current version discloses."""
    found: dict[str, set[str]] = {}
    for version in processes.current_versions(session):
        raw = ((version.meta or {}).get("guide") or {}).get("disclose") or ""
        statuses = {s.strip() for s in str(raw).split(",") if s.strip()}
        if statuses:
            found[version.key] = statuses
    return found


def _published(session: Session, now: datetime) -> Any:
    """The condition of a published case: disclosed status, past the delay, not withheld."""
    delay = timedelta(hours=platform.of(session).settings.disclosure_delay_hours)
    wanted = [
        (Case.process_key == key) & Case.status.in_([CaseStatus(s) for s in statuses if s in STATUSES])
        for key, statuses in disclosed_statuses(session).items()
    ]
    if not wanted:
        return None
    return or_(*wanted) & (Case.completed_at <= now - delay) & Case.withheld_at.is_(None)


def published(session: Session, *, q: str = "", project_code: str | None = None) -> list[DisclosedCase]:
    """The published cases, newest first, found by number, project name or code (``q``)."""
    condition = _published(session, clock.now())
    if condition is None:
        return []
    stmt = select(Case).where(condition)
    text = q.strip()[:MAX_QUERY]
    if text:
        # The search index's public part only (number, project name and code, company names):
        # what this page shows, never the addresses, opinions or names of persons it does not.
        stmt = stmt.where(Case.id.in_(search.matching_cases(session, text, head_only=True)))
    if project_code is not None:
        stmt = stmt.where(Case.project_code == project_code)
    cases = list(session.scalars(stmt.order_by(Case.completed_at.desc(), Case.id.desc()).limit(LIMIT)))
    ids = [case.id for case in cases]
    # One read of the certificates and one of the deductions for the whole page, not two per case.
    certificates: dict[int, list[Certificate]] = {}
    for cert in session.scalars(
        select(Certificate).where(Certificate.case_id.in_(ids)).order_by(Certificate.id)
    ):
        certificates.setdefault(cert.case_id, []).append(cert)
    deducted = dict(
        session.execute(
            select(CreditRecord.case_id, func.sum(CreditRecord.delta))
            .where(CreditRecord.case_id.in_(ids), CreditRecord.delta < 0)
            .group_by(CreditRecord.case_id)
        )
        .tuples()
        .all()
    )
    return [_item(session, c, certificates.get(c.id, []), -int(deducted.get(c.id) or 0)) for c in cases]


def _holder(session: Session, case: Case, certificates: list[Certificate]) -> tuple[str, str | None]:
    """The company the case concerns; a person (no valid credit code) is never named."""
    name, code = _named(session, case, certificates)
    return (name, code) if is_valid_credit_code(code) else ("", None)


def _named(session: Session, case: Case, certificates: list[Certificate]) -> tuple[str, str | None]:
    if certificates:
        return certificates[0].holder_name, certificates[0].holder_credit_code
    contractor = (case.data or {}).get("contractor")
    if isinstance(contractor, dict) and isinstance(contractor.get("name"), str):
        code = contractor.get("credit_code")
        return contractor["name"][:200], code if isinstance(code, str) else None
    applicant = session.get(User, case.applicant_id) if case.applicant_id else None
    if applicant is not None and applicant.company_name:
        return applicant.company_name, applicant.credit_code
    return "", None


def _item(session: Session, case: Case, certificates: list[Certificate], deducted: int) -> DisclosedCase:
    version = processes.version_by_id(session, case.process_version_id)
    holder, code = _holder(session, case, certificates)
    findings = (case.data or {}).get("findings")
    types = version.meta.get("certificates") or {}
    return DisclosedCase(
        number=case.number,
        process_name=version.name,
        process_name_en=version.name_en,
        status=case.status.value,
        project_name=case.project_name or "",
        project_code=case.project_code,
        holder=holder,
        holder_credit_code=mask_credit_code(code) or "",
        finished_at=case.completed_at or case.submitted_at,
        certificates=[
            DisclosedCertificate(
                c.number,
                str((types.get(c.kind) or {}).get("title") or c.kind),
                str((types.get(c.kind) or {}).get("title_en") or c.kind),
                c.valid_until,
            )
            for c in certificates
        ],
        findings=len(findings) if isinstance(findings, list) else None,
        credit_deducted=deducted,
    )


def may_withhold(user: User | None) -> bool:
    """Who withholds a publication: supervisors (heads of a group), leaders and admins."""
    if user is None or not user.is_staff:
        return False
    return any(user.has_role(r) for r in WITHHOLDING_ROLES) or any(
        m.is_supervisor or m.group.slug == LEADERS for m in user.memberships
    )


def _decided_by(session: Session, user: User, case_ids: list[int]) -> set[int]:
    """Of ``case_ids``, the cases a group ``user`` heads had a task on (the agency that handled and
    decided it)."""
    headed = [m.group.slug for m in user.memberships if m.is_supervisor]
    if not headed or not case_ids:
        return set()
    return set(
        session.scalars(
            select(HumanTask.case_id)
            .where(HumanTask.case_id.in_(case_ids), HumanTask.candidate_group.in_(headed))
            .distinct()
        )
    )


def withholdable(session: Session, user: User | None, cases: list[Case]) -> set[int]:
    """Of ``cases``, those ``user`` may withhold: any for leaders and admins; for a supervisor only
    those their own group handled (review finding 4: not every head of any agency)."""
    if user is None or not may_withhold(user):
        return set()
    if any(user.has_role(r) for r in WITHHOLDING_ROLES) or any(
        m.group.slug == LEADERS for m in user.memberships
    ):
        return {c.id for c in cases}
    return _decided_by(session, user, [c.id for c in cases])


def withholdable_numbers(session: Session, user: User | None, numbers: list[str]) -> set[str]:
    """:func:`withholdable` by case number (what the disclosure page offers the button on)."""
    if user is None or not numbers:
        return set()
    cases = list(session.scalars(select(Case).where(Case.number.in_(numbers))))
    allowed = withholdable(session, user, cases)
    return {c.number for c in cases if c.id in allowed}


def withhold(session: Session, actor: User, number: str, reason: str) -> Case:
    """Keep a finished case off the disclosure (with the reason). Flushes, never commits."""
    if not may_withhold(actor):
        raise Forbidden("only supervisors, leaders and admins withhold a publication")
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound("no such case")
    if case.id not in withholdable(session, actor, [case]):
        raise Forbidden("only the agency that handled this case, leaders and admins withhold its publication")
    return steps.advance(session, steps.WithholdDisclosure(case.id, actor, reason)).case


def project_cases(session: Session, viewer: User | None, code: str) -> list[Case]:
    """The cases of project ``code`` that ``viewer`` may see under the case-access rule (staff:
    every one; an applicant: their own; a contractor: the orders it is named to perform)."""
    if viewer is None:
        return []
    cases = session.scalars(select(Case).where(Case.project_code == code).order_by(Case.submitted_at))
    return [
        case
        for case in cases
        if case_access(case, viewer, performer=performer_tasks.performs_on(session, case, viewer)).view
    ]
