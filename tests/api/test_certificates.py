"""The electronic permit (电子证照): issued on approval, downloadable as a PDF, verifiable by anyone."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select, update

from app import clock
from app.models import AuditEvent, Certificate
from app.services import certificates
from tests.helpers import inbox_task, submit_permit

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPROVE = {"decision": "approve", "comment": "符合要求"}
REVIEWERS = {
    "planner": "Planning review",
    "fire_officer": "Fire review",
    "env_officer": "Environmental review",
}


def approved_permit(api: Any, name: str = "北湖新城安置房二期", **decision: Any) -> str:
    """Submit a permit application and walk it to approval; its case number."""
    number = submit_permit(api, name)["number"]
    task = inbox_task(api, "clerk", number, "Acceptance check")
    api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    for user, step in REVIEWERS.items():
        task = inbox_task(api, user, number, step)
        response = api.post(f"/api/v1/tasks/{task['id']}/complete", user, json={"data": APPROVE})
        assert response.status_code == 200
    task = inbox_task(api, "permit_officer", number, "Permit decision")
    response = api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        "permit_officer",
        json={"data": {"decision": "approve", **decision}},
    )
    assert response.get_json()["status"] == "approved"
    return number


def test_approval_issues_one_signed_certificate_listed_in_the_case_view(api: Any, db: Any) -> None:
    number = approved_permit(api, permit_valid_until="2028-12-31")
    view = api.get(f"/api/v1/cases/{number}", "acme").get_json()
    [doc] = view["documents"]
    assert doc["name"] == "建筑工程施工许可证" and doc["name_en"] == "Construction Works Permit"
    assert len(doc["number"]) == 12 and doc["number"].isdigit()
    assert doc["url"] == f"/api/v1/cases/{number}/documents/{doc['number']}.pdf"
    assert doc["verify_url"].endswith(f"/verify/{doc['number']}")
    assert doc["valid_until"] == "2028-12-31" and doc["status"] == "valid"

    assert db.scalar(select(func.count()).select_from(Certificate)) == 1
    assert db.scalar(select(func.count()).where(AuditEvent.action == "certificate.issued")) == 1
    db.rollback()

    verified = api.get(f"/api/v1/verify/{doc['number']}").get_json()
    assert verified["genuine"] is True and verified["status"] == "valid"
    assert verified["number"] == doc["number"]
    assert verified["holder"] == {"name": "北湖城市建设投资有限公司", "credit_code": "91350100M000******"}
    assert verified["project"]["name"] == "北湖新城安置房二期"
    assert verified["project"]["location"] == "北湖区"
    assert verified["valid_until"] == "2028-12-31"


def test_validity_defaults_to_three_years(api: Any) -> None:
    clock.freeze(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "clerk").get_json()["documents"]
    assert doc["valid_until"] == "2029-11-17"
    clock.freeze(datetime(2029, 11, 18, 10, 0, tzinfo=SHANGHAI))
    assert api.get(f"/api/v1/verify/{doc['number']}").get_json()["status"] == "expired"


def test_a_revoked_certificate_is_genuine_but_revoked(api: Any, db: Any) -> None:
    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    cert = db.scalar(select(Certificate).where(Certificate.number == doc["number"]))
    certificates.revoke(db, cert, actor=None, reason="以欺骗手段取得")
    db.commit()
    verified = api.get(f"/api/v1/verify/{doc['number']}").get_json()
    assert verified["genuine"] is True and verified["status"] == "revoked"
    # Clearing the revocation in the database breaks the signature.
    db.execute(update(Certificate).where(Certificate.id == cert.id).values(revoked_at=None))
    db.commit()
    assert api.get(f"/api/v1/verify/{doc['number']}").get_json()["genuine"] is False


def test_pdf_shows_the_certificate_and_its_verification_link(api: Any) -> None:
    number = approved_permit(api, permit_valid_until="2029-06-30")
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    response = api.get(doc["url"], "acme")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = reader.pages[0].extract_text()
    for expected in [
        doc["number"],
        "建筑工程施工许可证",
        "Construction Works Permit",
        "北湖城市建设投资有限公司",
        "91350100M000100Y43",  # in full on the certificate itself
        "北湖新城安置房二期",
        "2026-350100-47-01-123456",
        "2029-06-30",
        doc["verify_url"],
    ]:
        assert expected in text, expected
    assert reader.metadata.subject == doc["verify_url"]
    # Staff may download it too.
    assert api.get(doc["url"], "clerk").status_code == 200


def test_the_qr_code_printed_on_the_pdf_opens_the_verification_page(api: Any) -> None:
    """Rendered like a phone camera sees it: the page as pixels, the QR code decoded from them."""
    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    pdf = pdfium.PdfDocument(api.get(doc["url"], "acme").data)
    image = pdf[0].render(scale=2).to_pil()
    [code] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert code.text == doc["verify_url"]
    path = urlsplit(code.text).path
    assert path == f"/verify/{doc['number']}"
    verified = api.get(f"/api/v1/verify/{doc['number']}").get_json()
    assert verified["genuine"] is True


def test_only_the_applicant_and_staff_may_download(api: Any) -> None:
    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    assert api.get(doc["url"], "buildco").status_code == 404
    assert api.get(doc["url"]).status_code == 401
    assert api.get(f"/api/v1/cases/{number}/documents/202600000000.pdf", "acme").status_code == 404


def test_unknown_or_tampered_certificates_are_not_genuine(api: Any, db: Any) -> None:
    unknown = api.get("/api/v1/verify/202612345678")
    assert unknown.status_code == 200
    assert unknown.get_json()["genuine"] is False and unknown.get_json()["holder"] is None
    assert api.get("/api/v1/verify/%E2%80%A0x").get_json()["genuine"] is False

    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    db.execute(update(Certificate).where(Certificate.number == doc["number"]).values(holder_name="冒名公司"))
    db.commit()
    tampered = api.get(f"/api/v1/verify/{doc['number']}")
    assert tampered.status_code == 200
    body = tampered.get_json()
    assert body["genuine"] is False and body["holder"] is None and body["project"] is None
