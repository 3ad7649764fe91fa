"""The confirmation step of a grant: the decision that grants a certificate first shows the
certificate it will issue (nothing changes), then issues it once confirmed; a validity before the
decision date is refused with the field named and no preview."""

from __future__ import annotations

from typing import Any

from app import clock
from app.models import CaseStatus, Certificate
from tests.helpers import open_task, snapshot
from tests.services.test_procedures import _to_decision, at, fresh, submit


def test_a_grant_is_confirmed_on_its_certificate_preview(db: Any, pages: Any) -> None:
    case = submit(db)
    _to_decision(db, case)
    decision = open_task(db, case, "Task_Decision")
    db.rollback()
    officer = pages("permit_officer")
    url, page = f"/tasks/{decision.id}/complete", f"/tasks/{decision.id}"
    grant = {"decision": "approve", "permit_valid_until": "2029-12-31"}
    with clock.travel_to(at(18, 10)):
        before = snapshot(db, case.number)
        past = officer.post(url, {**grant, "permit_valid_until": "2020-01-01"}, page=page)
        assert past.status_code == 422 and 'id="grant-confirm"' not in past.get_data(as_text=True)
        assert 'href="#f-permit_valid_until">Permit valid until:' in past.get_data(as_text=True)
        shown = officer.post(url, grant, page=page)
        html = shown.get_data(as_text=True)
        assert shown.status_code == 200 and 'id="grant-confirm"' in html
        assert "Construction Works Permit" in html and "2026-11-18 – 2029-12-31" in html
        assert snapshot(db, case.number) == before  # the preview changed nothing
        done = officer.post(url, {**grant, "confirm_grant": "1"}, page=page)
        assert done.status_code == 302
    db.expire_all()
    assert fresh(db, case).status == CaseStatus.APPROVED
    cert = db.query(Certificate).filter_by(case_id=case.id).one()
    assert cert.valid_until.isoformat() == "2029-12-31"
