"""What analysts do with a process through the pages and the API: check an edited diagram, deploy
it (writing the file, which stays the source of truth), and see where the cases of a version stand.

An edited diagram is checked exactly as `flask processes validate` checks files: it is written to
a scratch folder as ``<key>.bpmn`` and loaded together with the other files of the processes
folder (so the processes it calls and the forms and groups it references are checked too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import case as sql_case
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import clock
from app.engine import Problem, Text
from app.errors import Forbidden, NotFound, PermitFlowError, ProcessInvalid, TooLarge
from app.models import Case, HumanTask, ProcessVersion, TaskState, User

from . import deployed_tree, edited_files, process_checks, processes
from .deploy_preview import StaleBase

# A BPMN diagram of a real process is a few hundred kilobytes at most.
MAX_BPMN_BYTES = 2 * 1024 * 1024
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
DMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}\.dmn$")
MAX_DMN_FILES = 20
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


def validate_xml(
    session: Session, key: str, xml: str, decisions: dict[str, str] | None = None
) -> list[Problem]:
    """Every problem of ``xml`` as the new ``<key>.bpmn``, with ``decisions`` (``<name>.dmn`` → XML)
    as those decision tables (empty when it would be deployed)."""
    line = doctype_line(xml)
    if line is not None:
        return [
            Problem(
                _problem_file(key), line, "-", Text("a DOCTYPE declaration is not allowed"), Text("remove it")
            )
        ]
    return process_checks.load_edited(session, key, xml, decisions).problems


def decode_decisions(raw: object) -> dict[str, str]:
    """The edited decision tables of a request (``{"<name>.dmn": "<DMN XML>"}``), refused up front
    when a name could not be a file of the processes folder or a text could not be a DMN file."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_DMN_FILES:
        raise PermitFlowError(
            f"send the decision tables as an object of at most {MAX_DMN_FILES} files: name.dmn → XML",
            {"dmn": ["an object of file names and XML texts"]},
        )
    found: dict[str, str] = {}
    for name, xml in raw.items():
        if not isinstance(name, str) or not DMN_NAME.match(name) or not isinstance(xml, str):
            raise PermitFlowError(
                f"'{str(name)[:80]}' is not a decision table file name "
                "(letters, digits, _ and -, ending .dmn)",
                {"dmn": [str(name)[:80]]},
            )
        found[name] = decode_xml(xml)
    return found


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


def _unloadable(key: str) -> Problem:
    return Problem(_problem_file(key), 0, "-", Text("could not be loaded"), None)


def _serialise_deploys(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEPLOY_LOCK})
    session.expire_all()  # what was read before the lock may have been deployed over since


def deploy_xml(
    session: Session,
    actor: User,
    key: str,
    xml: str,
    decisions: dict[str, str] | None = None,
    base: str | None = None,
) -> DeployOutcome:
    """Check ``xml`` as the new ``<key>.bpmn`` (and ``decisions``, ``<name>.dmn`` → XML, as those
    decision tables) and, when nothing has a problem, deploy it as a version (flushes; the caller
    commits). It is loaded among the deployed processes as the database holds them, never among
    this machine's files, so whichever web machine serves the editor deploys the same thing.

    The same diagram and tables as the current version (layout aside) deploy nothing. Deploys are
    serialised (a PostgreSQL advisory lock held until the caller's commit; SQLite already
    serialises writers). ``base``: the version the editor started from (or whose differences were
    confirmed); another one current now → 409 naming it."""
    require_editor(actor)
    decisions = decisions or {}
    _serialise_deploys(session)
    problems = validate_xml(session, key, xml, decisions)
    if problems:
        raise DiagramRejected(problems)
    current = processes.current_version(session, key)
    StaleBase.check(base, current.hash)
    with deployed_tree.scratch_folder(session) as folder:
        if edited_files.unchanged(current, xml, decisions, folder):
            return DeployOutcome(key, current, created=False)
        for name, content in {f"{key}.bpmn": xml, **decisions}.items():
            (folder / name).write_text(content, encoding="utf-8")
        deployed, callers = _deploy_written(session, actor, key, folder, decisions)
    switched = not deployed.created and deployed.version.hash != current.hash
    return DeployOutcome(key, deployed.version, deployed.created, callers, switched=switched)


def _deploy_written(
    session: Session, actor: User, key: str, folder: Path, decisions: dict[str, str]
) -> tuple[processes.Deployed, list[str]]:
    """Deploy ``<key>.bpmn`` as written into ``folder`` (the deployed processes, read out of the
    database), with the processes calling it or running the edited decision tables (their versions
    change too), once their process tests (in this machine's processes folder) pass."""
    path = folder / f"{key}.bpmn"
    result = processes.read_processes(session, sorted(folder.glob("*.bpmn")))
    own = [p for p in result.problems if p.file in {str(path), *(str(folder / n) for n in decisions)}]
    if own or key not in result.bundles:
        raise DiagramRejected(own or [_unloadable(key)])
    bundles = {
        k: replace(b, source_path=deployed_tree.shown_path(session, k)) for k, b in result.bundles.items()
    }
    touched = {f"bpmn/{path.name}", *(f"dmn/{name}" for name in decisions)}
    calling = [b for o, b in sorted(bundles.items()) if o != key and touched & set(b.files)]
    tests = process_checks.processes_folder(session)
    failing = process_checks.test_problems(
        [t for b in [bundles[key], *calling] for t in process_checks.run_tests(session, b, tests)]
    )
    if failing:
        raise DiagramRejected(failing)
    deployed = processes.deploy_bundle(session, actor, bundles[key])
    callers = [b.key for b in calling if processes.deploy_bundle(session, actor, b).created]
    return deployed, callers


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
