"""Reading process files: parse, check, resolve dependencies, hash, serialize. A process is `<key>.bpmn`
whose executable process id is `<key>`; its version hash covers the file and all it depends on."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .decisions import (
    Decision,
    DecisionSet,
    add_to_parser,
    bundle_files,
    dmn_beside,
    read_decisions,
    used_decisions,
)
from .errors import SpecError
from .load_problems import bad_call, missing_call, not_executable_problem, problem_from_error
from .message_events import start_message
from .process_meta import TaskMeta, case_kind, guide_meta
from .reading import Parsed, executable_ids, parse_documents, read_documents, readable_trees, where_defined
from .specs import STATE_FORMAT, spec_to_json
from .types import ProcessBundle
from .validation import Problem, check_case_scope, check_definitions, check_forms, check_specs
from .validation.decisions import check_decision_tasks, unused_table_problems
from .validation.names import NameContext, check_names
from .validation.problems import NS
from .validation.returns import check_returns

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
    names: NameContext | None = None,
    dmn_paths: list[Path] | None = None,
) -> LoadResult:
    """Parse and check BPMN files; return a bundle per valid process and every problem found.

    A process is `<key>.bpmn` whose executable process id is `<key>`; a file that breaks this
    rule gets that problem reported besides everything else wrong with it. A file with any problem
    yields no bundle: a process is never half-accepted. Business rule tasks run the decisions of
    ``dmn_paths`` (default: the `.dmn` files beside the BPMN files).
    """
    return _load(
        bpmn_paths, form_dirs, lane_groups, known_groups, by_stem=True, names=names, dmn_paths=dmn_paths
    )


def load_for_run(
    bpmn_paths: list[Path],
    form_dirs: list[Path] | None = None,
    lane_groups: dict[str, str] | None = None,
    *,
    known_groups: set[str] | None = None,
    names: NameContext | None = None,
    dmn_paths: list[Path] | None = None,
) -> LoadResult:
    """Check BPMN files of any name (e.g. written for other tools) loaded together.

    Returns a bundle for every executable process of every accepted file, keyed by process id,
    so that any of them can be started; call activities resolve across all the files given.
    The same checks as `load_processes` apply, except the file-name convention.
    """
    return _load(
        bpmn_paths,
        form_dirs or [],
        lane_groups or {},
        known_groups,
        by_stem=False,
        names=names,
        dmn_paths=dmn_paths,
    )


def check_file(
    path: Path,
    form_dirs: list[Path] | None = None,
    lane_groups: dict[str, str] | None = None,
    *,
    known_groups: set[str] | None = None,
    names: NameContext | None = None,
) -> list[Problem]:
    """Every problem of one BPMN file of any name (empty when it would be accepted)."""
    return load_for_run([path], form_dirs, lane_groups, known_groups=known_groups, names=names).problems


@dataclass(frozen=True)
class _Options:
    form_dirs: list[Path]
    lane_groups: dict[str, str]
    known_groups: set[str] | None
    by_stem: bool
    names: NameContext | None = None
    decisions: DecisionSet = field(default_factory=DecisionSet)


@dataclass
class _FileCheck:
    """What checking one parsed file found: its problems, its bundles, the calls it makes."""

    problems: list[Problem] = field(default_factory=list)
    bundles: dict[str, ProcessBundle] = field(default_factory=dict)
    calls: set[str] = field(default_factory=set)  # processes of other files it calls
    # (called process, the problem saying it is not among the loaded files)
    missing_calls: list[tuple[str, Problem]] = field(default_factory=list)
    # Called processes a problem of this file already reports.
    reported_calls: set[str] = field(default_factory=set)


def _load(
    bpmn_paths: list[Path],
    form_dirs: list[Path],
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
    *,
    by_stem: bool,
    names: NameContext | None = None,
    dmn_paths: list[Path] | None = None,
) -> LoadResult:
    result = LoadResult()
    read = read_documents(bpmn_paths, BpmnValidator(), by_stem=by_stem)
    result.problems.extend(read.problems)
    documents = read.trees
    decisions = read_decisions(dmn_beside(bpmn_paths) if dmn_paths is None else dmn_paths)
    result.problems.extend(decisions.problems)
    result.problems.extend(unused_table_problems(decisions, used_decisions(list(documents.values()))))
    for path, tree in documents.items():
        result.problems.extend(check_decision_tasks(str(path), tree, decisions))
    trees = readable_trees(bpmn_paths, documents)
    # A file defining another file's process is left out of the parser, so that what runs (or is
    # called) never depends on the order the files are read.
    misplaced = check_definitions(trees, by_stem=by_stem)
    for path, problems in misplaced.items():
        result.problems.extend(problems)
        documents.pop(path, None)
    defined_in = where_defined(trees, misplaced)
    parsed = parse_documents(documents)
    add_to_parser(parsed.parser, decisions)
    result.problems.extend(parsed.problems)

    bad_files = {p.file for p in result.problems if p not in read.stem_problems}
    options = _Options(form_dirs, lane_groups, known_groups, by_stem, names, decisions)
    checked = {
        path: _check_file(path, tree, parsed, documents, options)
        for path, tree in documents.items()
        if str(path) not in bad_files
    }
    _reject_bad_calls(checked, defined_in, parsed.added, documents, bad_files)
    for check in checked.values():
        result.problems.extend(p for p in check.problems if p not in result.problems)
        if not check.problems:
            result.bundles.update(check.bundles)
    return result


def _check_file(
    path: Path, tree: Any, parsed: Parsed, documents: dict[Path, Any], options: _Options
) -> _FileCheck:
    """Bundle each process of the file to run (with ``by_stem`` only the one named after the file)."""
    runnable = set(parsed.parser.get_process_ids())
    ids = [pid for pid in executable_ids(tree) if pid in runnable]
    stem_ok = path.stem in ids
    check = _FileCheck()
    if not ids and not options.by_stem:
        check.problems.append(not_executable_problem(path, tree))
    bundles: dict[str, ProcessBundle] = {}
    for key in [path.stem] if options.by_stem and stem_ok else ids:
        bundle, problems, missing = _bundle(
            key,
            path,
            tree,
            parsed.parser,
            parsed.added,
            documents,
            options.form_dirs,
            options.lane_groups,
            options.known_groups,
            options.decisions.decisions,
        )
        if not problems:
            problems = check_case_scope(str(path), key, parsed.elements)
        if bundle is not None and not problems:
            forms = {name[6:]: schema for name, schema in bundle.files.items() if name.startswith("forms/")}
            problems = check_names(
                str(path), key, parsed.elements, forms, options.names, options.decisions.decisions
            )
            if key in parsed.elements:
                problems += check_returns(str(path), parsed.elements[key])
        check.problems.extend(p for p in problems if p not in check.problems)
        check.missing_calls += missing
        if bundle is not None and not problems:
            bundles[key] = bundle
        with contextlib.suppress(Exception):  # a parser failure is already reported by _bundle
            called = parsed.parser.get_subprocess_specs(key)
            check.calls |= {n for n in called if n in parsed.added and parsed.added[n] != path}
    check.bundles = bundles if stem_ok or not options.by_stem else {}
    check.reported_calls = {name for name, _ in check.missing_calls}
    return check


def _reject_bad_calls(
    checked: dict[Path, _FileCheck],
    defined_in: dict[str, Path],
    added: dict[str, Path],
    documents: dict[Path, Any],
    bad_files: set[str],
) -> None:
    """A file is only as good as the files it calls: one that calls a rejected file is rejected too,
    with a problem of its own naming the call."""
    bad_files |= {p.file for check in checked.values() for p in check.problems}
    for path, check in checked.items():
        for name, problem in check.missing_calls:
            other = defined_in.get(name)
            if other is not None and other != path:
                replacement = bad_call(path, documents[path], name, other)
                check.problems = [replacement if p == problem else p for p in check.problems]
    changed = True
    while changed:
        changed = False
        for path, check in checked.items():
            for name in sorted(check.calls):
                if str(added[name]) in bad_files and name not in check.reported_calls:
                    check.problems.append(bad_call(path, documents[path], name, added[name]))
                    check.reported_calls.add(name)
                    bad_files.add(str(path))
                    changed = True


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
    decisions: dict[str, Decision],
) -> tuple[ProcessBundle | None, list[Problem], list[tuple[str, Problem]]]:
    """The process ``key`` checked and bundled; else its problems and the calls of missing processes."""
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as err:  # noqa: BLE001 - any parser failure is a problem of the file
        refusal = problem_from_error(err, path, tree)
        missing_calls = [(refusal.missing_call, refusal.problem)] if refusal.missing_call else []
        return None, [refusal.problem], missing_calls

    missing = [
        (name, missing_call(path, tree, name)) for name, sub in subprocess_specs.items() if sub is None
    ]
    if missing:
        return None, [problem for _, problem in missing], missing

    dep_paths = sorted({added[name] for name in subprocess_specs if name in added} - {path})
    all_specs = {key: spec, **subprocess_specs}
    sources = {name: (added[name], documents[added[name]]) for name in all_specs if name in added}
    form_names, problems = check_specs(all_specs, path, tree, lane_groups, known_groups, sources)
    forms, form_problems = check_forms(form_names, path, form_dirs)
    problems.extend(form_problems)
    if problems:
        return None, problems, []

    process_el = tree.getroot().xpath(f"./bpmn:process[@id='{key}']", namespaces=NS)[0]
    process_props = element_properties(process_el)
    meta = _meta(key, process_el, process_props, all_specs, documents, path, dep_paths, lane_groups)

    bpmn_xml = path.read_text(encoding="utf-8")
    files: dict[str, Any] = {f"bpmn/{p.name}": p.read_text(encoding="utf-8") for p in dep_paths}
    files.update({f"forms/{name}": schema for name, schema in sorted(forms.items())})
    files.update(bundle_files(list(all_specs), added, documents, decisions))
    return (
        ProcessBundle(
            key=key,
            name=process_el.get("name") or key,
            name_en=process_props.get("name_en") or process_el.get("name") or key,
            hash=_version_hash(bpmn_xml, files, meta["lane_groups"]),
            bpmn_xml=bpmn_xml,
            source_path=str(path),
            files=files,
            meta=meta,
            spec_json=spec_to_json(spec, subprocess_specs),
        ),
        [],
        [],
    )


def _version_hash(bpmn_xml: str, files: dict[str, Any], lane_groups: dict[str, str]) -> str:
    """The process version: the state format, the BPMN file, what it depends on, the lanes it maps."""
    digest = hashlib.sha256()
    digest.update(STATE_FORMAT.encode())
    digest.update(bpmn_xml.encode())
    digest.update(json.dumps(files, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps(lane_groups, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


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
    found = TaskMeta()
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
            "message": start_message(process_el, start_el[0]) if start_el else None,  # POST /messages
        },
        # What the process declares about itself, so that the platform never names a process:
        # complaint semantics (wording, rating, statistics) and the certificates it issues.
        "case_kind": case_kind(props),
        "guide": guide_meta(props),
        **found.as_meta(),
        "calls": sorted(name for name in all_specs if name != key and name in {p.stem for p in dep_paths}),
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


__all__ = ["LoadResult", "check_file", "element_properties", "load_for_run", "load_processes"]
