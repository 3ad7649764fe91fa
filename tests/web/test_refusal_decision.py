"""不予许可决定书: a refused permit shows its reasons, legal basis and remedies on the status page,
with the decision as a PDF for the applicant and staff only."""

from __future__ import annotations

import html as html_lib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import clock
from app.models import Case
from app.services import refusal_decision
from tests.helpers import complete_at, user_named
from tests.services.test_procedures import _to_decision, submit

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH)


def at_decision(db: Any) -> Case:
    """A permit submitted Monday 16 November, accepted and approved by every agency: at its decision."""
    case = submit(db)
    _to_decision(db, case)
    return case


def refused_case(db: Any, decision: dict[str, Any]) -> str:
    case = at_decision(db)
    complete_at(db, case, "Task_Decision", "permit_officer", decision, at(18, 10))
    return case.number


def test_a_refused_permit_states_reasons_basis_and_remedies(db: Any, pages: Any) -> None:
    basis = "《建筑工程施工许可管理办法》第四条"
    number = refused_case(db, {"decision": "reject", "reasons": "资金证明不足", "legal_basis": basis})
    stored = db.scalar(select(Case).where(Case.number == number))
    decision = refusal_decision.refusal_of(db, stored)
    db.rollback()
    assert decision is not None and decision.legal_basis == basis
    assert [r.text for r in decision.reasons] == ["资金证明不足"]
    assert decision.decided_on.isoformat() == "2026-11-18"

    acme = pages("acme")
    page = html_lib.unescape(acme.get(f"/track/{number}").get_data(as_text=True))
    assert "Decision refusing the permit" in page and "资金证明不足" in page and basis in page
    assert "within 60 days" in page and "within 6 months" in page
    pdf = acme.get(f"/track/{number}/refusal.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and b"refusal-" in pdf.headers["Content-Disposition"].encode()
    assert pages("permit_officer").get(f"/track/{number}/refusal.pdf").status_code == 200
    assert pages("buildco").get(f"/track/{number}/refusal.pdf").status_code in (403, 404)
    zh = html_lib.unescape(pages("acme", language="zh-CN").get(f"/track/{number}").get_data(as_text=True))
    assert "不予许可决定" in zh and "行政复议" in zh


def test_a_refusal_without_reasons_or_legal_basis_is_refused(db: Any) -> None:
    import pytest

    from app.errors import InvalidData
    from app.services import tasks
    from tests.helpers import open_task

    number = refused_case(db, {"decision": "approve"})  # granted: the grant path, no refusal
    stored = db.scalar(select(Case).where(Case.number == number))
    assert refusal_decision.refusal_of(db, stored) is None
    db.rollback()
    case = at_decision(db)
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    with pytest.raises(InvalidData) as err:
        tasks.complete_task(db, officer, decision.id, {"decision": "reject", "reasons": "不足"})
    db.rollback()
    assert "legal_basis" in err.value.errors


def test_a_case_that_was_not_refused_has_no_decision_pdf(api: Any, pages: Any) -> None:
    from tests.helpers import submit_permit

    number = submit_permit(api)["number"]
    acme = pages("acme")
    assert acme.get(f"/track/{number}/refusal.pdf").status_code == 404
    assert "Decision refusing the permit" not in acme.get(f"/track/{number}").get_data(as_text=True)


def test_a_grant_validity_before_the_decision_date_is_refused_with_the_field_named(db: Any) -> None:
    import pytest

    from app.errors import InvalidData
    from app.services import tasks
    from tests.helpers import open_task, snapshot

    case = at_decision(db)
    decision = open_task(db, case, "Task_Decision")
    officer = user_named(db, "permit_officer")
    before = snapshot(db, case.number)
    for until, message in (
        ("2020-01-01", "on or after the decision date"),
        ("2040-01-01", "at most 5 years"),
    ):
        with clock.travel_to(at(18, 10)), pytest.raises(InvalidData) as err:
            tasks.complete_task(
                db, officer, decision.id, {"decision": "approve", "permit_valid_until": until}
            )
        db.rollback()
        assert message in err.value.errors["permit_valid_until"][0]
    assert snapshot(db, case.number) == before
    complete_at(
        db,
        case,
        "Task_Decision",
        "permit_officer",
        {"decision": "approve", "permit_valid_until": "2029-12-31"},
        at(18, 10),
    )
