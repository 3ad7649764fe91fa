"""The one gateway every change of a case's workflow goes through.

``lock_case`` takes the per-case lock; ``apply_step`` saves the engine's result and keeps the
human-task and timer rows, the status, the stage and the statutory clock in step with it.
Nothing else writes a case's ``status`` or ``state``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.engine import StepResult, parse_time_limit
from app.errors import NotFound
from app.models import (
    Case,
    CaseStatus,
    HumanTask,
    TaskState,
    Timer,
    TimerKind,
    User,
)

from . import audit, certificates, credit, durations, platform
from .deferred import WakeCase, defer

APPLICANT_GROUP = "applicant"


def lock_case(session: Session, case_id: int) -> Case:
    """Load the case under its row lock (PostgreSQL `FOR UPDATE`; SQLite writers are already
    serialised by `BEGIN IMMEDIATE`). Always reloads, so what was read before the lock is fresh."""
    stmt = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    case = session.scalar(stmt)
    if case is None:
        raise NotFound("case not found")
    return case


def lock_case_of_task(session: Session, task_id: int) -> tuple[Case, HumanTask, list[HumanTask]]:
    """Lock the case of task ``task_id`` and read, under the lock, the task and the case's open
    tasks: two statements (the task is looked up inside the locking statement). NotFound when
    there is no such task."""
    case_id = select(HumanTask.case_id).where(HumanTask.id == task_id).scalar_subquery()
    stmt = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update(of=Case)
    case = session.scalar(stmt)
    if case is None:
        raise NotFound(f"no task {task_id}")
    rows = list(
        session.scalars(
            select(HumanTask)
            .where(
                HumanTask.case_id == case.id,
                (HumanTask.state == TaskState.OPEN) | (HumanTask.id == task_id),
            )
            .execution_options(populate_existing=True)
        )
    )
    task = next(row for row in rows if row.id == task_id)
    return case, task, [row for row in rows if row.state == TaskState.OPEN]


def apply_step(
    session: Session,
    case: Case,
    result: StepResult,
    *,
    actor: User | None,
    action: str,
    detail: dict[str, Any] | None = None,
    completed: HumanTask | None = None,
    submitted: dict[str, Any] | None = None,
    open_tasks: list[HumanTask] | None = None,
) -> None:
    """Save ``result`` on the locked ``case`` and mirror it in rows. Flushes, never commits.

    ``open_tasks``: the case's open task rows when the caller has just read them under the lock
    (saves reading them again)."""
    now = clock.now()
    # Read before anything is changed, so no autoflush runs here: the rows are written once, at
    # the end. Timers are closed in memory and flushed with the rest (no UPDATE per task).
    if open_tasks is None:
        open_tasks = list(
            session.scalars(
                select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
            )
        )
    unfired = _unfired_timers(session, case.id)
    was_approved = case.status == CaseStatus.APPROVED
    case.state = result.state
    case.data = result.data
    case.rating = durations.stored_rating(session, case, result.data)
    case.updated_at = now
    # Every change to the case row is made before the first flush, so the row is written once.
    _update_status(case, result, now)
    _update_clock(case, result, now)
    durations.record_case(session, case)

    if completed is not None:
        completed.state = TaskState.COMPLETED
        completed.completed_at = now
        completed.completed_by_id = actor.id if actor else None
        completed.assignee_id = completed.assignee_id or (actor.id if actor else None)
        completed.submitted = submitted
        completed.outcome = outcome_of(submitted)
        durations.record_task(session, completed)
        _close_timers(unfired, completed.id, now)

    open_rows = {
        row.spiff_task_id: row
        for row in open_tasks
        if row.state == TaskState.OPEN and (completed is None or row.id != completed.id)
    }
    ready_ids = {task.id for task in result.ready}
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready_ids:
            # Gone from the workflow without being completed here: cancelled by an interrupting
            # event, a terminate end, or the case ending in error.
            row.state = TaskState.CANCELLED
            row.completed_at = now
            durations.record_task(session, row)
            _close_timers(unfired, row.id, now)

    unfired = [t for t in unfired if t.cancelled_at is None and t.fired_at is None]
    cal = platform.calendar(session)
    rows_by_spiff_id = dict(open_rows)
    added: list[Timer] = []
    for task in result.ready:
        if task.id in open_rows:
            continue
        due_at, warn_at = cal.due(now, task.time_limit)
        row = HumanTask(
            case_id=case.id,
            case_number=case.number,
            process_key=case.process_key,
            project_name=case.project_name,
            spiff_task_id=task.id,
            bpmn_id=task.bpmn_id,
            name=task.name,
            name_en=task.name_en,
            candidate_group=task.candidate_group,
            assignee_id=(
                case.applicant_id
                if task.candidate_group == APPLICANT_GROUP and not task.context.get("performer_credit_code")
                else None
            ),
            state=TaskState.OPEN,
            form_key=task.form,
            time_limit=task.time_limit,
            pauses_clock=task.pauses_clock,
            created_at=now,
            due_at=due_at,
            warn_at=warn_at,
            escalation_level=0,
            context=task.context,
        )
        session.add(row)
        rows_by_spiff_id[task.id] = row
        for timer_kind, at in ((TimerKind.SLA_WARNING, warn_at), (TimerKind.SLA_OVERDUE, due_at)):
            if at is not None:
                timer = Timer(case_id=case.id, kind=timer_kind, human_task=row, due_at=at, created_at=now)
                session.add(timer)
                added.append(timer)

    # One read of the case's unfired timers (above) serves the tasks' timers, the BPMN timers, the
    # case's own timer and the wake-up time.
    added += _sync_bpmn_timers(session, case, result, now, rows_by_spiff_id, unfired)
    added += _sync_case_timer(session, case, now, unfired, added)
    session.flush()
    if not case.status.is_final:  # a final case's timers were all cancelled
        due = min(
            (t.due_at for t in unfired + added if t.fired_at is None and t.cancelled_at is None),
            default=None,
        )
        if due is not None:
            defer(session, WakeCase(case.id, due.astimezone(UTC)))
    audit.record(
        session,
        action,
        actor=actor,
        case=case,
        detail={
            **(detail or {}),
            "status": case.status.value,
            **({"error": result.error.as_dict()} if result.error else {}),
        },
    )
    for deduction in result.credit_deductions:
        # An event with the property `credit_deduction` completed: the company loses points.
        credit.deduct(
            session,
            deduction["credit_code"],
            deduction["points"],
            deduction["reason"],
            case=case,
            source=deduction["bpmn_id"],
        )
    kind = result.end_properties.get("certificate")
    if kind and case.status == CaseStatus.APPROVED and not was_approved:
        # The end event asks for a certificate (e.g. a construction permit): issue it once.
        certificates.issue(
            session, case, kind, issuer=result.end_properties.get("certificate_issuer"), actor=actor
        )


def outcome_of(submitted: dict[str, Any] | None) -> str | None:
    """A step's outcome is its form's `decision` (or `outcome`) field, when there is one."""
    if not submitted:
        return None
    value = submitted.get("decision", submitted.get("outcome"))
    return str(value)[:64] if isinstance(value, str | int | bool) else None


def _close_timers(unfired: list[Timer], human_task_id: int, now: datetime) -> None:
    for timer in unfired:
        if timer.human_task_id == human_task_id and timer.fired_at is None and timer.cancelled_at is None:
            timer.cancelled_at = now


def _unfired_timers(session: Session, case_id: int) -> list[Timer]:
    return list(
        session.scalars(
            select(Timer).where(
                Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
            )
        )
    )


def _sync_bpmn_timers(
    session: Session,
    case: Case,
    result: StepResult,
    now: datetime,
    rows: dict[str, HumanTask],
    unfired: list[Timer],
) -> list[Timer]:
    """Mirror the workflow's waiting timers; returns the timers added."""
    existing = {t.spiff_task_id: t for t in unfired if t.kind == TimerKind.BPMN}
    added: list[Timer] = []
    waiting = {t.task_id: t for t in result.timers}
    for spiff_id, row in existing.items():
        pending = waiting.get(spiff_id or "")
        if pending is None:
            # Gone from the workflow: it fired if it was due, else its activity ended first.
            if row.due_at <= now:
                row.fired_at = now
            else:
                row.cancelled_at = now
        elif pending.due_at != row.due_at:
            row.due_at = pending.due_at  # cycle timers move on to their next due time
    for spiff_id, pending in waiting.items():
        if spiff_id in existing:
            continue
        level = pending.properties.get("escalation_level", "0")
        timer = Timer(
            case_id=case.id,
            kind=TimerKind.BPMN,
            spiff_task_id=spiff_id,
            bpmn_id=pending.bpmn_id,
            human_task=rows.get(pending.attached_to or ""),
            level=int(level) if level.isdigit() else 0,
            due_at=pending.due_at,
            created_at=now,
            note=(pending.properties.get("notify") or None),
        )
        session.add(timer)
        added.append(timer)
    return added


def _sync_case_timer(
    session: Session, case: Case, now: datetime, unfired: list[Timer], added: list[Timer]
) -> list[Timer]:
    """The case's own statutory limit is a timer too (overdue → supervisors are told). Returns the
    timer added, if any. A final case's timers are all cancelled (``unfired`` holds every unfired
    timer of the case read under its lock, ``added`` those added in this step)."""
    timer = next(
        (t for t in unfired if t.kind == TimerKind.SLA_OVERDUE and t.human_task_id is None),
        None,
    )
    if case.status.is_final:
        for t in unfired + added:
            if t.fired_at is None and t.cancelled_at is None:
                t.cancelled_at = now
        return []
    if case.due_at is None:
        return []
    if timer is None:
        timer = Timer(case_id=case.id, kind=TimerKind.SLA_OVERDUE, due_at=case.due_at, created_at=now)
        session.add(timer)
        return [timer]
    if timer.due_at != case.due_at:
        timer.due_at = case.due_at
    return []


def next_due(session: Session, case_id: int) -> datetime | None:
    return session.scalar(
        select(func.min(Timer.due_at)).where(
            Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
        )
    )


def schedule_wakeup(session: Session, case: Case) -> None:
    """After commit, wake the case at its earliest unfired timer (one job per case)."""
    due = next_due(session, case.id)
    if due is not None:
        defer(session, WakeCase(case.id, due))


def _update_status(case: Case, result: StepResult, now: datetime) -> None:
    if result.error is not None:
        case.status = CaseStatus.ERROR
        case.error = result.error.as_dict()
        return
    case.error = None
    if result.finished:
        case.status = (
            CaseStatus(result.end_status)
            if result.end_status in {s.value for s in CaseStatus}
            else CaseStatus.CLOSED
        )
        case.completed_at = case.completed_at or now
        case.stage, case.stage_en = None, None
        return
    groups = {task.candidate_group for task in result.ready}
    case.status = CaseStatus.WAITING_FOR_APPLICANT if groups == {APPLICANT_GROUP} else CaseStatus.IN_PROGRESS
    case.stage = "、".join(task.name for task in result.ready)[:500] or None
    case.stage_en = ", ".join(task.name_en for task in result.ready)[:500] or None


def _update_clock(case: Case, result: StepResult, now: datetime) -> None:
    """Stop the statutory clock while a `clock = paused` task is open; restart it after."""
    paused_now = (not result.finished) and any(task.pauses_clock for task in result.ready)
    pauses = [dict(p) for p in (case.clock_pauses or [])]
    open_pause = pauses[-1] if pauses and pauses[-1].get("to") is None else None
    if paused_now and open_pause is None:
        reason = next(task.name for task in result.ready if task.pauses_clock)
        pauses.append({"from": now.isoformat(), "to": None, "reason": reason})
    elif not paused_now and open_pause is not None:
        open_pause["to"] = now.isoformat()
    else:
        return
    case.clock_pauses = pauses
    case.due_at = case_due(case)


def paused_working_days(case: Case, until: datetime | None = None) -> int:
    cal = platform.get().calendar
    total = 0
    for pause in case.clock_pauses or []:
        start = datetime.fromisoformat(pause["from"])
        end = datetime.fromisoformat(pause["to"]) if pause.get("to") else (until or clock.now())
        total += cal.working_days_between(start, end)
    return total


def case_due(case: Case) -> datetime | None:
    """The case's statutory due time: its limit in working days, extended by paused days."""
    parsed = parse_time_limit(case.time_limit or "")
    if parsed is None:
        return None
    amount, unit = parsed
    cal = platform.get().calendar
    if unit != "wd":
        return cal.due(case.submitted_at, case.time_limit)[0]
    return cal.add_working_days(case.submitted_at, amount + paused_working_days(case))
