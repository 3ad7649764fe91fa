"""Platform tasks that lose their point when the engine decides the case: the supervisor's approval
of an extension (延期) and the assignee's reply to a 督办 order are cancelled with their timers, so
nobody approves an extension of a case that is already refused; a 差评 follow-up is not affected."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.errors import Conflict
from app.models import HumanTask, TaskState, Timer
from app.services import case_procedures, tasks
from tests.helpers import user_named
from tests.services.test_procedures import _refuse, at, fresh, submit


def _row(db: Any, task_id: int) -> tuple[TaskState, int]:
    db.expire_all()
    task = db.get(HumanTask, task_id)
    unfired = db.scalars(
        select(Timer).where(
            Timer.human_task_id == task_id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
        )
    ).all()
    found = (task.state, len(unfired))
    db.rollback()
    return found


def test_an_open_extension_approval_ends_when_the_case_is_decided(db: Any) -> None:
    case = submit(db)
    clerk, chief = user_named(db, "clerk"), user_named(db, "window_chief")
    with clock.travel_to(at(16, 9)):
        approval = case_procedures.request_extension(db, clerk, case.number, 5, "需现场核查").task
        db.commit()
    assert approval is not None and _row(db, approval.id)[0] == TaskState.OPEN
    _refuse(db, case)  # the reviews refuse it: the engine ends the case
    assert fresh(db, case).status.is_final
    state, unfired = _row(db, approval.id)
    assert state == TaskState.CANCELLED and unfired == 0
    with pytest.raises(Conflict):  # nobody extends a decided case
        tasks.complete_task(db, chief, approval.id, {"decision": "approve"})
    db.rollback()
    assert fresh(db, case).extension_days == 0
