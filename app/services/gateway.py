"""Mirroring an engine step in rows: the case's status, stage and statutory clock, its human-task
rows and its timer rows. Only the step path (``services.steps``) calls :func:`mirror`, under the
case's lock; nothing else writes a case's ``status`` or ``state``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import clock
from app.engine import ReadyTask, StepResult
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind, User

from . import durations, held_flush, message_waits, platform
from .case_clock import case_due

APPLICANT_GROUP = "applicant"


@dataclass
class Mirrored:
    """What one step changed, for the after-step effects."""

    was_approved: bool
    was_final: bool = False  # the case had ended before the step
    # Every unfired timer of the case after the step (read under the lock, plus those added).
    unfired: list[Timer] = field(default_factory=list)

    @classmethod
    def before(cls, case: Case, *, new: bool) -> Mirrored:
        """What the case was before the step (a new case was nothing yet: its row already holds
        what the step made it)."""
        if new:
            return cls(was_approved=False)
        return cls(was_approved=case.status == CaseStatus.APPROVED, was_final=case.status.is_final)

    def next_due(self) -> datetime | None:
        live = [t.due_at for t in self.unfired if t.fired_at is None and t.cancelled_at is None]
        return min(live, default=None)


def mirror(
    session: Session,
    case: Case,
    result: StepResult,
    open_tasks: list[HumanTask],
    *,
    actor: User | None = None,
    completed: HumanTask | None = None,
    submitted: dict[str, Any] | None = None,
    relabel: bool = False,
    reopen: HumanTask | None = None,
    unfired: list[Timer] | None = None,
    new_case_at: datetime | None = None,
) -> Mirrored:
    """Save ``result`` on the locked ``case`` and mirror it in rows. Flushes, never commits.
    ``open_tasks``: the case's open task rows read under the lock. ``relabel``: open tasks take
    their name, form and group from the ready tasks (a case moved to another version).
    ``reopen``: a completed task the workflow was sent back to (退回, recall), open again.
    ``unfired``: the case's unfired timers if just read under the lock, else read here.
    ``new_case_at``: the case was created then, its row made by :func:`case_row`."""
    now = new_case_at or clock.now()  # the timers read before anything changes, closed in memory:
    unfired = unfired_timers(session, case.id) if unfired is None else list(unfired)
    mirrored = Mirrored.before(case, new=new_case_at is not None)
    _save_case(session, case, result, now, fields=new_case_at is None)
    if completed is not None:
        complete_row(session, completed, actor, submitted, now)
        _close_timers(unfired, completed.id, now)
    open_rows = {
        row.spiff_task_id: row
        for row in open_tasks
        if row.state == TaskState.OPEN
        and row.procedure is None  # the platform's own tasks are not the engine's to close
        and (completed is None or row.id != completed.id)
    }
    ready = {task.id: task for task in result.ready}
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready:
            # Gone from the workflow without being completed here: cancelled by an interrupting
            # event, a terminate end, or the case ending in error.
            row.state = TaskState.CANCELLED
            row.completed_at = now
            durations.record_task(session, row)
            _close_timers(unfired, row.id, now)
        elif relabel:
            _relabel(case, row, ready[spiff_id])
    if case.status.is_final and not mirrored.was_final:
        _end_moot_platform_tasks(session, open_tasks, unfired, now)
    unfired = [t for t in unfired if t.cancelled_at is None and t.fired_at is None]
    rows_by_spiff_id = {k: v for k, v in open_rows.items() if k in ready}
    added: list[Timer] = []
    if reopen is not None and reopen.spiff_task_id in ready:
        added += _reopen(session, case, reopen, ready[reopen.spiff_task_id], now)
        rows_by_spiff_id[reopen.spiff_task_id] = reopen
    added += _open_tasks(session, case, result.ready, rows_by_spiff_id, now)
    # One read of the unfired timers serves the tasks', the BPMN, the case's timer and the wake-up.
    added += _sync_bpmn_timers(session, case, result, now, rows_by_spiff_id, unfired)
    added += sync_case_timer(session, case, now, unfired, added)
    held_flush.flush(session)  # a batch of firings writes its cases' rows together
    mirrored.unfired = [] if case.status.is_final else unfired + added
    return mirrored


# Platform tasks that lose their point when the case is decided: an extension of a limit that no
# longer runs, a reply to a 督办 order about a case that is done. (A 差评 follow-up opens after the end.)
MOOT_WHEN_DECIDED = frozenset({"extension_approval", "supervision_reply"})


def _end_moot_platform_tasks(
    session: Session, open_tasks: list[HumanTask], unfired: list[Timer], now: datetime
) -> None:
    for row in open_tasks:
        if row.state == TaskState.OPEN and row.procedure in MOOT_WHEN_DECIDED:
            row.state = TaskState.CANCELLED
            row.completed_at = now
            durations.record_task(session, row)
            _close_timers(unfired, row.id, now)


def _save_case(session: Session, case: Case, result: StepResult, now: datetime, *, fields: bool) -> None:
    """Every change to the case row is made before the first flush, so the row is written once
    (``fields=False``: a new case's row, already made by :func:`case_row`)."""
    if fields:
        case_row(session, case, result, now)
    message_waits.sync(session, case, result)


def case_row(session: Session, case: Case, result: StepResult, now: datetime) -> None:
    """The case row's fields (state, status, stage, clock) as the step leaves them. A new case's
    are set before its INSERT, so its row is written once (no UPDATE; issue 22), and its mirror
    (``new_case_at``) leaves them be."""
    case.state = result.state
    case.data = result.data
    case.rating = durations.stored_rating(session, case, result.data)
    case.updated_at = now
    _update_status(case, result, now)
    _update_clock(session, case, result, now)
    durations.record_case(session, case)


def complete_row(
    session: Session, task: HumanTask, actor: User | None, submitted: dict[str, Any] | None, now: datetime
) -> None:
    """The task row as completed by ``actor`` with ``submitted``, its duration stored."""
    task.state = TaskState.COMPLETED
    task.completed_at = now
    task.completed_by_id = actor.id if actor else None
    task.assignee_id = task.assignee_id or (actor.id if actor else None)
    task.submitted = submitted
    task.outcome = outcome_of(submitted)
    durations.record_task(session, task)


def _reopen(session: Session, case: Case, row: HumanTask, task: ReadyTask, now: datetime) -> list[Timer]:
    """The step is to be done again: open, unclaimed (its earlier performer may take it), with a
    new time limit from now and its timers; what it submitted stays on the row until it is
    completed again."""
    row.state = TaskState.OPEN
    row.completed_at = None
    row.completed_by_id = None
    row.working_days = None
    row.on_time = None
    row.escalation_level = 0
    row.created_at = now
    row.claimed_at = None
    if row.candidate_group != APPLICANT_GROUP:
        row.assignee_id = None
    row.due_at, row.warn_at = platform.calendar(session).due(now, task.time_limit)
    row.context = task.context
    timers = [
        Timer(case_id=case.id, kind=kind, human_task=row, due_at=at, created_at=now)
        for kind, at in ((TimerKind.SLA_WARNING, row.warn_at), (TimerKind.SLA_OVERDUE, row.due_at))
        if at is not None
    ]
    session.add_all(timers)
    return timers


def default_assignee(case: Case, task: ReadyTask) -> int | None:
    """A task of the applicant side is the case's applicant's own, unless a company performs it
    (e.g. the contractor of a rectification order: any of its users may take it)."""
    if task.candidate_group == APPLICANT_GROUP and not task.context.get("performer_credit_code"):
        return case.applicant_id
    return None


def _relabel(case: Case, row: HumanTask, task: ReadyTask) -> None:
    """An open task keeps its row (and its SLA); its labels and form follow the new version."""
    row.name, row.name_en, row.form_key = task.name, task.name_en, task.form
    if task.candidate_group != row.candidate_group:
        row.candidate_group = task.candidate_group
        row.assignee_id = default_assignee(case, task)
        row.claimed_at = None


def _open_tasks(
    session: Session,
    case: Case,
    ready: list[ReadyTask],
    rows_by_spiff_id: dict[str, HumanTask],
    now: datetime,
) -> list[Timer]:
    """A row for each newly ready task, with its SLA timers; returns the timers added."""
    cal = platform.calendar(session)
    added: list[Timer] = []
    for task in ready:
        if task.id in rows_by_spiff_id:
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
            assignee_id=default_assignee(case, task),
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
    return added


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


# Built once: a step reads it every time (issue 22).
_UNFIRED = select(Timer).where(
    Timer.case_id == bindparam("case_id"), Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)
)


def unfired_timers(session: Session, case_id: int) -> list[Timer]:
    return list(session.scalars(_UNFIRED, {"case_id": case_id}))


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
        _timer_sets_due(timer)
    return added


def _timer_sets_due(timer: Timer) -> None:
    """A task without a time limit of its own whose escalating boundary timer (a rectification's
    "overdue" at the worst finding's deadline) falls due is due then: its performer and the lists
    show that date and its colours, and its duration counts against it."""
    row = timer.human_task
    if row is not None and row.due_at is None and timer.level >= 1 and row.state == TaskState.OPEN:
        row.due_at = timer.due_at


def sync_case_timer(
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


def _update_clock(session: Session, case: Case, result: StepResult, now: datetime) -> None:
    """Stop the statutory clock while a `clock = paused` task is open; restart it after. A
    suspension by staff (kind `suspension`) is theirs to end, unless the case itself ends."""
    paused_now = (not result.finished) and any(task.pauses_clock for task in result.ready)
    pauses = [dict(p) for p in (case.clock_pauses or [])]
    open_pause = next((p for p in pauses if p.get("to") is None and p.get("kind") is None), None)
    if result.finished:
        for pause in pauses:
            if pause.get("to") is None:
                pause["to"] = now.isoformat()
        if pauses != (case.clock_pauses or []):
            case.clock_pauses = pauses
            case.due_at = case_due(platform.calendar(session), case)
        return
    if paused_now and open_pause is None:
        reason = next(task.name for task in result.ready if task.pauses_clock)
        pauses.append({"from": now.isoformat(), "to": None, "reason": reason})
    elif not paused_now and open_pause is not None:
        open_pause["to"] = now.isoformat()
    else:
        return
    case.clock_pauses = pauses
    case.due_at = case_due(platform.calendar(session), case)
