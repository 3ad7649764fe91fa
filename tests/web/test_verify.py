"""The certificate's public verification page and its place on the status page."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from app.models import Certificate
from tests.api.test_certificates import approved_permit


def test_verification_page_for_a_genuine_certificate_masks_the_holder(api: Any, pages: Any) -> None:
    number = approved_permit(api, permit_valid_until="2028-12-31")
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    anyone = pages(language="zh_CN")
    html = anyone.get(f"/verify/{doc['number']}").get_data(as_text=True)
    assert "证照真实" in html and "当前有效" in html
    assert "北湖城市建设投资有限公司" in html and "91350100M000******" in html
    assert "91350100M000100Y43" not in html
    assert "2028-12-31" in html and "北湖新城安置房二期" in html
    english = pages(language="en").get(f"/verify/{doc['number']}").get_data(as_text=True)
    assert "Genuine certificate" in english and "Construction Works Permit" in english


def test_unknown_and_tampered_numbers_say_not_genuine(api: Any, db: Any, pages: Any) -> None:
    anyone = pages(language="en")
    response = anyone.get("/verify/202612345678")
    assert response.status_code == 200
    assert "Not a genuine certificate" in response.get_data(as_text=True)
    assert "No genuine certificate has the number 202612345678" in response.get_data(as_text=True)

    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    db.execute(
        update(Certificate).where(Certificate.number == doc["number"]).values(valid_until=date(2099, 12, 31))
    )
    db.commit()
    html = pages(language="zh_CN").get(f"/verify/{doc['number']}").get_data(as_text=True)
    assert "未查到真实证照" in html and "北湖城市建设投资有限公司" not in html


def test_status_page_lists_the_certificate_and_the_applicant_downloads_it(api: Any, pages: Any) -> None:
    number = approved_permit(api)
    [doc] = api.get(f"/api/v1/cases/{number}", "acme").get_json()["documents"]
    applicant = pages("acme", language="en")
    html = applicant.get(f"/track/{number}").get_data(as_text=True)
    assert doc["number"] in html and "Download the certificate (PDF)" in html
    pdf = applicant.get(f"/track/{number}/documents/{doc['number']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pages("buildco").get(f"/track/{number}/documents/{doc['number']}.pdf").status_code == 404
