"""The parts of the step path every command uses (steps/core.py): the lock and what it reads, the
one call of the engine and how its errors are mapped, the case's next wake-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql

from app.engine import EngineError, TaskNotReady
from app.engine.migration import MigrationRefused
from app.errors import CaseInError, Conflict, NotFound
from app.models import Case, CaseStatus, TaskState, Timer, TimerKind
from app.services import deferred, platform
from app.services.steps import core
from tests.helpers import open_task
from tests.services.test_steps import _start


def test_the_case_row_is_locked_for_update_except_on_sqlite() -> None:
    on_postgres = str(core.case_statement("postgresql", 7).compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE OF" in on_postgres and '"case"' in on_postgres.split("FOR UPDATE OF", 1)[1]
    # SQLite's compiler drops FOR UPDATE anyway: look at that statement as PostgreSQL would write it.
    on_sqlite = str(core.case_statement("sqlite", 7).compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE" not in on_sqlite and "WHERE" in on_sqlite


def test_ids_out_of_range_and_unknown_ones_are_not_found(db: Any) -> None:
    for task_id in (0, -1, core.MAX_ID + 1):
        with pytest.raises(NotFound, match=rf"^no task {task_id}$"):
            core.lock(db, task_id=task_id)
    with pytest.raises(NotFound, match=r"^no task 987654$"):
        core.lock(db, task_id=987654)
    with pytest.raises(NotFound, match=r"^case not found$"):
        core.lock(db, case_id=987654)


def test_the_lock_reads_the_case_and_its_open_tasks_fresh(db: Any) -> None:
    case = _start(db)
    other_case = _start(db)
    task = open_task(db, case, "Task_Acceptance")
    assert db.get(Case, case.id).status == CaseStatus.IN_PROGRESS  # in this session's identity map
    # Behind the ORM's back, as another writer would: the objects in the identity map are stale.
    connection = db.connection()
    connection.execute(text('UPDATE "case" SET stage = :s WHERE id = :i'), {"s": "改过", "i": case.id})
    connection.execute(
        text("UPDATE human_task SET name = :n WHERE id = :i"), {"n": "改过的任务", "i": task.id}
    )
    assert db.get(Case, case.id).stage != "改过"
    locked = core.lock(db, case_id=case.id)
    assert locked.case.stage == "改过"
    assert [t.id for t in locked.open_tasks] == [task.id]  # not the other case's
    assert locked.open_tasks[0].name == "改过的任务"
    assert locked.task is None
    db.rollback()
    assert open_task(db, other_case, "Task_Acceptance").case_id == other_case.id


def test_the_lock_by_task_includes_that_task_even_when_closed(db: Any) -> None:
    case = _start(db)
    task = open_task(db, case, "Task_Acceptance")
    task.state = TaskState.COMPLETED
    db.commit()
    locked = core.lock(db, task_id=task.id)
    assert locked.case.id == case.id
    assert locked.task is not None and locked.task.id == task.id
    assert task.id not in [t.id for t in locked.open_tasks]
    db.rollback()


def _timer(db: Any, case: Case, due: datetime, **extra: Any) -> Timer:
    row = Timer(case_id=case.id, kind=TimerKind.BPMN, due_at=due, created_at=due, **extra)
    db.add(row)
    db.flush()
    return row


def test_the_next_due_timer_is_the_earliest_pending_one_of_the_case(db: Any) -> None:
    case, other = _start(db), _start(db)
    db.execute(delete(Timer).where(Timer.case_id.in_([case.id, other.id])))
    base = datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert core.next_due(db, case.id) is None
    _timer(db, other, base - timedelta(days=3))  # another case's
    _timer(db, case, base - timedelta(days=2), fired_at=base)  # fired
    _timer(db, case, base - timedelta(days=1), cancelled_at=base)  # cancelled
    _timer(db, case, base + timedelta(days=1))
    _timer(db, case, base)
    found = core.next_due(db, case.id)
    assert found is not None and found.replace(tzinfo=found.tzinfo or UTC) == base
    db.rollback()


def test_a_wake_up_is_deferred_in_utc_only_when_something_is_due(db: Any) -> None:
    core.wake_at(db, 41, None)
    assert db.info.get(deferred._KEY) is None
    local = datetime(2027, 3, 1, 17, tzinfo=timezone(timedelta(hours=8)))
    core.wake_at(db, 41, local)
    (item,) = db.info[deferred._KEY]
    assert item == deferred.WakeCase(41, local)
    assert item.at.tzinfo == UTC and item.at.hour == 9
    db.rollback()


def test_the_engine_runs_with_this_steps_helpers_and_its_errors_are_mapped(db: Any) -> None:
    seen: list[Any] = []

    def operation(runtime: Any, *args: Any) -> Any:
        seen.append((runtime, args))
        return "result"

    assert core.run_engine(db, operation, "a", 2) == "result"
    ((runtime, args),) = seen
    assert runtime is platform.of(db).runtime
    assert args[:2] == ("a", 2)
    helpers = args[2]
    assert callable(helpers["working_days"]) and callable(helpers["credit_score"])

    def not_ready(*_args: Any) -> Any:
        raise TaskNotReady("task gone")

    def failing(*_args: Any) -> Any:
        raise EngineError("the gateway has no way out")

    def refused(*_args: Any) -> Any:
        raise MigrationRefused("the task was removed")

    with pytest.raises(Conflict, match=r"^the task is no longer waiting in this case$"):
        core.run_engine(db, not_ready)
    with pytest.raises(
        CaseInError, match=r"^the process could not accept this step: the gateway has no way out$"
    ):
        core.run_engine(db, failing)
    with pytest.raises(MigrationRefused, match="the task was removed"):
        core.run_engine(db, refused)
