"""A new query code through the step path (steps/query_codes.py): the old code stops working, the
replacement is audited with its channel, and the same case gets no other within the window (429
with the seconds to wait; another case is not held up), until the window has passed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.errors import TooManyRequests
from app.models import Case
from app.services import case_numbers, platform, steps
from tests.helpers import case_events
from tests.services.test_publication import tiny_case

FIRST = datetime(2026, 11, 18, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
REPLACED = "case.query_code_replaced"


def _replace(db: Any, case: Case, when: datetime, channel: str = "sms") -> steps.StepOutcome:
    with clock.travel_to(when):
        outcome = steps.advance(db, steps.ReplaceQueryCode(case.id, channel))
        db.commit()
    return outcome


def _fresh(db: Any, case: Case) -> Case:
    db.expire_all()
    found = db.get(Case, case.id)
    assert found is not None
    return found


def test_a_new_code_replaces_the_old_one_and_is_audited(app: Any, db: Any, tmp_path: Path) -> None:
    with clock.travel_to(FIRST - timedelta(hours=1)):  # filed an hour before
        case = tiny_case(app, db, tmp_path, finished=False)
    before = _fresh(db, case).query_code_hash
    outcome = _replace(db, case, FIRST, "email")
    assert outcome.case.id == case.id and outcome.query_code
    found = _fresh(db, case)
    assert found.query_code_hash != before
    assert case_numbers.code_matches(db, found, outcome.query_code)
    (event,) = case_events(db, case, REPLACED)
    assert event.actor_id is None and event.detail == {"channel": "email"}
    assert event.created_at == FIRST


def test_the_same_case_gets_no_other_code_within_the_window(app: Any, db: Any, tmp_path: Path) -> None:
    with clock.travel_to(FIRST - timedelta(hours=1)):
        case, other = (tiny_case(app, db, tmp_path, finished=False) for _ in range(2))
    hours = platform.of(db).settings.code_recovery_hours
    window = timedelta(hours=hours)
    code = _replace(db, case, FIRST).query_code
    assert code
    for later, retry_after in (
        (timedelta(hours=1), (hours - 1) * 3600),
        (window - timedelta(seconds=0.5), 1),
    ):
        with pytest.raises(TooManyRequests) as refused:
            _replace(db, case, FIRST + later)
        db.rollback()
        assert (
            refused.value.message
            == f"a new query code was already sent for this case in the last {hours} hours"
        )
        assert refused.value.retry_after == retry_after
    assert case_numbers.code_matches(db, _fresh(db, case), code) and len(case_events(db, case, REPLACED)) == 1
    assert _replace(db, other, FIRST + timedelta(hours=1)).query_code  # its own window
    again = _replace(db, case, FIRST + window)  # the window has passed
    assert again.query_code and case_numbers.code_matches(db, _fresh(db, case), again.query_code)
    assert len(case_events(db, case, REPLACED)) == 2
