"""Moving running cases to another version of their process: explicit, checked, audited.

Cases keep the version they started on. An analyst (or admin, or the command line) may move the
running cases of one version to another; each case is locked, checked by the engine and either
moved (saved through the gateway, audited as ``case.migrated``) or left untouched with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import ReadyTask
from app.engine.migration import MigrationRefused
from app.errors import Forbidden, NotFound, PermitFlowError
from app.models import Case, CaseStatus, HumanTask, ProcessVersion, TaskState, User

from . import gateway, platform, processes

RUNNING = (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_APPLICANT)


@dataclass(frozen=True)
class MigrationOutcome:
    """One case: whether it moved (or, in a dry run, could move), and why not when it cannot."""

    case_number: str
    moved: bool
    reason: str | None = None
    possible: bool = True


def may_migrate(actor: User | None) -> bool:
    """Analysts and admins; ``None`` is the system (the command line)."""
    return actor is None or actor.has_role("analyst") or actor.has_role("admin")


def find_version(session: Session, key: str, hash_prefix: str) -> ProcessVersion:
    """The version of process ``key`` whose hash starts with ``hash_prefix`` (exactly one)."""
    prefix = (hash_prefix or "").strip().lower()
    if not re.fullmatch(r"[0-9a-f]{4,64}", prefix):
        raise PermitFlowError(f"'{hash_prefix}' is not a version hash: give at least 4 hex digits")
    found = list(
        session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.key == key, ProcessVersion.hash.startswith(prefix))
            .order_by(ProcessVersion.id)
        )
    )
    if not found:
        raise NotFound(f"process '{key}' has no version {prefix}")
    if len(found) > 1:
        hashes = ", ".join(v.hash[:12] for v in found)
        raise PermitFlowError(f"version {prefix} of '{key}' is ambiguous ({hashes}): give more digits")
    return found[0]


def migrate_cases(
    session: Session,
    actor: User | None,
    key: str,
    from_hash_prefix: str,
    to_hash_prefix: str,
    dry_run: bool = False,
) -> list[MigrationOutcome]:
    """Move every running case of version ``from`` of ``key`` to version ``to`` (or, with
    ``dry_run``, only say which could move). Flushes, never commits."""
    if not may_migrate(actor):
        raise Forbidden("only analysts and administrators may move cases between versions")
    old = find_version(session, key, from_hash_prefix)
    new = find_version(session, key, to_hash_prefix)
    if old.id == new.id:
        raise PermitFlowError("the two versions are the same: nothing to move")
    old_source, new_source = processes.spec_source(old), processes.spec_source(new)
    runtime = platform.get().runtime
    case_ids = list(
        session.scalars(
            select(Case.id)
            .where(Case.process_version_id == old.id, Case.status.in_(RUNNING))
            .order_by(Case.id)
        )
    )
    outcomes: list[MigrationOutcome] = []
    for case_id in case_ids:
        case = gateway.lock_case(session, case_id)
        if case.process_version_id != old.id or case.status not in RUNNING:
            continue  # moved or finished by someone else since the list was read
        if dry_run:
            plan = runtime.plan_migration(old_source, new_source, case.state)
            outcomes.append(MigrationOutcome(case.number, False, plan.reason, plan.possible))
            continue
        try:
            with platform.engine_session(session):
                result = runtime.migrate(old_source, new_source, case.state)
        except MigrationRefused as refused:
            outcomes.append(MigrationOutcome(case.number, False, refused.reason, False))
            continue
        if result.error is not None:
            reason = f"the case would stop on an error in the new version: {result.error.message}"
            outcomes.append(MigrationOutcome(case.number, False, reason, False))
            continue
        case.process_version_id = new.id
        _refresh_open_tasks(session, case, result.ready)
        gateway.apply_step(
            session,
            case,
            result,
            actor=actor,
            action="case.migrated",
            detail={"process": key, "from": old.hash[:12], "to": new.hash[:12]},
        )
        outcomes.append(MigrationOutcome(case.number, True))
    return outcomes


def _refresh_open_tasks(session: Session, case: Case, ready: list[ReadyTask]) -> None:
    """Open tasks keep their row (and their SLA); their labels and form follow the new version."""
    by_id = {task.id: task for task in ready}
    rows = session.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == TaskState.OPEN)
    )
    for row in rows:
        task = by_id.get(row.spiff_task_id)
        if task is None:
            continue
        row.name, row.name_en, row.form_key = task.name, task.name_en, task.form
        if task.candidate_group != row.candidate_group:
            row.candidate_group = task.candidate_group
            if task.candidate_group != gateway.APPLICANT_GROUP:
                row.assignee_id = None
            else:
                row.assignee_id = case.applicant_id
