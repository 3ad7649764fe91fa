"""The parts of the step path every command uses (steps/core.py): the lock and what it reads, the
one call of the engine and how its errors are mapped, the case's next wake-up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.dialects import postgresql

from app import edge
from app.engine import EngineError, TaskNotReady
from app.engine.migration import MigrationRefused
from app.errors import CaseInError, Conflict, NotFound
from app.models import Case, CaseStatus, TaskState, Timer, TimerKind
from app.services import deferred, platform
from app.services.steps import core
from tests.ci_guard import not_applicable
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


class _Spy:
    """A session that records lock_many's statements and finds no rows (no database)."""

    def __init__(self, dialect: str) -> None:
        self.dialect, self.statements, self.info = dialect, [], {}  # type: ignore[var-annotated]

    def get_bind(self) -> Any:
        return SimpleNamespace(dialect=SimpleNamespace(name=self.dialect))

    def scalars(self, stmt: Any) -> Any:
        self.statements.append(stmt)
        return iter([])


def test_a_batch_locks_its_cases_skip_locked_in_id_order_except_on_sqlite() -> None:
    on_postgres, on_sqlite = _Spy("postgresql"), _Spy("sqlite")
    assert core.lock_many(on_postgres, [3, 1]) == [] and core.lock_many(on_sqlite, [3, 1]) == []  # type: ignore[arg-type]
    (pg,), (lite,) = on_postgres.statements, on_sqlite.statements  # nothing found: nothing more read
    sql = str(pg.compile(dialect=postgresql.dialect()))
    assert sql.rstrip().endswith('ORDER BY "case".id FOR UPDATE OF "case" SKIP LOCKED')
    assert "FOR UPDATE" not in str(lite.compile(dialect=postgresql.dialect()))
    assert pg.get_execution_options()["populate_existing"] is True
    assert on_postgres.info == {} and on_sqlite.info == {}


@contextmanager
def _count_statements(db: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        if args[2].startswith("SELECT"):  # not the BEGIN of a transaction
            seen.append(args[2])

    event.listen(db.get_bind(), "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", record)


def test_a_batch_reads_each_cases_open_tasks_and_unfired_timers_fresh_once(db: Any) -> None:
    first, second, third = _start(db), _start(db), _start(db)
    db.execute(delete(Timer).where(Timer.case_id.in_([first.id, second.id, third.id])))
    base = datetime(2027, 3, 1, 9, tzinfo=UTC)
    later = _timer(db, first, base + timedelta(days=1))
    _timer(db, first, base, fired_at=base)
    _timer(db, first, base, cancelled_at=base)
    soon, tie = _timer(db, first, base), _timer(db, first, base)
    own = _timer(db, third, base)
    done = open_task(db, second, "Task_Acceptance")
    done.state = TaskState.COMPLETED
    db.commit()
    connection = db.connection()  # behind the ORM's back: the identity map is stale
    connection.execute(text('UPDATE "case" SET stage = :s WHERE id = :i'), {"s": "改过", "i": first.id})
    task = open_task(db, first, "Task_Acceptance")
    connection.execute(text("UPDATE human_task SET name = :n WHERE id = :i"), {"n": "改过", "i": task.id})
    wanted = [third.id, 987654, first.id, second.id]  # read before counting (expired by the commit)
    with _count_statements(db) as seen:
        locked = core.lock_many(db, wanted)
        assert len(seen) == 3  # the cases, their open tasks, their timers
        assert [lk.case.id for lk in locked] == [first.id, second.id, third.id]
        assert locked[0].case.stage == "改过" and [t.name for t in locked[0].open_tasks] == ["改过"]
        assert locked[1].open_tasks == [] and locked[0].task is None
        assert [t.id for t in locked[0].unfired or []] == [soon.id, tie.id, later.id]
        assert locked[1].unfired == [] and [t.id for t in locked[2].unfired or []] == [own.id]
        # Each case's lock by id in this transaction is what the batch read, once; then read again.
        assert core.lock(db, case_id=first.id) is locked[0]
        assert len(seen) == 3
        again = core.lock(db, case_id=first.id)
        assert again is not locked[0] and again.unfired is None and len(seen) == 5
        assert [t.id for t in again.open_tasks] == [task.id]
        # Locked by one of its tasks, a case's batch reads are dropped (its step may change them).
        assert core.lock(db, task_id=open_task(db, third, "Task_Acceptance").id).case.id == third.id
        assert core.lock(db, case_id=third.id) is not locked[2]
        assert core.lock(db, case_id=second.id) is locked[1]
    db.rollback()


def test_a_case_locked_elsewhere_is_left_out_of_a_batch(app: Any, db: Any) -> None:
    if db.get_bind().dialect.name == "sqlite":
        not_applicable("SQLite writers are serialised: no other transaction holds a case")
    first, second, third = _start(db), _start(db), _start(db)
    with edge.of(app).database.unit_of_work() as other:
        core.lock(other, case_id=second.id)
        locked = core.lock_many(db, [first.id, second.id, third.id])  # does not wait
        assert [lk.case.id for lk in locked] == [first.id, third.id]
        db.rollback()
        other.rollback()
