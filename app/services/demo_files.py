"""Small real files for the demo cases, so a newcomer sees documents under their types, the
clerk's checklist partly ticked and the in-page previews (pdf.js for a PDF, an image for a PNG):
each permit and joint review carries its construction contract (a two-page PDF) and a scan of its
land-use permit (a PNG), uploaded by the applicant when the case was submitted."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, User

from . import attachments

_FONT = "STSong-Light"  # reportlab's built-in CID font: Chinese without a font file
WITH_FILES = ("construction_permit", "parallel_review")


def sample_pdf(title: str, project: str) -> bytes:
    """A two-page A4 PDF: the title and project on the first page, a clause on the second."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    width, height = A4
    pdf.setFont(_FONT, 24)
    pdf.drawCentredString(width / 2, height - 40 * mm, title)
    pdf.setFont(_FONT, 14)
    pdf.drawCentredString(width / 2, height - 55 * mm, project)
    pdf.rect(25 * mm, height - 120 * mm, width - 50 * mm, 50 * mm, fill=0)
    pdf.drawString(30 * mm, height - 80 * mm, "发包人：滨江新城建设发展有限公司（示例）")
    pdf.drawString(30 * mm, height - 92 * mm, "承包人：华建第一工程有限公司（示例）")
    pdf.showPage()
    pdf.setFont(_FONT, 12)
    pdf.drawString(25 * mm, height - 30 * mm, "第二条 工期：自开工之日起 540 日历天。（演示数据）")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def sample_png(width: int = 160, height: int = 120) -> bytes:
    """A scan in miniature: a light page, a dark seal-like block and a rule."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            if 40 <= x < 110 and 30 <= y < 80:
                row += bytes((31, 78, 121))
            elif 95 <= y < 105:
                row += bytes((150, 150, 150))
            else:
                row += bytes((236, 242, 232))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def attach_samples(session: Session, applicant: User) -> int:
    """Give every demo permit and joint review its two files. Returns how many were stored."""
    pdf_cache: dict[str, bytes] = {}
    png = sample_png()
    stored = 0
    for case in session.scalars(select(Case).where(Case.process_key.in_(WITH_FILES)).order_by(Case.id)):
        project = case.project_name or ""
        pdf = pdf_cache.setdefault(project, sample_pdf("建设工程施工合同", project))
        files: list[tuple[str, str, bytes]] = [
            ("construction_contract", "施工合同.pdf", pdf),
            ("land_use_certificate", "用地规划许可证（扫描件）.png", png),
        ]
        with clock.travel_to(case.submitted_at or clock.now()):
            for kind, name, content in files:
                _store(session, case, applicant, kind, name, content)
                stored += 1
    return stored


def _store(session: Session, case: Case, applicant: User, kind: str, name: str, content: bytes) -> Any:
    return attachments.store_checked(
        session,
        case,
        applicant,
        uid=uuid.uuid4().hex,
        kind=kind,
        filename=name,
        content=content,
        content_type=attachments.detect_type(content),
    )
