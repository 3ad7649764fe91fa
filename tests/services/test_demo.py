"""The demo data: loading it twice (`make run` again) adds nothing the second time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import Case, HumanTask, ServiceRating, Substitution
from app.services import demo
from tests.conftest import PASSWORD


def test_loading_the_demo_twice_adds_no_second_set_of_cases(db: Any) -> None:
    demo.load(db, password=PASSWORD, with_cases=True, echo=lambda _m: None)
    db.commit()
    count = db.scalar(select(func.count()).select_from(Case))
    assert count and count >= 20
    summary = demo.load(db, password=PASSWORD, with_cases=True, echo=lambda _m: None)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Case)) == count
    assert "none added" in summary
    # The procedures' states are among them: a suspended, a withdrawn, a rated case with its follow-up.
    statuses = set(db.scalars(select(Case.status)))
    assert "withdrawn" in statuses
    assert any(p.get("kind") == "suspension" for c in db.scalars(select(Case)) for p in c.clock_pauses or [])
    assert db.scalar(select(func.count()).select_from(ServiceRating).where(ServiceRating.level == 1)) == 1
    procedures = set(db.scalars(select(HumanTask.procedure).where(HumanTask.procedure.is_not(None))))
    assert {"follow_up", "extension_approval", "consultation"} <= procedures
    # Each new state: extended, returned, deemed consent, an opinion pending (加签), a substitute (委托).
    assert db.scalar(select(func.count()).select_from(Case).where(Case.extension_days > 0)) >= 1
    outcomes = set(db.scalars(select(HumanTask.outcome).where(HumanTask.outcome.is_not(None))))
    assert {"returned", "deemed_consent"} <= outcomes
    pending = select(func.count()).select_from(HumanTask)
    assert db.scalar(pending.where(HumanTask.procedure == "consultation", HumanTask.state == "open")) == 1
    assert db.scalar(select(func.count()).select_from(Substitution)) == 1  # not added again
