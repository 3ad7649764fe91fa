"""A certificate as an A4 PDF (reportlab, built-in CID font, no font file): its content, issuer,
date and a QR code to the verification page, whose link is printed under it and kept as the PDF's
subject. Pure drawing: the caller gives the title, the link and the local issue date."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.models import Certificate

_FONT = "STSong-Light"


@dataclass(frozen=True)
class Sheet:
    """What is printed besides the certificate's own fields."""

    title: str
    title_en: str
    link: str
    issued_on: date


def pdf_filename(cert: Certificate) -> str:
    return f"certificate-{cert.number}.pdf"


def render(cert: Certificate, sheet: Sheet) -> bytes:
    """The certificate as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"{sheet.title} {cert.number}")
    pdf.setAuthor(cert.issuer)
    pdf.setSubject(sheet.link)
    pdf.setKeywords(f"certificate={cert.number}")
    pdf.setCreator("PermitFlow")
    width, height = A4
    _frame(pdf, width, height)
    _heading(pdf, cert, sheet, width, height)
    _rows(pdf, cert, width, height)
    _issuer(pdf, cert, sheet)
    _qr_code(pdf, sheet.link, width)
    _notice(pdf, width)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _frame(pdf: Any, width: float, height: float) -> None:
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    pdf.setStrokeColor(colors.HexColor("#a61b1b"))
    pdf.setLineWidth(2.5)
    pdf.rect(14 * mm, 14 * mm, width - 28 * mm, height - 28 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(17 * mm, 17 * mm, width - 34 * mm, height - 34 * mm)


def _heading(pdf: Any, cert: Certificate, sheet: Sheet, width: float, height: float) -> None:
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    pdf.setFillColor(colors.black)
    pdf.setFont(_FONT, 15)
    pdf.drawCentredString(width / 2, height - 36 * mm, "中华人民共和国")
    pdf.setFont(_FONT, 28)
    pdf.drawCentredString(width / 2, height - 50 * mm, sheet.title)
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, height - 58 * mm, sheet.title_en)
    pdf.setFont(_FONT, 11)
    pdf.drawRightString(width / 2 - 1 * mm, height - 68 * mm, "编号")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(width / 2 + 1 * mm, height - 68 * mm, f"No. {cert.number}")


def _fmt_amount(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def _rows(pdf: Any, cert: Certificate, width: float, height: float) -> None:
    from reportlab.lib import colors
    from reportlab.lib.units import mm

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


# The issuer block and the QR code stand on this line (bottom left and bottom right).
def _base() -> float:
    from reportlab.lib.units import mm

    return float(44 * mm)


def _issuer(pdf: Any, cert: Certificate, sheet: Sheet) -> None:
    from reportlab.lib.units import mm

    left, base = 30 * mm, _base()
    pdf.setFont(_FONT, 12)
    pdf.drawString(left, base + 22 * mm, "发证机关")
    pdf.drawString(left + 26 * mm, base + 22 * mm, cert.issuer)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(left, base + 17.5 * mm, "Issuing authority")
    pdf.setFont(_FONT, 12)
    pdf.drawString(left, base + 8 * mm, "发证日期")
    pdf.setFont("Helvetica", 12)
    pdf.drawString(left + 26 * mm, base + 8 * mm, sheet.issued_on.isoformat())
    pdf.setFont("Helvetica", 8)
    pdf.drawString(left, base + 3.5 * mm, "Date of issue")


def _qr_code(pdf: Any, link: str, width: float) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.units import mm

    base, size = _base(), 38 * mm
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


def _notice(pdf: Any, width: float) -> None:
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    pdf.setFont(_FONT, 8)
    pdf.setFillColor(colors.HexColor("#555555"))
    notice = "本证书为电子证照，与纸质证照具有同等效力。真伪请扫描二维码或访问二维码下方的链接核验。"
    pdf.drawCentredString(width / 2, 22 * mm, notice)


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
