"""Deploying process files as versions and finding the version a case runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.orm import Session

from app import clock
from app.engine import LoadResult, Problem, ProcessBundle, SpecSource, load_processes
from app.engine.table_diff import diff_versions
from app.errors import NotFound, ProcessInvalid
from app.models import Case, CaseStatus, Group, ProcessVersion, User

from . import audit, platform, procedure_forms
from .seed_groups import SEED_SLUGS


@dataclass(frozen=True)
class Deployed:
    key: str
    version: ProcessVersion
    created: bool


@dataclass(frozen=True)
class GroupCheck:
    """The groups lanes are checked against, and whether they are the seed groups because the
    database has none yet (a fresh checkout before `demo load`)."""

    groups: frozenset[str]
    from_seed: bool


def group_check(session: Session) -> GroupCheck:
    """The groups of the database; with none yet, the groups every deployment starts with, so
    that an unmapped lane is never let through unchecked."""
    found: set[str] = set()
    if "group" in inspect(session.connection()).get_table_names():
        found = set(session.scalars(select(Group.slug)))
    return GroupCheck(frozenset(found), False) if found else GroupCheck(SEED_SLUGS, True)


def read_processes(
    session: Session,
    paths: list[Path] | None = None,
    *,
    check_groups: bool = True,
    dmn_paths: list[Path] | None = None,
) -> LoadResult:
    """Parse and check process files (default: every file in the processes folder); with
    ``check_groups``, lanes and candidate groups must name known groups (``group_check``).
    Business rule tasks run the decision tables of ``dmn_paths`` (default: the `.dmn` files
    beside the BPMN files)."""
    plat = platform.of(session)
    if paths is None:
        paths = sorted(plat.processes_dir.glob("*.bpmn"))
    lane_groups: dict[str, str] = {}
    for folder in sorted({p.parent for p in paths} | {plat.processes_dir}):
        lane_groups.update(plat.lane_groups(folder))
    known = set(group_check(session).groups) if check_groups else None
    return load_processes(paths, [plat.forms_dir], lane_groups, known_groups=known, dmn_paths=dmn_paths)


def deploy_processes(session: Session, actor: User | None, paths: list[Path] | None = None) -> list[Deployed]:
    """Register the files as versions. Unchanged content gives no new version; any problem in
    any file, or any failing process test (``processes/tests/``), stops the whole deployment
    (nothing is half-accepted)."""
    result = read_processes(session, paths)
    if result.problems:
        raise ProcessInvalid(
            f"{len(result.problems)} problem(s) in the process files",
            {"processes": [str(p) for p in result.problems]},
        )
    # Imported here: the checks read process files through this module.
    from .process_checks import refuse_failing_tests

    refuse_failing_tests(session, list(result.bundles.values()))
    return [deploy_bundle(session, actor, bundle) for bundle in result.bundles.values()]


def deploy_bundle(session: Session, actor: User | None, bundle: ProcessBundle) -> Deployed:
    existing = session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == bundle.key, ProcessVersion.hash == bundle.hash)
    )
    before = _current_or_none(session, bundle.key)
    if existing is not None:
        if not existing.is_current:
            _make_current(session, existing)
            # Back to an earlier version (or on to a later one): the switch is audited like a deploy.
            audit.record(
                session,
                "process.current_changed",
                actor=actor,
                detail=_change_detail(session, bundle.key, before, existing),
            )
        return Deployed(bundle.key, existing, created=False)
    version = ProcessVersion(
        key=bundle.key,
        hash=bundle.hash,
        name=bundle.name,
        name_en=bundle.name_en,
        bpmn_xml=bundle.bpmn_xml,
        files=bundle.files,
        meta=bundle.meta,
        spec_json=bundle.spec_json,
        is_current=False,
        deployed_at=clock.now(),
        deployed_by_id=actor.id if actor else None,
        source_path=bundle.source_path,
    )
    session.add(version)
    session.flush()
    _make_current(session, version)
    audit.record(
        session,
        "process.deployed",
        actor=actor,
        detail={"version_id": version.id, **_change_detail(session, bundle.key, before, version)},
    )
    return Deployed(bundle.key, version, created=True)


def _current_or_none(session: Session, key: str) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.is_current.is_(True))
    )


def _change_detail(
    session: Session, key: str, before: ProcessVersion | None, after: ProcessVersion
) -> dict[str, Any]:
    """What the audit keeps of a change of the current version: from which version to which, what
    the diagram and its decision tables add, remove and change, and how many running cases stay on
    their versions."""
    diff = diff_versions(
        before.bpmn_xml if before else "",
        decision_files(before) if before else {},
        after.bpmn_xml,
        decision_files(after),
    )
    running = sum(running_counts(session, key).values())
    return {
        "key": key,
        "hash": after.hash,
        "from": before.hash if before else None,
        "diff": diff.summary() if before else None,
        "changes": diff.in_words() if before else "first version",
        "running_cases": running,
    }


def _make_current(session: Session, version: ProcessVersion) -> None:
    session.execute(
        update(ProcessVersion)
        .where(ProcessVersion.key == version.key, ProcessVersion.id != version.id)
        .values(is_current=False)
    )
    version.is_current = True


_CURRENT_ID = select(ProcessVersion.id).where(
    ProcessVersion.key == bindparam("key"), ProcessVersion.is_current.is_(True)
)


def current_version(session: Session, key: str) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.is_current.is_(True))
    )
    if version is None:
        raise NotFound(f"no deployed process '{key}'")
    return version


def current_snapshot(session: Session, key: str) -> VersionSnapshot:
    """The current version of ``key`` as the hot path reads it: its id (one column through Core,
    since which version is current may change on any machine), then the version kept by the
    app's platform (a version never changes once deployed)."""
    session.flush()  # a version deployed in this unit of work counts (as with autoflush)
    version_id = session.connection().execute(_CURRENT_ID, {"key": key}).scalar()
    if version_id is None:
        raise NotFound(f"no deployed process '{key}'")
    return version_by_id(session, version_id)


def current_versions(session: Session) -> list[ProcessVersion]:
    return list(
        session.scalars(
            select(ProcessVersion).where(ProcessVersion.is_current.is_(True)).order_by(ProcessVersion.key)
        )
    )


@dataclass(frozen=True)
class VersionSnapshot:
    """A deployed version as the hot path needs it. Versions never change once deployed (only
    which one is current), so one snapshot per process serves every request."""

    id: int
    key: str
    hash: str
    name: str
    name_en: str
    meta: dict[str, Any]
    files: dict[str, Any]
    spec_json: str


def version_by_id(session: Session, version_id: int) -> VersionSnapshot:
    # Kept by the app's platform: one app, one database, so the id alone names the version.
    snapshots = platform.of(session).version_snapshots
    snapshot = snapshots.get(version_id)
    if snapshot is None:
        row = session.get(ProcessVersion, version_id)
        if row is None:
            raise NotFound(f"no process version {version_id}")
        snapshot = VersionSnapshot(
            row.id, row.key, row.hash, row.name, row.name_en, row.meta, row.files, row.spec_json
        )
        snapshots[version_id] = snapshot
    return snapshot


def spec_source(version: ProcessVersion | VersionSnapshot) -> SpecSource:
    return SpecSource(version.hash, version.spec_json, version.meta.get("lane_groups", {}))


def form_schema(version: ProcessVersion | VersionSnapshot, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    if name.startswith("procedure/"):  # a task the platform opened for a procedure
        return procedure_forms.schema_of(name)
    schema = version.files.get(f"forms/{name}")
    return schema if isinstance(schema, dict) else None


def decision_files(version: ProcessVersion | VersionSnapshot) -> dict[str, str]:
    """The DMN files stored with a version (``<name>.dmn`` → XML): the tables its business rule
    tasks, and those of the processes it calls, run."""
    return {k.removeprefix("dmn/"): v for k, v in sorted(version.files.items()) if k.startswith("dmn/")}


def running_counts(session: Session, key: str) -> dict[int, int]:
    """Running cases per version id of a process."""
    rows = session.execute(
        select(Case.process_version_id, func.count())
        .where(
            Case.process_key == key,
            Case.status.in_([CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_APPLICANT, CaseStatus.ERROR]),
        )
        .group_by(Case.process_version_id)
    )
    return {vid: n for vid, n in rows}


def versions_of(session: Session, key: str) -> list[ProcessVersion]:
    versions = list(
        session.scalars(
            select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.id.desc())
        )
    )
    if not versions:
        raise NotFound(f"no deployed process '{key}'")
    return versions


__all__ = ["Deployed", "Problem", "current_version", "deploy_processes", "read_processes"]
