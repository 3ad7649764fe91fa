"""A second complaint process (declared by its BPMN properties, deployed from a temporary folder)
is filed from the complaint page with `?process=` and worded as a complaint on its status page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Case
from tests.services.test_process_traits import NOISE, deploy_noise_complaint, retire
from tests.web.test_complaints import FORM, answer


@pytest.fixture
def noise(app: Any, db: Any, tmp_path: Path) -> Iterator[str]:
    deploy_noise_complaint(app, db, tmp_path)
    yield NOISE
    retire(db, NOISE)


def test_filed_with_the_chosen_complaint_process_and_worded_as_a_complaint(
    api: Any, db: Any, pages: Any, noise: str
) -> None:
    browser = pages("acme")
    form_page = browser.get(f"/complaints/new?process={noise}").get_data(as_text=True)
    assert f'action="/complaints/new?process={noise}"' in form_page
    response = browser.post(
        f"/complaints/new?process={noise}",
        dict(FORM),
        page=f"/complaints/new?process={noise}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = browser.get("/complaints/filed").get_data(as_text=True)
    number = re.search(r'id="ticket-number">([A-Z0-9]+)<', html).group(1)
    db.expire_all()
    case = db.scalar(select(Case).where(Case.number == number))
    assert case.process_key == noise and case.applicant_id is not None  # filed in the account's name
    db.rollback()

    page = browser.get(f"/track/{number}").get_data(as_text=True)
    assert "Complainant" in page and "<dt>Applicant</dt>" not in page
    assert "the complainant is then asked to rate it" in page
    answer(api, number)
    page = browser.get(f"/track/{number}").get_data(as_text=True)
    assert "Waiting for the rating" in page and "Send my rating" in page
    assert "Correction requests" not in page
    rated = browser.post(f"/track/{number}/rating", {"rating": "not_satisfied"}, page=f"/track/{number}")
    assert rated.status_code == 302
    assert "Thank you for rating the answer" in browser.get(f"/track/{number}").get_data(as_text=True)
    chinese = pages("acme", language="zh_CN").get(f"/track/{number}").get_data(as_text=True)
    assert "投诉人" in chinese


def test_an_unknown_complaint_process_is_not_found(pages: Any) -> None:
    assert pages().get("/complaints/new?process=construction_permit").status_code == 404
