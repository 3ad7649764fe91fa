"""The parts of the step path every command uses: the case's lock taken one way, the one call of
the engine for a step of a case (engine errors mapped once), and the case's next wake-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.engine import EngineError, StepResult, TaskNotReady
from app.errors import CaseInError, Conflict, NotFound
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer

from .. import platform, search_index, webhooks
from ..deferred import WakeCase, defer

MAX_ID = 2**63 - 1
RUNNING = (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_APPLICANT)


@dataclass
class Locked:
    """A case under its lock, with its open tasks (and the command's task) read under it."""

    case: Case
    open_tasks: list[HumanTask]
    task: HumanTask | None = None
    # The case's unfired timers, when read with the lock (a batch: :func:`lock_many`).
    unfired: list[Timer] | None = None


_LOCKED_AHEAD = "cases_locked_ahead"  # Session.info: case id -> Locked, see lock_many


def lock(session: Session, *, case_id: int | None = None, task_id: int | None = None) -> Locked:
    """Lock a case — by its id, or by the id of one of its tasks — and read, under the lock, its
    open tasks and that task: the case row `FOR UPDATE` on PostgreSQL (SQLite writers are already
    serialised by `BEGIN IMMEDIATE`), always reloaded, so what was read before is fresh."""
    ahead: dict[int, Locked] = session.info.get(_LOCKED_AHEAD, {})
    if task_id is None and case_id in ahead:
        return ahead.pop(case_id)  # locked by this transaction with its batch, read then
    by_task = task_id is not None
    if task_id is not None and not 0 < task_id <= MAX_ID:  # ids beyond 64 bits cannot exist
        raise NotFound(f"no task {task_id}")  # (and overflow drivers)
    dialect = session.get_bind().dialect.name
    params = {"task_id": task_id} if by_task else {"case_id": case_id}
    row = session.execute(_locking_statement(dialect, by_task), params).first()
    if row is None:
        raise NotFound(f"no task {task_id}" if by_task else "case not found")
    case = row[0]
    search_index.remember(session, case.id, row)
    webhooks.remember_live(session, case.id, row.webhooks_live)
    if by_task:
        rows = list(session.scalars(_TASKS_AND_ONE, {"case_id": case.id, "task_id": task_id}))
    else:
        rows = list(session.scalars(_OPEN_TASKS, {"case_id": case.id}))
    task = next((row for row in rows if row.id == task_id), None)
    ahead.pop(case.id, None)  # locked by a task of its: what its batch read may be stale after this step
    return Locked(case, [row for row in rows if row.state == TaskState.OPEN], task)


def lock_many(session: Session, case_ids: list[int]) -> list[Locked]:
    """Lock many cases at once (a batch of timer firings): the case rows in one statement, their
    open tasks and unfired timers in one each, so that each case's :func:`lock` by id in this
    transaction then reads nothing. On PostgreSQL `FOR UPDATE SKIP LOCKED`: a case locked by
    another transaction is left out (the caller fires it alone, waiting for its lock, once this
    transaction has ended: waiting here, holding the others, could deadlock). Returns the cases
    locked (with what was read), in id order."""
    stmt = select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)
    stmt = stmt.execution_options(populate_existing=True)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update(of=Case, skip_locked=True)
    cases = list(session.scalars(stmt))
    ids = [case.id for case in cases]
    if not ids:
        return []
    ahead = {case.id: Locked(case, [], unfired=[]) for case in cases}
    tasks = select(HumanTask).where(HumanTask.case_id.in_(ids), HumanTask.state == TaskState.OPEN)
    for row in session.scalars(tasks.order_by(HumanTask.id).execution_options(populate_existing=True)):
        ahead[row.case_id].open_tasks.append(row)
    timers = select(Timer).where(
        Timer.case_id.in_(ids), Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
    )
    for timer in session.scalars(timers.order_by(Timer.case_id, Timer.due_at, Timer.id)):
        unfired = ahead[timer.case_id].unfired
        assert unfired is not None
        unfired.append(timer)
    session.info.setdefault(_LOCKED_AHEAD, {}).update(ahead)
    return list(ahead.values())


# The statements of every step, built once: building one (its comparisons coerced, its cache key
# generated) cost about as much as running it on SQLite (issue 22).
_OPEN = HumanTask.state == TaskState.OPEN
_OPEN_TASKS = (
    select(HumanTask)
    .where(HumanTask.case_id == bindparam("case_id"), _OPEN)
    .execution_options(populate_existing=True)
)
# The case's open tasks and the command's task, whatever its state (a completed task is refused
# by its state, not as unknown).
_TASKS_AND_ONE = (
    select(HumanTask)
    .where(HumanTask.case_id == bindparam("case_id"), _OPEN | (HumanTask.id == bindparam("task_id")))
    .execution_options(populate_existing=True)
)
_CASE_OF_TASK = select(HumanTask.case_id).where(HumanTask.id == bindparam("task_id")).scalar_subquery()


@cache
def _locking_statement(dialect: str, by_task: bool) -> Any:
    """The case row as :func:`case_statement` reads it — by its id (parameter ``case_id``) or by a
    task's (``task_id``) — and in the same statement what the step's search indexing reads of it
    (its applicant's names, its row of the index) and whether any webhook subscription is live:
    two round trips fewer per step (issue 22)."""
    target = _CASE_OF_TASK if by_task else bindparam("case_id")
    return (
        case_statement(dialect, target)
        .add_columns(*search_index.KNOWN_BESIDE_CASE, webhooks.ANY_LIVE)
        .select_from(search_index.CASE_WITH_KNOWN)
    )


def case_statement(dialect: str, target: Any) -> Any:
    """The case row, always reloaded; `FOR UPDATE` except on SQLite (whose writers are serialised)."""
    stmt = select(Case).where(Case.id == target).execution_options(populate_existing=True)
    return stmt if dialect == "sqlite" else stmt.with_for_update(of=Case)


def run_engine(session: Session, operation: Callable[..., StepResult], *args: Any) -> StepResult:
    """The one place the engine runs a step of a case, with this step's helpers; engine errors
    become domain errors here (a script failing inside the step is not an error here: it comes
    back in the result and puts the case in `error`)."""
    runtime = platform.of(session).runtime
    try:
        return operation(runtime, *args, platform.process_helpers(session))
    except TaskNotReady as err:
        raise Conflict("the task is no longer waiting in this case") from err
    except EngineError as err:
        raise CaseInError(f"the process could not accept this step: {err.message}") from err


def next_due(session: Session, case_id: int) -> datetime | None:
    return session.scalar(
        select(func.min(Timer.due_at)).where(
            Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
        )
    )


def wake_at(session: Session, case_id: int, due: datetime | None) -> None:
    if due is not None:
        defer(session, WakeCase(case_id, due.astimezone(UTC)))
