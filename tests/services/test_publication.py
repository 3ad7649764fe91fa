"""信息公开 through the step path (steps/publication.py): a finished case is withheld from the public
disclosure once, with its reason (trimmed, at most 500 characters), stamped and audited; a missing
or overlong reason, a running case and a second withholding are refused with nothing changed.
Two one-step processes stand in for a permit: one ends at once, one waits at a task."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.errors import Conflict, InvalidData, PermitFlowError
from app.models import Case, CaseStatus
from app.services import processes, steps
from tests.engine.bpmn_factory import condition_process, write
from tests.helpers import case_events, user_named

WHEN = datetime(2026, 11, 18, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
WITHHELD = "case.disclosure_withheld"


def tiny_case(app: Any, db: Any, tmp_path: Path, *, finished: bool) -> Case:
    """A case that ended at its start (closed), or one still waiting at its task."""
    key = "ends_at_once" if finished else "waits_at_a_task"
    with app.app_context():
        processes.deploy_processes(
            db, None, [write(tmp_path, key, condition_process(key, str(not finished)))]
        )
        db.commit()
    case = steps.advance(db, steps.StartCase(processes.current_version(db, key), {}, None, None)).case
    db.commit()
    assert case.status.is_final is finished
    return case


def _withhold(db: Any, case: Case, reason: str) -> steps.StepOutcome:
    with clock.travel_to(WHEN):
        outcome = steps.advance(db, steps.WithholdDisclosure(case.id, user_named(db, "window_chief"), reason))
        db.commit()
    return outcome


def _refusal(db: Any, case: Case, error: type[PermitFlowError], reason: str) -> PermitFlowError:
    with pytest.raises(error) as caught:
        _withhold(db, case, reason)
    db.rollback()
    return caught.value


def _stored(db: Any, case: Case) -> tuple[datetime | None, str | None]:
    db.expire_all()
    found = db.get(Case, case.id)
    return found.withheld_at, found.withheld_reason


def test_a_finished_case_is_withheld_once_with_its_trimmed_reason(app: Any, db: Any, tmp_path: Path) -> None:
    case = tiny_case(app, db, tmp_path, finished=True)
    outcome = _withhold(db, case, "  涉及国家安全\n")
    assert outcome.case.id == case.id and outcome.task is None
    assert _stored(db, case) == (WHEN, "涉及国家安全")
    (event,) = case_events(db, case, WITHHELD)
    assert event.actor_id == user_named(db, "window_chief").id
    assert event.detail == {"reason": "涉及国家安全"}
    again = _refusal(db, case, Conflict, "再次")
    assert again.message == "this case's publication is already withheld"
    assert _stored(db, case) == (WHEN, "涉及国家安全") and len(case_events(db, case, WITHHELD)) == 1
    assert db.get(Case, case.id).status is CaseStatus.CLOSED  # withholding ends nothing more


def test_the_reason_is_required_and_at_most_500_characters(app: Any, db: Any, tmp_path: Path) -> None:
    case = tiny_case(app, db, tmp_path, finished=True)
    empty = _refusal(db, case, InvalidData, " \n ")
    assert empty.message == "a reason is required to withhold a publication"
    assert empty.errors == {"reason": ["is required"]}
    long = _refusal(db, case, InvalidData, "理" * 501)
    assert long.message == "the reason is too long"
    assert long.errors == {"reason": ["at most 500 characters"]}
    assert _stored(db, case) == (None, None) and case_events(db, case, WITHHELD) == []
    _withhold(db, case, " " + "理" * 500 + " ")  # the limit is on the trimmed reason
    assert _stored(db, case) == (WHEN, "理" * 500)


def test_a_running_case_is_not_withheld(app: Any, db: Any, tmp_path: Path) -> None:
    case = tiny_case(app, db, tmp_path, finished=False)
    refused = _refusal(db, case, Conflict, "暂缓公开")
    assert refused.message == "only a finished case is published; this one is still running"
    assert _stored(db, case) == (None, None) and case_events(db, case, WITHHELD) == []
