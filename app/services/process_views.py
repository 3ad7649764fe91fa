"""What analysts do with a process through the pages and the API: check an edited diagram, deploy
it (writing the file, which stays the source of truth), and see where the cases of a version stand.

An edited diagram is checked exactly as `flask processes validate` checks files: it is written to
a scratch folder as ``<key>.bpmn`` and loaded together with the other files of the processes
folder (so the processes it calls and the forms and groups it references are checked too).
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import case as sql_case
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import clock
from app.engine import Problem, ProcessBundle, Text, replaced
from app.errors import Conflict, Forbidden, NotFound, PermitFlowError, ProcessInvalid, TooLarge
from app.models import Case, HumanTask, ProcessVersion, TaskState, User

from . import platform, process_checks, processes
from .deploy_preview import StaleBase

# A BPMN diagram of a real process is a few hundred kilobytes at most.
MAX_BPMN_BYTES = 2 * 1024 * 1024
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
LISTED_TASKS = 500
DEPLOY_LOCK = 7253902  # PostgreSQL advisory lock key of deploys from the editor (audit uses 7253901)


class DiagramRejected(ProcessInvalid):
    """An edited diagram with problems: nothing was written or deployed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"{len(problems)} problem(s) in the diagram: nothing was deployed",
            {"bpmn": [str(p) for p in problems]},
        )
        self.problems = problems


@dataclass
class DeployOutcome:
    key: str
    version: ProcessVersion
    created: bool
    # Processes calling this one whose new version (with the new callee inside) was deployed too.
    callers: list[str] = field(default_factory=list)
    undo: Callable[[], None] = lambda: None
    # The diagram is an earlier version's: that version is current again (no new version).
    switched: bool = False


def may_view(user: User | None) -> bool:
    """Staff read processes and their counts; applicants never."""
    return user is not None and user.is_staff


def may_edit(user: User | None) -> bool:
    """Only analysts and administrators validate, deploy and move cases."""
    return user is not None and (user.has_role("analyst") or user.has_role("admin"))


def require_editor(user: User | None) -> User:
    if user is None or not may_edit(user):
        raise Forbidden("only analysts and administrators may change processes")
    return user


def require_viewer(user: User | None) -> User:
    if user is None or not may_view(user):
        raise Forbidden("processes are shown to staff only")
    return user


def known_key(session: Session, key: str) -> str:
    """``key`` when it names a deployed process (which also makes it a safe file name)."""
    if not KEY.match(key or ""):
        raise NotFound(f"no deployed process '{key[:64]}'")
    processes.versions_of(session, key)
    return key


def version_of(session: Session, key: str, hash_prefix: str) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.key == key, ProcessVersion.hash.startswith(hash_prefix.lower()[:64]))
        .order_by(ProcessVersion.id.desc())
    )
    if version is None or not re.fullmatch(r"[0-9a-f]{4,64}", hash_prefix.lower()):
        raise NotFound(f"process '{key}' has no version {hash_prefix[:64]}")
    return version


def decode_xml(raw: bytes | str) -> str:
    """The submitted diagram as text, refused up front when it cannot be a BPMN file."""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_BPMN_BYTES:
        raise TooLarge(f"the diagram is {size} bytes; at most {MAX_BPMN_BYTES} bytes are accepted")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PermitFlowError(
                f"the diagram is not UTF-8 text (byte {err.start})", {"bpmn": ["not UTF-8"]}
            ) from err
    if not raw.strip():
        raise PermitFlowError("the diagram is empty: send the BPMN XML", {"bpmn": ["empty"]})
    line = doctype_line(raw)
    if line is not None:
        raise ProcessInvalid(
            f"the diagram has a DOCTYPE declaration (line {line}): BPMN needs none, and entity "
            "declarations are not accepted",
            {"bpmn": [f"line {line}: remove the DOCTYPE declaration"]},
        )
    return raw


def doctype_line(xml: str) -> int | None:
    """The line of a DOCTYPE declaration anywhere in ``xml``, None when it has none.

    BPMN needs no DTD, and entity declarations are how XML bombs get in. The parser neither loads
    nor expands anything; a document it cannot read is searched as text, wherever the declaration is.
    """
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        docinfo = etree.fromstring(xml.encode("utf-8"), parser).getroottree().docinfo
        found = bool(docinfo.doctype) or docinfo.internalDTD is not None or docinfo.externalDTD is not None
    except etree.XMLSyntaxError:
        found = re.search(r"<!DOCTYPE", xml, re.IGNORECASE) is not None
    if not found:
        return None
    match = re.search(r"<!DOCTYPE", xml, re.IGNORECASE)
    return xml.count("\n", 0, match.start()) + 1 if match else 1


def _problem_file(key: str) -> str:
    return f"processes/{key}.bpmn"


def validate_xml(session: Session, key: str, xml: str) -> list[Problem]:
    """Every problem of ``xml`` as the new ``<key>.bpmn`` (empty when it would be deployed)."""
    line = doctype_line(xml)
    if line is not None:
        return [
            Problem(
                _problem_file(key), line, "-", Text("a DOCTYPE declaration is not allowed"), Text("remove it")
            )
        ]
    folder = platform.of(session).processes_dir
    with tempfile.TemporaryDirectory(prefix="pf-validate-") as scratch:
        path = Path(scratch) / f"{key}.bpmn"
        path.write_text(xml, encoding="utf-8")
        others = [p for p in sorted(folder.glob("*.bpmn")) if p.name != path.name]
        result = processes.read_processes(session, [path, *others])
    own = str(path)
    return [
        Problem(_problem_file(key), p.line, p.element_id, replaced(p.message, scratch, "processes"), p.hint)
        for p in result.problems
        if p.file == own
    ]


def _root(xml: str) -> Any:
    try:
        return etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def element_names(xml: str, element_ids: list[str]) -> dict[str, str]:
    """The name an analyst sees on the diagram for each element id: the ``name`` of the element drawn
    for it (see ``shapes_of``); ids of nameless elements are left out."""
    root = _root(xml)
    found: dict[str, str] = {}
    for element_id, shape in shapes_of(xml, element_ids).items():
        hits = root.xpath("//*[@id=$id]", id=shape) if root is not None else []
        name = " ".join(str(hits[0].get("name") or "").split()) if hits else ""
        if name:
            found[element_id] = name
    return found


def shapes_of(xml: str, element_ids: list[str]) -> dict[str, str]:
    """For each element id, the id of the nearest element drawn on the diagram (itself, or e.g. the
    event holding a timer definition), so a problem can be marked where the analyst sees it."""
    root = _root(xml)
    if root is None:
        return {}
    drawn = {
        str(ref)
        for ref in root.xpath("//*[local-name()='BPMNShape' or local-name()='BPMNEdge']/@bpmnElement")
    }
    found: dict[str, str] = {}
    for element_id in set(element_ids):
        hits = root.xpath("//*[@id=$id]", id=element_id)
        el = hits[0] if hits else None
        while el is not None and el.get("id") not in drawn:
            el = el.getparent()
        if el is not None:
            found[element_id] = str(el.get("id"))
    return found


def same_diagram(a: str, b: str) -> bool:
    """Whether two BPMN texts say the same thing, whatever their layout and prefixes."""
    try:
        return bool(
            etree.canonicalize(a, strip_text=True, rewrite_prefixes=True)
            == etree.canonicalize(b, strip_text=True, rewrite_prefixes=True)
        )
    except (etree.XMLSyntaxError, ValueError):
        return False


def _write(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so no reader ever sees half a file."""
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def _unloadable(key: str) -> Problem:
    return Problem(_problem_file(key), 0, "-", Text("could not be loaded"), None)


def _serialise_deploys(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEPLOY_LOCK})
    session.expire_all()  # what was read before the lock may have been deployed over since


def deploy_xml(session: Session, actor: User, key: str, xml: str, base: str | None = None) -> DeployOutcome:
    """Check ``xml`` as the new ``<key>.bpmn`` and, when it has no problem, write the file and deploy
    it as a version (flushes; the caller commits, and calls ``undo`` if the commit fails).

    The same diagram as the current version (layout aside) deploys nothing and leaves the file.
    Deploys are serialised (a PostgreSQL advisory lock held until the caller's commit; SQLite
    already serialises writers), so two editors never interleave writing and deploying files.
    ``base``: the version whose differences were confirmed; another one current now → 409."""
    require_editor(actor)
    _serialise_deploys(session)
    problems = validate_xml(session, key, xml)
    if problems:
        raise DiagramRejected(problems)
    current = processes.current_version(session, key)
    StaleBase.check(base, current.hash)
    if same_diagram(xml, current.bpmn_xml):
        return DeployOutcome(key, current, created=False)

    folder = platform.of(session).processes_dir
    path = folder / f"{key}.bpmn"
    before = path.read_text(encoding="utf-8") if path.exists() else None

    def undo() -> None:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            _write(path, before)

    _write(path, xml)
    try:
        result = processes.read_processes(session, sorted(folder.glob("*.bpmn")))
        own = [p for p in result.problems if p.file == str(path)]
        if own or key not in result.bundles:
            # Another file changed between the check and now; the file goes back as it was.
            raise DiagramRejected(own or [_unloadable(key)])
        stale = _stale_files(session, folder, key, result.bundles)
        if stale:
            raise Conflict(
                "the process files on this server are not the deployed versions of "
                f"{', '.join(stale)}: nothing was deployed. Bring this server's processes folder up to "
                "date with the deployed processes, then deploy again",
                {"bpmn": [f"processes/{name} differs from its deployed version" for name in stale]},
            )
        calling = [b for o, b in result.bundles.items() if o != key and f"bpmn/{path.name}" in b.files]
        failing = process_checks.test_problems(
            [t for b in [result.bundles[key], *calling] for t in process_checks.run_tests(session, b, folder)]
        )
        if failing:
            raise DiagramRejected(failing)
        deployed = processes.deploy_bundle(session, actor, result.bundles[key])
        callers = []
        for other, bundle in sorted(result.bundles.items()):
            calls_it = other != key and f"bpmn/{path.name}" in bundle.files
            if calls_it and processes.deploy_bundle(session, actor, bundle).created:
                callers.append(other)
    except Exception:
        undo()
        raise
    switched = not deployed.created and deployed.version.hash != current.hash
    return DeployOutcome(key, deployed.version, deployed.created, callers, undo, switched)


def _stale_files(session: Session, folder: Path, key: str, bundles: dict[str, ProcessBundle]) -> list[str]:
    """Files besides ``<key>.bpmn`` that this deploy would bundle (called processes) or redeploy
    (its callers) but that are not their current deployed versions.

    The editor writes only ``<key>.bpmn``, on this web node. If another node deployed since, this
    node's copies are old, and deploying would bring them back inside the new versions."""
    own = f"{key}.bpmn"
    deploying = [bundles[key]] + [
        b for other, b in bundles.items() if other != key and f"bpmn/{own}" in b.files
    ]
    names = {f"{b.key}.bpmn" for b in deploying} | {
        name.removeprefix("bpmn/") for b in deploying for name in b.files if name.startswith("bpmn/")
    }
    stale = []
    for name in sorted(names - {own}):
        deployed = session.scalar(
            select(ProcessVersion.bpmn_xml).where(
                ProcessVersion.key == name.removesuffix(".bpmn"), ProcessVersion.is_current.is_(True)
            )
        )
        if deployed is None or (folder / name).read_text(encoding="utf-8") != deployed:
            stale.append(name)
    return stale


def task_counts(session: Session, version_id: int) -> dict[str, dict[str, int]]:
    """Open tasks per BPMN task id of the cases running on one version: waiting and overdue."""
    now = clock.now()
    rows = session.execute(
        select(
            HumanTask.bpmn_id,
            func.count(),
            func.sum(sql_case((HumanTask.due_at < now, 1), else_=0)),
        )
        .join(Case, Case.id == HumanTask.case_id)
        .where(Case.process_version_id == version_id, HumanTask.state == TaskState.OPEN)
        .group_by(HumanTask.bpmn_id)
    )
    return {bpmn_id: {"waiting": int(n), "overdue": int(late or 0)} for bpmn_id, n, late in rows}


def open_tasks_at(
    session: Session, version_id: int, bpmn_id: str, overdue_only: bool = False
) -> list[HumanTask]:
    """The open tasks at one BPMN task of a version's cases, most urgent first."""
    query = (
        select(HumanTask)
        .join(Case, Case.id == HumanTask.case_id)
        .where(
            Case.process_version_id == version_id,
            HumanTask.state == TaskState.OPEN,
            HumanTask.bpmn_id == bpmn_id[:200],
        )
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        .limit(LISTED_TASKS)
    )
    if overdue_only:
        query = query.where(HumanTask.due_at < clock.now())
    return list(session.scalars(query))


__all__ = [
    "DeployOutcome",
    "DiagramRejected",
    "NotFound",
    "decode_xml",
    "deploy_xml",
    "may_edit",
    "may_view",
    "open_tasks_at",
    "task_counts",
    "validate_xml",
]
