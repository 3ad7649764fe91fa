"""Electronic certificates (电子证照): issued when a case ends approved, signed, verifiable by anyone.

A process asks for a certificate with the property ``certificate`` on the end event it finishes
at (``certificate`` = ``permit`` for a construction permit) and may name the issuing authority
with ``certificate_issuer``; the gateway calls :func:`issue` once, when the case becomes approved.

- Number: the issue year and 8 random digits (施工许可证号 style, e.g. ``202612345678``): readable,
  not guessable, unique.
- Validity: the decision form's ``permit_valid_until`` when given, else 3 years after the issue
  date (local calendar date, Asia/Shanghai by default).
- Signature: HMAC-SHA256 over every printed field and the revocation time, with the certificate
  key the certificate names (see certificate_signing). A row edited in the database, or a number
  nobody issued, is not genuine.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.errors import NotFound
from app.models import Case, Certificate, User

from . import audit, platform, processes
from .calendar import WorkCalendar
from .certificate_signing import canonical as canonical
from .certificate_signing import is_genuine as is_genuine
from .certificate_signing import seal
from .certificate_signing import sign as sign
from .credit_code import mask_credit_code

VALIDITY_YEARS = 3
DEFAULT_ISSUER = "住房和城乡建设局"


@dataclass(frozen=True)
class Kind:
    """What a kind of certificate is called; its content comes from the case data."""

    title: str
    title_en: str


KINDS = {"permit": Kind("建筑工程施工许可证", "Construction Works Permit")}


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


def _valid_until(data: dict[str, Any], issued: date) -> date:
    """The decision's `permit_valid_until` (in any form's answer in the data), else issued + 3 years."""
    candidates = [data.get("permit_valid_until")] + [
        v.get("permit_valid_until") for v in data.values() if isinstance(v, dict)
    ]
    for value in candidates:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    try:
        return issued.replace(year=issued.year + VALIDITY_YEARS)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + VALIDITY_YEARS, day=28)


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
        issuer=(issuer or DEFAULT_ISSUER)[:200],
        issued_at=now,
        valid_until=_valid_until(data, today),
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


# ---------------------------------------------------------------- signing and verifying


def status_of(calendar: WorkCalendar, cert: Certificate) -> str:
    if cert.revoked_at is not None:
        return "revoked"
    today = calendar.local_date(clock.now())
    return "expired" if today > cert.valid_until else "valid"


def verify_url(settings: Settings, number: str) -> str:
    return f"{settings.base_url.rstrip('/')}/verify/{number}"


def clean_number(number: str | None) -> str:
    return "".join(ch for ch in (number or "")[:40] if ch.isalnum()).upper()


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
    kind = KINDS.get(cert.kind, Kind(cert.kind, cert.kind))
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


def documents(session: Session, case: Case) -> list[dict[str, Any]]:
    """The case view's `documents`: each certificate's name, number and download link."""
    out = []
    plat = platform.of(session)
    for cert in for_case(session, case):
        kind = KINDS.get(cert.kind, Kind(cert.kind, cert.kind))
        out.append(
            {
                "name": kind.title,
                "name_en": kind.title_en,
                "number": cert.number,
                "url": f"/api/v1/cases/{case.number}/documents/{cert.number}.pdf",
                "verify_url": verify_url(plat.settings, cert.number),
                "issued_at": cert.issued_at,
                "valid_until": cert.valid_until.isoformat(),
                "status": status_of(plat.base_calendar, cert),
            }
        )
    return out


def for_download(session: Session, user: User | None, number: str, certificate_no: str) -> Certificate:
    """The certificate of the case, for its applicant and staff; anyone else: 404 (never which)."""
    case = session.scalar(select(Case).where(Case.number == (number or "")[:40]))
    allowed = (
        case is not None
        and user is not None
        and (user.is_staff or (case.applicant_id is not None and case.applicant_id == user.id))
    )
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


# ---------------------------------------------------------------- the PDF

_FONT = "STSong-Light"


def _fmt_amount(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def render_pdf(session: Session, cert: Certificate) -> bytes:
    """The certificate as an A4 PDF: content, issuer, date and a QR code to the verification page.

    The verification link is printed under the QR code and kept in the PDF's metadata (subject)."""
    settings, calendar = platform.of(session).settings, platform.of(session).base_calendar
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    kind = KINDS.get(cert.kind, Kind(cert.kind, cert.kind))
    link = verify_url(settings, cert.number)
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"{kind.title} {cert.number}")
    pdf.setAuthor(cert.issuer)
    pdf.setSubject(link)
    pdf.setKeywords(f"certificate={cert.number}")
    pdf.setCreator("PermitFlow")

    red = colors.HexColor("#a61b1b")
    pdf.setStrokeColor(red)
    pdf.setLineWidth(2.5)
    pdf.rect(14 * mm, 14 * mm, width - 28 * mm, height - 28 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(17 * mm, 17 * mm, width - 34 * mm, height - 34 * mm)

    pdf.setFillColor(colors.black)
    pdf.setFont(_FONT, 15)
    pdf.drawCentredString(width / 2, height - 36 * mm, "中华人民共和国")
    pdf.setFont(_FONT, 28)
    pdf.drawCentredString(width / 2, height - 50 * mm, kind.title)
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, height - 58 * mm, kind.title_en)
    pdf.setFont(_FONT, 11)
    pdf.drawRightString(width / 2 - 1 * mm, height - 68 * mm, "编号")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(width / 2 + 1 * mm, height - 68 * mm, f"No. {cert.number}")

    rows = [
        ("建设单位", "Holder", cert.holder_name),
        ("统一社会信用代码", "Credit code", cert.holder_credit_code or "—"),
        ("工程名称", "Project", cert.project_name),
        ("项目代码", "Project code", cert.project_code or "—"),
        ("建设地址", "Location", cert.location or "—"),
        ("建筑面积", "Floor area", _fmt_amount(cert.floor_area, "平方米")),
        ("总投资", "Total investment", _fmt_amount(cert.investment, "万元")),
        ("有效期至", "Valid until", cert.valid_until.isoformat()),
    ]
    left, value_x, y = 30 * mm, 82 * mm, height - 88 * mm
    pdf.setStrokeColor(colors.HexColor("#bbbbbb"))
    pdf.setLineWidth(0.5)
    for zh, en, value in rows:
        pdf.setFont(_FONT, 12)
        pdf.drawString(left, y, zh)
        pdf.setFont("Helvetica", 8)
        pdf.setFillColor(colors.HexColor("#555555"))
        pdf.drawString(left, y - 4.5 * mm, en)
        pdf.setFillColor(colors.black)
        # Latin-only values (codes, numbers, dates) in Helvetica: the CJK font's Latin is cramped.
        pdf.setFont("Helvetica" if value.isascii() else _FONT, 12)
        lines = _wrap(value, 22)
        for i, line in enumerate(lines):
            pdf.drawString(value_x, y - i * 6 * mm, line)
        extra = (len(lines) - 1) * 6 * mm
        pdf.line(left, y - 7.5 * mm - extra, width - 30 * mm, y - 7.5 * mm - extra)
        y -= 16 * mm + extra

    # Issuer and date, bottom left; QR code with its link, bottom right.
    base = 44 * mm
    pdf.setFont(_FONT, 12)
    pdf.drawString(left, base + 22 * mm, "发证机关")
    pdf.drawString(left + 26 * mm, base + 22 * mm, cert.issuer)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(left, base + 17.5 * mm, "Issuing authority")
    pdf.setFont(_FONT, 12)
    local_day = calendar.local_date(cert.issued_at)
    pdf.drawString(left, base + 8 * mm, "发证日期")
    pdf.setFont("Helvetica", 12)
    pdf.drawString(left + 26 * mm, base + 8 * mm, local_day.isoformat())
    pdf.setFont("Helvetica", 8)
    pdf.drawString(left, base + 3.5 * mm, "Date of issue")

    size = 38 * mm
    qr = QrCodeWidget(link, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    qr_x = width - 30 * mm - size
    renderPDF.draw(drawing, pdf, qr_x, base)
    pdf.setFont(_FONT, 8)
    pdf.drawRightString(qr_x + size / 2 - 0.5 * mm, base - 3 * mm, "扫码核验")
    pdf.setFont("Helvetica", 8)
    pdf.drawString(qr_x + size / 2 + 0.5 * mm, base - 3 * mm, "Scan to verify")
    pdf.setFont("Helvetica", 7)
    pdf.drawRightString(width - 30 * mm, base - 8 * mm, link)

    pdf.setFont(_FONT, 8)
    pdf.setFillColor(colors.HexColor("#555555"))
    notice = "本证书为电子证照，与纸质证照具有同等效力。真伪请扫描二维码或访问二维码下方的链接核验。"
    pdf.drawCentredString(width / 2, 22 * mm, notice)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(text: str, limit: int) -> list[str]:
    """Split long values into lines of about ``limit`` full-width characters."""
    lines, current, weight = [], "", 0.0
    for ch in text or "":
        w = 1.0 if ord(ch) > 0x2E80 else 0.55
        # Break before the limit, but never put closing punctuation at the start of a line.
        if weight + w > limit and ch not in "）)，,。、；：」》":
            lines.append(current)
            current, weight = "", 0.0
        current += ch
        weight += w
    return [*lines, current] if current or not lines else lines


def pdf_filename(cert: Certificate) -> str:
    return f"certificate-{cert.number}.pdf"
