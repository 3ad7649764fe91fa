"""The task page shows a complaint's personal values (stored encrypted) to staff working on it, and
neither them nor their references to the company ordered to rectify."""

from __future__ import annotations

from typing import Any

from app.services import personal_data
from tests.helpers import complete_at, open_task
from tests.services.test_complaints import at, order
from tests.services.test_personal_data import ID_NUMBER, NAME, PHONE, file_complaint


def test_the_task_page_shows_the_values_to_staff(db: Any, pages: Any) -> None:
    case = file_complaint(db)
    handle = open_task(db, case, "Task_Handle")
    db.rollback()
    html = pages("permit_officer").get(f"/tasks/{handle.id}").get_data(as_text=True)
    assert PHONE in html and ID_NUMBER in html and NAME in html
    assert personal_data.REF_PREFIX not in html


def test_the_company_ordered_to_rectify_sees_no_contact_on_its_task_page(db: Any, pages: Any) -> None:
    case = file_complaint(db)
    complete_at(db, case, "Task_Handle", "permit_officer", {"decision": "inspect"}, at(16, 14))
    complete_at(db, case, "Task_Inspect", "inspector", order(), at(17, 10))
    rectify = open_task(db, case, "Task_Rectify")
    db.rollback()
    response = pages("buildco").get(f"/tasks/{rectify.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert order()["legal_basis"] in html
    assert "The company ordered to act" in html and "Applicant</dd>" not in html  # not "Group: Applicant"
    for secret in (NAME, PHONE, ID_NUMBER, personal_data.REF_PREFIX, "22点后"):
        assert secret not in html, secret
