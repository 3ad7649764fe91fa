"""A 不予许可决定书 as an A4 PDF (reportlab, built-in CID font): number, date, applicant, project,
reasons by refusing group, legal basis, and the rights to administrative reconsideration and to
litigation with their time limits. Pure drawing from a RefusalDecision."""

from __future__ import annotations

import io
from typing import Any

from .certificate_pdf import _FONT, _wrap
from .refusal_decision import RefusalDecision


def pdf_filename(decision: RefusalDecision) -> str:
    return f"refusal-{decision.case_number}.pdf"


def remedy_text(decision: RefusalDecision) -> str:
    """The applicant's remedies as the decision states them (Art. 38 of the licensing law)."""
    return (
        f"如不服本决定，可以自收到本决定书之日起{decision.reconsideration_days}日内依法申请行政复议，"
        f"或者在{decision.litigation_months}个月内依法向人民法院提起行政诉讼。"
    )


def render(decision: RefusalDecision) -> bytes:
    """The decision as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"不予许可决定书 {decision.number}")
    pdf.setAuthor(decision.issuer)
    pdf.setCreator("PermitFlow")
    width, height = A4
    pdf.setFont(_FONT, 22)
    pdf.drawCentredString(width / 2, height - 36 * mm, decision.issuer)
    pdf.setFont(_FONT, 26)
    pdf.drawCentredString(width / 2, height - 52 * mm, "不予许可决定书")
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(width / 2, height - 59 * mm, "Decision refusing an administrative licence")
    pdf.setFont(_FONT, 12)
    pdf.drawCentredString(width / 2, height - 68 * mm, decision.number)
    y = _body(pdf, decision, 25 * mm, height - 84 * mm)
    _signature(pdf, decision, width, min(y - 12 * mm, 60 * mm))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _paragraph(pdf: Any, text: str, x: float, y: float, *, limit: int = 38) -> float:
    from reportlab.lib.units import mm

    pdf.setFont(_FONT, 12)
    for line in _wrap(text, limit):
        pdf.drawString(x, y, line)
        y -= 7 * mm
    return y


def _body(pdf: Any, decision: RefusalDecision, x: float, y: float) -> float:
    from reportlab.lib.units import mm

    y = _paragraph(pdf, f"{decision.applicant}：", x, y)
    intro = (
        f"你单位申请的“{decision.project}”（办件编号 {decision.case_number}）行政许可事项，"
        "经审查，不符合法定条件、标准，决定不予许可。"
    )
    y = _paragraph(pdf, "    " + intro, x, y) - 3 * mm
    y = _paragraph(pdf, "一、不予许可的理由", x, y)
    for i, reason in enumerate(decision.reasons, 1):
        y = _paragraph(pdf, f"    {i}. {reason.group}：{reason.text}", x, y)
    y = _paragraph(pdf, "二、法律依据", x, y - 3 * mm)
    y = _paragraph(pdf, "    " + decision.legal_basis, x, y)
    y = _paragraph(pdf, "三、救济途径", x, y - 3 * mm)
    return _paragraph(pdf, "    " + remedy_text(decision), x, y)


def _signature(pdf: Any, decision: RefusalDecision, width: float, y: float) -> None:
    from reportlab.lib.units import mm

    pdf.setFont(_FONT, 12)
    pdf.drawRightString(width - 30 * mm, y, decision.issuer)
    pdf.setFont("Helvetica", 12)
    pdf.drawRightString(width - 30 * mm, y - 8 * mm, decision.decided_on.isoformat())
