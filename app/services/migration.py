"""Moving running cases to another version of their process: explicit, checked, audited.

Cases keep the version they started on. An analyst (or admin, or the command line) may move the
running cases of one version to another; each case is locked, checked by the engine and either
moved (saved through the step path, audited as ``case.migrated``) or left untouched with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound, PermitFlowError
from app.models import Case, ProcessVersion, User

from . import platform, processes, steps
from .steps.core import RUNNING


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
    case_ids = list(
        session.scalars(
            select(Case.id)
            .where(Case.process_version_id == old.id, Case.status.in_(RUNNING))
            .order_by(Case.id)
        )
    )
    if dry_run:
        return [_plan(session, case_id, old, new) for case_id in case_ids]
    outcomes: list[MigrationOutcome] = []
    for case_id in case_ids:
        outcome = steps.advance(session, steps.MigrateCase(case_id, old, new, actor))
        if outcome.skipped:
            continue  # moved or finished by someone else since the list was read
        moved = outcome.refused is None
        outcomes.append(MigrationOutcome(outcome.case.number, moved, outcome.refused, moved))
    return outcomes


def _plan(session: Session, case_id: int, old: ProcessVersion, new: ProcessVersion) -> MigrationOutcome:
    """Whether the case could move (reads only; nothing is locked or changed)."""
    case = session.get(Case, case_id)
    assert case is not None
    runtime = platform.of(session).runtime
    plan = runtime.plan_migration(processes.spec_source(old), processes.spec_source(new), case.state)
    return MigrationOutcome(case.number, False, plan.reason, plan.possible)
