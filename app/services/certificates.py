"""Electronic certificates (电子证照): issued when a case ends approved, signed, verifiable by anyone.

A process asks for a certificate with BPMN properties on the end event it finishes at (README,
"Authoring a process"): ``certificate`` names its type, ``certificate_title`` /
``certificate_title_en`` what it is called, ``certificate_valid_until`` the data field holding the
last day of its validity, ``certificate_valid_years`` the validity when that field is empty, and
``certificate_issuer`` the issuing authority. The gateway calls :func:`issue` once, when the case
becomes approved; the certificate row keeps only the type, and its titles are read back from the
process that declares it (services/process_traits.py).

- Number: the issue year and 8 random digits (施工许可证号 style, e.g. ``202612345678``): readable,
  not guessable, unique.
- Validity: the declared data field when the case data gives a date there, else the declared
  number of years (3 by default) after the issue date (local calendar date, Asia/Shanghai by
  default).
- Signature and verification: services/certificate_signing.py; the PDF: services/certificate_pdf.py.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidData, NotFound
from app.models import Case, Certificate, User

from . import audit, certificate_pdf, platform, process_traits, processes
from .case_access import case_access
from .case_view import CaseDocument
from .certificate_pdf import pdf_filename
from .certificate_signing import canonical, clean_number, is_genuine, seal, sign, status_of, verify_url
from .credit_code import mask_credit_code
from .process_traits import CertificateType

__all__ = [
    "canonical",
    "clean_number",
    "documents",
    "for_case",
    "for_download",
    "is_genuine",
    "issue",
    "pdf_filename",
    "render_pdf",
    "revoke",
    "sign",
    "status_of",
    "verification",
    "verify_url",
]

VALIDITY_YEARS = 3
DEFAULT_ISSUER = "住房和城乡建设局"


def certificate_type(session: Session, cert: Certificate) -> CertificateType:
    """What the certificate's type is called, as the process that issued it declares it."""
    return process_traits.certificate_type(session, session.get(Case, cert.case_id), cert.kind)


# ---------------------------------------------------------------- issuing


def _new_number(session: Session, year: int) -> str:
    for _ in range(20):
        number = f"{year}{secrets.randbelow(10**8):08d}"
        if session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number
    raise RuntimeError("could not allocate a certificate number")


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _declared_dates(data: dict[str, Any], field: str | None) -> list[Any]:
    """The values at ``field``: a dotted path (``decision.permit_valid_until``), or a field name
    looked up in the data and in every form's answer kept in it (``variableName``)."""
    if not field:
        return []
    if "." in field:
        value: Any = data
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return [value]
    return [data.get(field)] + [v.get(field) for v in data.values() if isinstance(v, dict)]


def _valid_until(data: dict[str, Any], issued: date, kind: CertificateType) -> date:
    """The date in the declared field, else ``issued`` plus the declared years (default 3)."""
    for value in _declared_dates(data, kind.valid_until):
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    years = kind.valid_years or VALIDITY_YEARS
    try:
        return issued.replace(year=issued.year + years)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + years, day=28)


def _location(session: Session, case: Case, value: Any) -> str | None:
    """The district's title from the start form (``beihu`` → 北湖区), else the stored value."""
    if not isinstance(value, str) or not value:
        return None
    version = processes.version_by_id(session, case.process_version_id)
    schema = processes.form_schema(version, (version.meta.get("start") or {}).get("form")) or {}
    district = (schema.get("properties") or {}).get("district") or {}
    for option in district.get("oneOf") or []:
        if option.get("const") == value:
            return str(option.get("title") or value)
    return value


def issue(
    session: Session, case: Case, kind: str, *, issuer: str | None = None, actor: User | None = None
) -> Certificate:
    """The case's certificate, issued now unless it already has one (one certificate per case)."""
    existing = session.scalar(select(Certificate).where(Certificate.case_id == case.id))
    if existing is not None:
        return existing
    declared = process_traits.certificate_type(session, case, kind)
    data = case.data or {}
    raw_builder = data.get("builder")
    builder: dict[str, Any] = raw_builder if isinstance(raw_builder, dict) else {}
    now = clock.now().replace(microsecond=0)
    plat = platform.of(session)
    today = plat.base_calendar.local_date(now)
    cert = Certificate(
        number=_new_number(session, today.year),
        case_id=case.id,
        kind=kind,
        holder_name=str(builder.get("name") or "")[:200],
        holder_credit_code=(str(builder["credit_code"])[:18] if builder.get("credit_code") else None),
        project_name=str(data.get("project_name") or case.project_name or "")[:200],
        project_code=(str(data["project_code"])[:64] if data.get("project_code") else None),
        location=_location(session, case, data.get("district")),
        floor_area=_number_or_none(data.get("floor_area")),
        investment=_number_or_none(data.get("total_investment")),
        issuer=(issuer or declared.issuer or DEFAULT_ISSUER)[:200],
        issued_at=now,
        valid_until=_valid_until(data, today, declared),
        signature="",
        revoked_at=None,
    )
    seal(plat.settings, cert)
    session.add(cert)
    session.flush()
    audit.record(
        session,
        "certificate.issued",
        actor=actor,
        case=case,
        detail={"certificate": cert.number, "kind": kind, "valid_until": cert.valid_until.isoformat()},
    )
    return cert


def revoke(session: Session, cert: Certificate, *, actor: User | None, reason: str) -> None:
    """Revoke a certificate (re-signed: the revocation is part of the signed content)."""
    if cert.revoked_at is None:
        cert.revoked_at = clock.now().replace(microsecond=0)
        seal(platform.of(session).settings, cert)
        case = session.get(Case, cert.case_id)
        audit.record(
            session,
            "certificate.revoked",
            actor=actor,
            case=case,
            detail={"certificate": cert.number, "reason": reason[:500]},
        )


def verification(session: Session, number: str) -> dict[str, Any]:
    """What anyone may learn about a certificate number: genuine or not, and if genuine its
    masked holder, project and validity. Unknown numbers and tampered rows are simply not genuine."""
    number = clean_number(number)
    cert = session.scalar(select(Certificate).where(Certificate.number == number)) if number else None
    if cert is None or not is_genuine(platform.of(session).settings, cert):
        return {
            "genuine": False,
            "number": number,
            "kind": None,
            "title": None,
            "title_en": None,
            "holder": None,
            "project": None,
            "issuer": None,
            "issued_at": None,
            "valid_until": None,
            "status": None,
        }
    kind = certificate_type(session, cert)
    return {
        "genuine": True,
        "number": cert.number,
        "kind": cert.kind,
        "title": kind.title,
        "title_en": kind.title_en,
        "holder": {"name": cert.holder_name, "credit_code": mask_credit_code(cert.holder_credit_code)},
        "project": {
            "name": cert.project_name,
            "code": cert.project_code,
            "location": cert.location,
            "floor_area": cert.floor_area,
            "investment": cert.investment,
        },
        "issuer": cert.issuer,
        "issued_at": cert.issued_at,
        "valid_until": cert.valid_until,
        "status": status_of(platform.of(session).base_calendar, cert),
    }


# ---------------------------------------------------------------- listing and downloading


def for_case(session: Session, case: Case) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.case_id == case.id)))


def documents(session: Session, case: Case) -> list[CaseDocument]:
    """The case view's `documents`: each certificate's name, number and download link."""
    out = []
    plat = platform.of(session)
    for cert in for_case(session, case):
        kind = process_traits.certificate_type(session, case, cert.kind)
        out.append(
            CaseDocument(
                name=kind.title,
                name_en=kind.title_en,
                number=cert.number,
                url=f"/api/v1/cases/{case.number}/documents/{cert.number}.pdf",
                verify_url=verify_url(plat.settings, cert.number),
                issued_at=cert.issued_at,
                valid_until=cert.valid_until,
                status=status_of(plat.base_calendar, cert),
            )
        )
    return out


def for_download(session: Session, user: User | None, number: str, certificate_no: str) -> Certificate:
    """The certificate of the case, for its applicant and staff; anyone else: 404 (never which)."""
    case = session.scalar(select(Case).where(Case.number == (number or "")[:40]))
    allowed = case is not None and case_access(case, user).download
    cert = (
        session.scalar(
            select(Certificate).where(
                Certificate.case_id == case.id, Certificate.number == clean_number(certificate_no)
            )
        )
        if allowed and case is not None
        else None
    )
    if cert is None:
        raise NotFound("no such document")
    return cert


def render_pdf(session: Session, cert: Certificate) -> bytes:
    """The certificate as an A4 PDF, with the title its process declares and a QR code to its
    verification page (services/certificate_pdf.py)."""
    kind = certificate_type(session, cert)
    plat = platform.of(session)
    sheet = certificate_pdf.Sheet(
        title=kind.title,
        title_en=kind.title_en,
        link=verify_url(plat.settings, cert.number),
        issued_on=plat.base_calendar.local_date(cert.issued_at),
    )
    return certificate_pdf.render(cert, sheet)


# No certificate is granted for longer than this unless its type declares more (absurd dates).
MAX_VALIDITY_YEARS = 5


def check_validity(session: Session, case: Case, data: Any) -> None:
    """A grant's validity as submitted (the certificate types' `certificate_valid_until` field):
    it may not end before the decision date, nor more than MAX_VALIDITY_YEARS (or the type's
    `certificate_valid_years`, if longer) after it. Refuses with the field named; data without
    the field passes."""
    if not isinstance(data, dict):
        return
    today = platform.calendar(session).local_date(clock.now())
    for kind in process_traits.of_case(session, case).certificates.values():
        field = (kind.valid_until or "").rsplit(".", 1)[-1]
        value = data.get(field) if field else None
        if not isinstance(value, str) or not value:
            continue
        try:
            until = date.fromisoformat(value)
        except ValueError:
            raise InvalidData(f"{field} is not a date", {field: ["must be a date (YYYY-MM-DD)"]}) from None
        years = max(kind.valid_years or VALIDITY_YEARS, MAX_VALIDITY_YEARS)
        latest = _valid_until({}, today, CertificateType(kind.kind, kind.title, kind.title_en, None, years))
        if until < today:
            raise InvalidData(
                f"{field} {until} is before the decision date {today}",
                {field: [f"must be on or after the decision date ({today.isoformat()})"]},
            )
        if until > latest:
            raise InvalidData(
                f"{field} {until} is more than {years} years after the decision date",
                {field: [f"must be at most {years} years after the decision date (by {latest.isoformat()})"]},
            )
