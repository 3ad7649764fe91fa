"""The one step path: :func:`advance` takes any command, locks the case the one way, runs the
engine once, maps engine errors once, mirrors rows (``gateway.mirror``), then runs the named
after-step effects. Callers only check permission and build the command.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import EngineError
from app.engine.migration import MigrationRefused
from app.errors import CaseInError, Conflict
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind, User

from .. import (
    attachments,
    case_numbers,
    certificates,
    form_prefill,
    gateway,
    held_flush,
    personal_data,
    platform,
    processes,
    search_index,
    substitutions,
    timer_effects,
    webhook_events,
    webhooks,
)
from ..case_clock import case_due
from ..forms import validate_form
from . import (
    assignment,
    consultation,
    going_back,
    messages,
    platform_tasks,
    procedures,
    publication,
    query_codes,
)
from .commands import (
    CaseCommand,
    ClaimTask,
    Command,
    CompleteTask,
    ConsultTask,
    DeliverMessage,
    FireTimers,
    MigrateCase,
    OrderSupervision,
    RateService,
    ReassignTask,
    RecallTask,
    ReleaseTask,
    ReplaceQueryCode,
    RequestExtension,
    ResumeCase,
    ReturnTask,
    StartCase,
    StepOutcome,
    SuspendCase,
    UrgeCase,
    WithdrawCase,
    WithdrawConsultation,
    WithholdDisclosure,
)
from .core import RUNNING, Locked, lock, next_due, run_engine, wake_at
from .effects import AfterStep, run_effects


def advance(session: Session, command: Command) -> StepOutcome:
    """Carry out ``command``: the only way a case's state, status or task rows change.
    Flushes, never commits; raises a domain error (nothing changed) when refused."""
    if isinstance(command, StartCase):
        return _start(session, command)
    if isinstance(command, DeliverMessage):
        return messages.deliver(session, command, lock(session, case_id=command.case_id))
    if isinstance(command, FireTimers | MigrateCase):
        locked = lock(session, case_id=command.case_id)
        if isinstance(command, FireTimers):
            return _fire(session, locked)
        return _migrate(session, command, locked)
    if isinstance(command, CaseCommand):
        return _procedure(session, command)
    locked = lock(session, task_id=command.task_id)
    task = locked.task
    assert task is not None
    command.check(session, task)
    if isinstance(command, RecallTask):
        return going_back.recall(session, command, locked, task)
    if task.state != TaskState.OPEN:
        raise Conflict("the task was already completed")
    if isinstance(command, CompleteTask):
        return _complete(session, command, locked, task)
    if isinstance(command, ClaimTask):
        return assignment.claim(session, command, locked.case, task)
    if isinstance(command, ReleaseTask):
        return assignment.release(session, command, locked.case, task)
    if isinstance(command, ReassignTask):
        return assignment.reassign(session, command, locked.case, task)
    if isinstance(command, ReturnTask):
        consultation.check_answered(locked.open_tasks, task)
        return going_back.return_to(session, command, locked, task)
    if isinstance(command, ConsultTask):
        return consultation.consult(session, command, locked.case, task)
    if isinstance(command, WithdrawConsultation):
        return consultation.withdraw(session, command, locked.case, task, locked.open_tasks)
    raise TypeError(f"not a command: {command!r}")  # pragma: no cover - the union is closed


def _start(session: Session, command: StartCase) -> StepOutcome:
    version = command.version
    meta = version.meta
    schema = processes.form_schema(version, meta["start"]["form"])
    # Fields bound to the account (x-prefill) come from it when left out, and must equal it.
    account = form_prefill.account_values(session, command.actor)
    data = form_prefill.fill(schema, dict(command.data), account)
    validate_form(schema, data, what="application", account=account)
    sealed = personal_data.seal(schema, data)  # personal values never reach the engine
    source = processes.spec_source(version)
    start_data = {**sealed.data, **command.start_data}
    result = run_engine(
        session, lambda runtime, helpers: runtime.start(source, start_data, helpers, message=command.message)
    )
    now = clock.now()
    # Whether any webhook subscription is live, read with the number's check (one round trip).
    number, code, webhooks_live = case_numbers.new_number(
        session, meta.get("case_prefix") or case_numbers.prefix(version.key), beside=webhooks.ANY_LIVE
    )
    project_name = data.get("project_name") if isinstance(data.get("project_name"), str) else None
    project_code = data.get("project_code") if isinstance(data.get("project_code"), str) else None
    case = Case(
        number=number,
        query_code_hash=case_numbers.hash_code(session, number, code),
        process_key=version.key,
        process_version_id=version.id,
        applicant_id=command.applicant_id,
        status=CaseStatus.IN_PROGRESS,
        project_name=(project_name or None) and project_name[:200],
        project_code=(project_code or None) and project_code[:64],
        submitted_at=now,
        time_limit=meta.get("time_limit"),
        clock_pauses=[],
        state_format="pf1",
    )
    case.due_at = case_due(platform.calendar(session), case)
    gateway.case_row(session, case, result, now)  # the row in its INSERT: the mirror changes nothing
    session.add(case)
    session.flush()
    search_index.remember_new(
        session, case, session.get(User, case.applicant_id) if case.applicant_id else None
    )
    webhooks.remember_live(session, case.id, bool(webhooks_live))
    sealed.keep(session, case.id)
    # A new case has no open tasks and no timers yet: nothing to read.
    mirrored = gateway.mirror(session, case, result, [], actor=command.actor, unfired=[], new_case_at=now)
    detail = {"process": version.key, "version": version.hash[:12], **command.detail}
    run_effects(
        session, AfterStep(case, result, mirrored, command.actor, action="case.submitted", detail=detail)
    )
    return StepOutcome(case, query_code=code)


def _procedure(session: Session, command: CaseCommand) -> StepOutcome:
    """A procedure on a case: lock, check, carry out, wake the case at its next timer."""
    locked = lock(session, case_id=command.case_id)
    command.check(session, locked.case, locked.open_tasks)
    was_final = locked.case.status.is_final
    handler: Any = PROCEDURES[type(command)]
    outcome: StepOutcome = handler(session, command, locked.case, locked.open_tasks)
    search_index.index_case(session, locked.case)  # a withdrawal or a rating changes what it holds
    session.flush()
    if locked.case.status.is_final and not was_final:  # withdrawn: the case ended without the engine
        webhooks.queue(session, locked.case, [(webhook_events.CASE_CLOSED, {})])
    wake_at(session, locked.case.id, next_due(session, locked.case.id))
    return outcome


PROCEDURES: dict[type, Callable[..., StepOutcome]] = {
    SuspendCase: procedures.suspend,
    ResumeCase: procedures.resume,
    WithdrawCase: procedures.withdraw,
    RequestExtension: procedures.request_extension,
    UrgeCase: procedures.urge,
    OrderSupervision: procedures.order_supervision,
    RateService: procedures.rate,
    ReplaceQueryCode: query_codes.replace_code,
    WithholdDisclosure: publication.withhold,
}


def _complete(session: Session, command: CompleteTask, locked: Locked, task: HumanTask) -> StepOutcome:
    case, actor = locked.case, command.actor
    behalf = substitutions.on_behalf_of(session, actor, task) if actor is not None else None  # 委托
    claimed_by_other = task.assignee_id is not None and actor is not None and task.assignee_id != actor.id
    if claimed_by_other and (behalf is None or behalf.id != task.assignee_id):
        raise Conflict("the task is claimed by someone else")
    version = processes.version_by_id(session, case.process_version_id)
    schema = processes.form_schema(version, task.form_key)
    validate_form(schema, command.data)
    sealed = personal_data.seal(schema, dict(command.data))  # personal values never reach the engine
    sealed.keep(session, case.id)
    data = sealed.data
    if task.procedure is not None:
        return platform_tasks.complete(session, command, case, task, data)
    consultation.check_answered(locked.open_tasks, task)  # 加签: the opinions come first
    attachments.check_references(session, case, data)
    certificates.check_validity(session, case, data)  # a grant's validity: no past or absurd dates
    if case.status == CaseStatus.ERROR:
        raise CaseInError("the case stopped on an error; an administrator must resolve it first")
    source = processes.spec_source(version)
    result = run_engine(
        session,
        lambda runtime, helpers: runtime.complete(source, case.state, task.spiff_task_id, data, helpers),
    )
    mirrored = gateway.mirror(
        session, case, result, locked.open_tasks, actor=actor, completed=task, submitted=data
    )
    detail = {
        "task_id": task.id,
        "task": task.bpmn_id,
        "name": task.name,
        "outcome": gateway.outcome_of(data),
        **({"on_behalf_of": behalf.username} if behalf is not None else {}),
        **command.detail,
    }
    run_effects(session, AfterStep(case, result, mirrored, actor, action="task.completed", detail=detail))
    return StepOutcome(case, task)


def _fire(session: Session, locked: Locked) -> StepOutcome:
    """Fire every due timer of the locked case; idempotent (only unfired rows are touched)."""
    case, now = locked.case, clock.now()
    # One read of the case's unfired timers (or the batch's, with its lock): those due fire, the
    # step's mirror reuses them, and they give the next wake-up.
    unfired = locked.unfired if locked.unfired is not None else _unfired(session, case.id)
    due = [t for t in unfired if t.due_at <= now]
    fired = 0
    added: list[Timer] = []
    for timer in due:
        if timer.kind is not TimerKind.BPMN:
            added += timer_effects.fire_platform_timer(session, case, timer, now, locked.open_tasks)
            fired += 1
    bpmn = [t for t in due if t.kind is TimerKind.BPMN]
    stepped = False
    if bpmn:
        went_off, stepped = _fire_bpmn(session, locked, bpmn, now, unfired + added)
        fired += went_off
    if not stepped:  # a saved step schedules the next wake-up itself
        live = [t.due_at for t in unfired + added if t.fired_at is None and t.cancelled_at is None]
        wake_at(session, case.id, min(live, default=None))
    held_flush.flush(session)
    return StepOutcome(case, fired=fired)


def _unfired(session: Session, case_id: int) -> list[Timer]:
    return list(
        session.scalars(
            select(Timer)
            .where(Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
            .order_by(Timer.due_at, Timer.id)
        )
    )


def _fire_bpmn(
    session: Session, locked: Locked, timers: list[Timer], now: datetime, unfired: list[Timer]
) -> tuple[int, bool]:
    """Fire the case's due BPMN timers; returns (how many went off, whether a step was saved)."""
    case = locked.case
    if case.status.is_final or case.status is CaseStatus.ERROR:
        for timer in timers:
            timer.cancelled_at = now
        return 0, False
    source = processes.spec_source(processes.version_by_id(session, case.process_version_id))
    try:
        result = run_engine(
            session, lambda runtime, helpers: runtime.fire_due_timers(source, case.state, helpers)
        )
    except CaseInError as err:  # e.g. the task it leads to names its group by a failing expression
        cause = err.__cause__
        assert isinstance(cause, EngineError)  # run_engine raises CaseInError from the engine's error
        timer_effects.record_failure(session, case, cause.as_dict())
        return 0, False
    still_waiting = {t.task_id: t.due_at for t in result.timers}
    # Gone from the workflow, or a cycle timer that moved on to its next due time.
    went_off = [
        t
        for t in timers
        if t.spiff_task_id not in still_waiting or still_waiting[t.spiff_task_id or ""] > t.due_at
    ]
    mirrored = gateway.mirror(session, case, result, locked.open_tasks, unfired=unfired)
    detail = {"timers": [t.bpmn_id for t in went_off]}
    run_effects(session, AfterStep(case, result, mirrored, None, action="timer.fired", detail=detail))
    timer_effects.after_bpmn_timers(session, case, went_off, now)
    return len(went_off), True


def _migrate(session: Session, command: MigrateCase, locked: Locked) -> StepOutcome:
    case = locked.case
    old, new = command.from_version, command.to_version
    if case.process_version_id != old.id or case.status not in RUNNING:
        return StepOutcome(case, skipped=True)  # moved or finished by someone else meanwhile
    old_source, new_source = processes.spec_source(old), processes.spec_source(new)
    try:
        result = run_engine(
            session, lambda runtime, helpers: runtime.migrate(old_source, new_source, case.state, helpers)
        )
    except MigrationRefused as refused:
        return StepOutcome(case, refused=refused.reason)
    if result.error is not None:
        return StepOutcome(
            case, refused=f"the case would stop on an error in the new version: {result.error.message}"
        )
    case.process_version_id = new.id
    mirrored = gateway.mirror(session, case, result, locked.open_tasks, actor=command.actor, relabel=True)
    detail = {"process": old.key, "from": old.hash[:12], "to": new.hash[:12]}
    run_effects(
        session, AfterStep(case, result, mirrored, command.actor, action="case.migrated", detail=detail)
    )
    return StepOutcome(case)
