"""Reading process files: parse, check, resolve dependencies, hash, serialize.

A process is `<key>.bpmn` whose executable process id is `<key>`. Its version hash covers the
BPMN file, every process it calls, every form it references and the lane mapping it uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .errors import SpecError
from .specs import STATE_FORMAT, spec_to_json
from .types import ProcessBundle
from .validation import (
    Problem,
    check_case_scope,
    check_definitions,
    check_document,
    check_forms,
    check_specs,
)

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
HUMAN_TAGS = ("userTask", "manualTask")


@dataclass
class LoadResult:
    bundles: dict[str, ProcessBundle] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def element_properties(element: Any) -> dict[str, str]:
    """The spiffworkflow:property name/value pairs directly on an element."""
    props: dict[str, str] = {}
    for prop in element.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    ):
        if prop.get("name") is not None:
            props[prop.get("name")] = prop.get("value", "")
    return props


def load_processes(
    bpmn_paths: list[Path],
    form_dirs: list[Path],
    lane_groups: dict[str, str],
    *,
    known_groups: set[str] | None = None,
) -> LoadResult:
    """Parse and check BPMN files; return a bundle per valid process and every problem found.

    A process is `<key>.bpmn` whose executable process id is `<key>`; a file that breaks this
    rule gets that problem reported besides everything else wrong with it. A file with any problem
    yields no bundle: a process is never half-accepted.
    """
    return _load(bpmn_paths, form_dirs, lane_groups, known_groups, by_stem=True)


def load_for_run(
    bpmn_paths: list[Path],
    form_dirs: list[Path] | None = None,
    lane_groups: dict[str, str] | None = None,
    *,
    known_groups: set[str] | None = None,
) -> LoadResult:
    """Check BPMN files of any name (e.g. written for other tools) loaded together.

    Returns a bundle for every executable process of every accepted file, keyed by process id,
    so that any of them can be started; call activities resolve across all the files given.
    The same checks as `load_processes` apply, except the file-name convention.
    """
    return _load(bpmn_paths, form_dirs or [], lane_groups or {}, known_groups, by_stem=False)


def check_file(
    path: Path,
    form_dirs: list[Path] | None = None,
    lane_groups: dict[str, str] | None = None,
    *,
    known_groups: set[str] | None = None,
) -> list[Problem]:
    """Every problem of one BPMN file of any name (empty when it would be accepted)."""
    return load_for_run([path], form_dirs, lane_groups, known_groups=known_groups).problems


def _executable_ids(tree: Any) -> list[str]:
    return [
        str(el.get("id"))
        for el in tree.getroot().xpath("./bpmn:process", namespaces=NS)
        if el.get("isExecutable", "true") == "true" and el.get("id")
    ]


def _load(
    bpmn_paths: list[Path],
    form_dirs: list[Path],
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
    *,
    by_stem: bool,
) -> LoadResult:
    result = LoadResult()
    documents: dict[Path, Any] = {}
    validator = BpmnValidator()
    stem_problems: list[Problem] = []
    for path in sorted(bpmn_paths):
        problems, tree = check_document(path, validator)
        result.problems.extend(problems)
        if tree is not None and by_stem and path.stem not in _executable_ids(tree):
            stem_problems.append(_stem_problem(path, tree))
            result.problems.append(stem_problems[-1])
        if tree is not None and not problems:
            documents[path] = tree

    # Every readable file, including files rejected before parsing.
    trees: dict[Path, Any] = {}
    for path in sorted(bpmn_paths):
        tree = documents.get(path)
        if tree is None and path.is_file():
            with contextlib.suppress(Exception):
                tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        if tree is not None:
            trees[path] = tree
    # A file defining another file's process is left out of the parser, so that what runs (or is
    # called) never depends on the order the files are read.
    misplaced = check_definitions(trees, by_stem=by_stem)
    for path, problems in misplaced.items():
        result.problems.extend(problems)
        documents.pop(path, None)
    # Where every process is defined (its rightful file first).
    defined_in: dict[str, Path] = {}
    for path in sorted(trees, key=lambda p: (p in misplaced, p)):
        for pid in trees[path].getroot().xpath("./bpmn:process/@id", namespaces=NS):
            defined_in.setdefault(str(pid), path)

    parser = SpiffBpmnParser()
    added: dict[str, Path] = {}
    elements: dict[str, Any] = {}
    for path, tree in list(documents.items()):
        try:
            parser.add_bpmn_xml(tree, filename=str(path))
        except Exception as err:  # noqa: BLE001 - any parser failure is a problem of the file
            result.problems.append(_problem_from_error(err, path, tree))
            del documents[path]
            continue
        for process in tree.getroot().xpath("./bpmn:process", namespaces=NS):
            added[process.get("id")] = path
            elements[process.get("id")] = process

    bad_files = {p.file for p in result.problems if p not in stem_problems}
    executable = set(parser.get_process_ids())
    checked: dict[Path, tuple[list[Problem], dict[str, ProcessBundle]]] = {}
    calls: dict[Path, set[str]] = {}
    for path, tree in documents.items():
        if str(path) in bad_files:
            continue
        ids = [pid for pid in _executable_ids(tree) if pid in executable]
        stem_ok = path.stem in ids
        targets = [path.stem] if by_stem and stem_ok else ids
        file_problems: list[Problem] = []
        if not ids and not by_stem:
            file_problems.append(_not_executable_problem(path, tree))
        bundles: dict[str, ProcessBundle] = {}
        calls[path] = set()
        for key in targets:
            bundle, problems = _bundle(
                key, path, tree, parser, added, documents, form_dirs, lane_groups, known_groups
            )
            if not problems:
                problems = check_case_scope(str(path), key, elements)
            file_problems.extend(p for p in problems if p not in file_problems)
            if bundle is not None and not problems:
                bundles[key] = bundle
            with contextlib.suppress(Exception):  # a parser failure is already reported by _bundle
                calls[path] |= {
                    n for n in parser.get_subprocess_specs(key) if n in added and added[n] != path
                }
        checked[path] = (file_problems, bundles if stem_ok or not by_stem else {})

    # A file is only as good as the files it calls: one that calls a rejected file is rejected too,
    # with a problem of its own naming the call.
    bad_files |= {p.file for problems, _ in checked.values() for p in problems}
    for path, (problems, _) in checked.items():
        for i, problem in enumerate(problems):
            match = re.match(r"calls process '(.+)', which is not among the loaded files", problem.message)
            other = defined_in.get(match.group(1)) if match else None
            if match and other is not None and other != path:
                problems[i] = _bad_call(path, documents[path], match.group(1), other)
    changed = True
    while changed:
        changed = False
        for path, (problems, _) in checked.items():
            for name in sorted(calls[path]):
                if str(added[name]) in bad_files and _not_reported(problems, name, path):
                    problems.append(_bad_call(path, documents[path], name, added[name]))
                    bad_files.add(str(path))
                    changed = True
    for problems, bundles in checked.values():
        result.problems.extend(p for p in problems if p not in result.problems)
        if not problems:
            result.bundles.update(bundles)
    return result


def _bad_call(path: Path, tree: Any, name: str, other: Path) -> Problem:
    element_id, line = _call_site(tree, name, name, _line_of(tree, name))
    return Problem(
        str(path),
        line,
        element_id,
        f"calls process '{name}' in {other.name}, which has problems of its own",
        f"fix {other.name} first",
    )


def _missing_call(path: Path, tree: Any, name: str) -> Problem:
    element_id, line = _call_site(tree, name, name, _line_of(tree, name))
    return Problem(
        str(path),
        line,
        element_id,
        f"calls process '{name}', which is not among the loaded files",
        f"add processes/{name}.bpmn (or validate it together with the file that defines it), "
        "or correct calledElement",
    )


def _not_reported(problems: list[Problem], name: str, path: Path) -> bool:
    """True when ``problems`` does not yet report the call of ``name`` from ``path``."""
    return not any(p.file == str(path) and f"calls process '{name}'" in p.message for p in problems)


def _not_executable_problem(path: Path, tree: Any) -> Problem:
    processes = tree.getroot().xpath("./bpmn:process", namespaces=NS)
    where = processes[0] if processes else tree.getroot()
    return Problem(
        str(path),
        where.sourceline or 1,
        str(where.get("id") or "-"),
        "no executable process in this file (nothing to run)",
        'mark the process to run with isExecutable="true"',
    )


def _stem_problem(path: Path, tree: Any) -> Problem:
    """The platform's rule: `<key>.bpmn` holds the executable process `<key>`."""
    key = path.stem
    processes = [el for el in tree.getroot().xpath("./bpmn:process", namespaces=NS) if el.get("id")]
    executable = [el for el in processes if el.get("isExecutable", "true") == "true"] or processes
    if not executable:
        return Problem(
            str(path),
            1,
            key,
            f"no executable process with id '{key}' in this file",
            f'the file stem is the process key: add a process with isExecutable="true" and id="{key}"',
        )
    first = executable[0]
    other = str(first.get("id"))
    return Problem(
        str(path),
        first.sourceline or 1,
        other,
        f"no executable process with id '{key}' in this file",
        f'the file stem is the process key: rename the file to {other}.bpmn, or set id="{key}" '
        'and isExecutable="true" on the process',
    )


def _problem_from_validation(err: ValidationException, path: Path) -> Problem:
    line = err.line_number if isinstance(err.line_number, int) else 0
    message = str(err).split("\n")[0]
    return Problem(str(path), line or 0, err.id or "-", message, None)


# Raw parser messages and what a person should read instead.
_RAW_ERRORS: list[tuple[str, str, str]] = [
    (
        r"The process '(?P<name>[^']+)' was not found",
        "calls process '{name}', which is not among the loaded files",
        "add processes/{name}.bpmn (or validate it together with the file that defines it), "
        "or correct calledElement",
    ),
    (
        r"Cannot resolve data(Input|Output)Association",
        "data association refers to something that is not a data object of this process",
        "connect it to a dataObjectReference inside the same process",
    ),
    (
        r"Data Store with name (?P<name>.+) has no implementation",
        "data store '{name}' has no implementation in this engine",
        "keep the data in the case data (task data or data objects)",
    ),
    (
        r"Multiple outgoing flows are not supported",
        "an activity with several outgoing sequence flows (conditional or implicit split) is not supported",
        "add a gateway after it: exclusive or inclusive with the conditions, parallel for all",
    ),
    (
        r"Unsupported Catch Event",
        "boundary event without an event definition the engine supports",
        "use a timer, message, signal, error, escalation, conditional or cancel boundary event",
    ),
    (
        r"There is no support implemented for this task type",
        "this element type is not supported by the engine",
        "see API.md, 'Authoring a process', for the elements PermitFlow runs",
    ),
    (
        r"Duplicate process ID: (?P<name>[^\s]+?)\.?\s*$",
        "process id '{name}' is defined in more than one of the loaded files",
        "give each process a unique id",
    ),
    (
        r"No start event found",
        "the process has no start event",
        "add a none start event",
    ),
    (
        r"identifier is missing from bpmn xml",
        "an event refers to a message, signal, error or escalation that is not defined",
        "define it under bpmn:definitions and refer to it by id",
    ),
]


def _problem_from_error(err: Exception, path: Path, tree: Any = None) -> Problem:
    """A parser failure as a problem a person can act on (never a bare internal error)."""
    if isinstance(err, ValidationException):
        raw = _problem_from_validation(err, path)
    else:
        first = str(err).split("\n")[0]
        raw = Problem(
            str(path), 0, "-", f"the engine could not read the file: {type(err).__name__}: {first}", None
        )
    for pattern, message, hint in _RAW_ERRORS:
        match = re.search(pattern, raw.message)
        if match:
            names = {k: v for k, v in match.groupdict().items() if v}
            element_id, line = raw.element_id, raw.line
            if "name" in names and "was not found" in pattern and tree is not None:
                element_id, line = _call_site(tree, names["name"], element_id, line)
            elif "name" in names and "Duplicate" in pattern:
                element_id = names["name"]
            problem = Problem(raw.file, line, element_id, message.format(**names), hint.format(**names))
            return _placed(problem, tree)
    hint = raw.hint or "see API.md, 'Authoring a process', for the elements PermitFlow runs"
    message = (
        raw.message if raw.message.startswith("the engine") else f"the engine refuses this: {raw.message}"
    )
    return _placed(Problem(raw.file, raw.line, raw.element_id, message, hint), tree)


def _placed(problem: Problem, tree: Any) -> Problem:
    """The problem with the line (and id) of its element when the parser did not give them."""
    if tree is None or problem.line:
        return problem
    root = tree.getroot()
    found = root.xpath(f"//*[@id='{problem.element_id}']") if problem.element_id != "-" else []
    where = found[0] if found else (root.xpath("./bpmn:process", namespaces=NS) or [root])[0]
    element_id = problem.element_id if found else str(where.get("id") or problem.element_id)
    return Problem(problem.file, where.sourceline or 1, element_id, problem.message, problem.hint)


def _call_site(tree: Any, name: str, element_id: str, line: int) -> tuple[str, int]:
    for el in tree.getroot().xpath("//bpmn:callActivity", namespaces=NS):
        if (el.get("calledElement") or "").split(":")[-1] == name:
            return str(el.get("id") or element_id), int(el.sourceline or line)
    return element_id, line


def _bundle(
    key: str,
    path: Path,
    tree: Any,
    parser: SpiffBpmnParser,
    added: dict[str, Path],
    documents: dict[Path, Any],
    form_dirs: list[Path],
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
) -> tuple[ProcessBundle | None, list[Problem]]:
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as err:  # noqa: BLE001 - any parser failure is a problem of the file
        return None, [_problem_from_error(err, path, tree)]

    missing = [name for name, sub in subprocess_specs.items() if sub is None]
    if missing:
        return None, [_missing_call(path, tree, name) for name in missing]

    dep_paths = sorted({added[name] for name in subprocess_specs if name in added} - {path})
    all_specs = {key: spec, **subprocess_specs}
    sources = {name: (added[name], documents[added[name]]) for name in all_specs if name in added}
    form_names, problems = check_specs(all_specs, path, tree, lane_groups, known_groups, sources)
    forms, form_problems = check_forms(form_names, path, form_dirs)
    problems.extend(form_problems)
    if problems:
        return None, problems

    process_el = tree.getroot().xpath(f"./bpmn:process[@id='{key}']", namespaces=NS)[0]
    process_props = element_properties(process_el)
    meta = _meta(key, process_el, process_props, all_specs, documents, path, dep_paths, lane_groups)

    bpmn_xml = path.read_text(encoding="utf-8")
    files: dict[str, Any] = {f"bpmn/{p.name}": p.read_text(encoding="utf-8") for p in dep_paths}
    files.update({f"forms/{name}": schema for name, schema in sorted(forms.items())})
    digest = hashlib.sha256()
    digest.update(STATE_FORMAT.encode())
    digest.update(bpmn_xml.encode())
    digest.update(json.dumps(files, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps(meta["lane_groups"], sort_keys=True, ensure_ascii=False).encode())
    return (
        ProcessBundle(
            key=key,
            name=process_el.get("name") or key,
            name_en=process_props.get("name_en") or process_el.get("name") or key,
            hash=digest.hexdigest(),
            bpmn_xml=bpmn_xml,
            source_path=str(path),
            files=files,
            meta=meta,
            spec_json=spec_to_json(spec, subprocess_specs),
        ),
        [],
    )


def _line_of(tree: Any, element_id: str) -> int:
    found = tree.getroot().xpath(f"//*[@id='{element_id}' or @calledElement='{element_id}']")
    return found[0].sourceline if found else 0


def _meta(
    key: str,
    process_el: Any,
    props: dict[str, str],
    all_specs: dict[str, Any],
    documents: dict[Path, Any],
    path: Path,
    dep_paths: list[Path],
    lane_groups: dict[str, str],
) -> dict[str, Any]:
    start_el = process_el.xpath("./bpmn:startEvent", namespaces=NS)
    start_props = element_properties(start_el[0]) if start_el else {}
    found = _TaskMeta()
    for process_id, spec in all_specs.items():
        for task_spec in spec.task_specs.values():
            found.add(task_spec, process_id, own=process_id == key, lane_groups=lane_groups)
    return {
        "name": process_el.get("name") or key,
        "name_en": props.get("name_en") or process_el.get("name") or key,
        "time_limit": props.get("time_limit"),
        "case_prefix": props.get("case_prefix"),
        "start": {
            "bpmn_id": start_el[0].get("id") if start_el else None,
            "form": start_props.get("formJsonSchemaFilename"),
            "ui_form": start_props.get("formUiSchemaFilename"),
            "public": start_props.get("public", "false").strip().lower() == "true",
            # Group slugs whose members may start the process (e.g. inspectors issue orders).
            "starters": sorted({g.strip() for g in start_props.get("starters", "").split(",") if g.strip()}),
        },
        # What the process declares about itself, so that the platform never names a process:
        # complaint semantics (wording, rating, statistics) and the certificates it issues.
        "case_kind": _case_kind(props),
        "rating": found.rating,
        "certificates": dict(sorted(found.certificates.items())),
        "tasks": found.tasks,
        "end_statuses": found.end_statuses,
        "lane_groups": dict(sorted(found.lanes_used.items())),
        "calls": sorted(name for name in all_specs if name != key and name in {p.stem for p in dep_paths}),
    }


@dataclass
class _TaskMeta:
    """What the version's metadata keeps of the task specs, collected one spec at a time."""

    tasks: dict[str, Any] = field(default_factory=dict)
    end_statuses: dict[str, str] = field(default_factory=dict)
    lanes_used: dict[str, str] = field(default_factory=dict)
    rating: dict[str, Any] | None = None
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, task_spec: Any, process_id: str, *, own: bool, lane_groups: dict[str, str]) -> None:
        """``own``: the spec belongs to the process itself (not to one it calls)."""
        ext = getattr(task_spec, "extensions", {}) or {}
        task_props = ext.get("properties", {}) or {}
        lane = getattr(task_spec, "lane", None)
        if lane:
            self.lanes_used[lane] = lane_groups.get(lane, lane)
        manual = getattr(task_spec, "manual", False)
        if manual:
            self.tasks[task_spec.bpmn_id] = {
                "process_id": process_id,
                "name": task_spec.bpmn_name or task_spec.bpmn_id,
                "name_en": task_props.get("name_en") or task_spec.bpmn_name or task_spec.bpmn_id,
                "lane": lane,
                "group": lane_groups.get(lane, lane) if lane else None,
                "form": task_props.get("formJsonSchemaFilename"),
                "time_limit": task_props.get("time_limit"),
                "clock_paused": task_props.get("clock") == "paused",
            }
        if not own:
            return
        if "case_status" in task_props:
            self.end_statuses[task_spec.bpmn_id] = task_props["case_status"]
        if manual and task_props.get("rating", "").strip():
            self.rating = _rating_meta(task_spec.bpmn_id, task_props)
        if task_props.get("certificate", "").strip():
            self.certificates[task_props["certificate"].strip()] = _certificate_meta(task_props)


CASE_KINDS = ("application", "complaint")


def _case_kind(props: dict[str, str]) -> str:
    """The process property ``case_kind``: ``complaint`` (filed by a complainant, rated, counted
    among complaints) or ``application`` (the default; also for values the platform does not know)."""
    kind = props.get("case_kind", "").strip().lower()
    return kind if kind in CASE_KINDS else "application"


def _values(text: str | None, default: str) -> list[str]:
    return [v.strip() for v in (text if text is not None else default).split(",") if v.strip()]


def _rating_meta(bpmn_id: str, props: dict[str, str]) -> dict[str, Any]:
    """A user task with the property ``rating`` is where the person who filed the case rates the
    answer: ``rating`` names the data field the rating is written to; ``rating_satisfied`` and
    ``rating_not_satisfied`` (comma-separated values) say which answers count as satisfied and
    not satisfied in the statistics."""
    return {
        "task": bpmn_id,
        "field": props["rating"].strip(),
        "satisfied": _values(props.get("rating_satisfied"), "satisfied"),
        "not_satisfied": _values(props.get("rating_not_satisfied"), "not_satisfied"),
    }


def _certificate_meta(props: dict[str, str]) -> dict[str, Any]:
    """An end event with the property ``certificate`` (the certificate type) issues one: its title
    (``certificate_title``, ``certificate_title_en``), the data field holding the end of its
    validity (``certificate_valid_until``, a field name or a dotted path into a form's answer) and
    the validity in years when that field is empty (``certificate_valid_years``)."""
    kind = props["certificate"].strip()
    years = props.get("certificate_valid_years", "").strip()
    return {
        "type": kind,
        "title": props.get("certificate_title") or kind,
        "title_en": props.get("certificate_title_en") or props.get("certificate_title") or kind,
        "valid_until": (props.get("certificate_valid_until") or "").strip() or None,
        "valid_years": int(years) if years.isdigit() and int(years) > 0 else None,
        "issuer": props.get("certificate_issuer") or None,
    }


def is_timer_catch(task_spec: Any) -> bool:
    return (
        isinstance(task_spec, CatchingEvent)
        and "Timer" in type(getattr(task_spec, "event_definition", None)).__name__
    )


def is_call(task_spec: Any) -> bool:
    return isinstance(task_spec, SubWorkflowTask)


def problem_as_error(problem: Problem) -> SpecError:
    return SpecError(
        problem.message,
        file=problem.file,
        line=problem.line,
        element_id=problem.element_id,
        hint=problem.hint,
    )


__all__ = ["LoadResult", "check_file", "element_properties", "etree", "load_for_run", "load_processes"]
