"""Reading process files: parse, check, resolve dependencies, hash, serialize.

A process is `<key>.bpmn` whose executable process id is `<key>`. Its version hash covers the
BPMN file, every process it calls, every form it references and the lane mapping it uses.
"""

from __future__ import annotations

import hashlib
import json
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
from .validation import Problem, check_document, check_forms, check_specs

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

    A file with any problem yields no bundle: a process is never half-accepted.
    """
    result = LoadResult()
    documents: dict[Path, Any] = {}
    validator = BpmnValidator()
    for path in sorted(bpmn_paths):
        problems, tree = check_document(path, validator)
        result.problems.extend(problems)
        if tree is not None and not problems:
            documents[path] = tree

    parser = SpiffBpmnParser()
    added: dict[str, Path] = {}
    for path, tree in documents.items():
        try:
            parser.add_bpmn_xml(tree, filename=str(path))
        except ValidationException as err:
            result.problems.append(_problem_from_validation(err, path))
            continue
        for process in tree.getroot().xpath("./bpmn:process", namespaces=NS):
            added[process.get("id")] = path

    bad_files = {p.file for p in result.problems}
    for path, tree in documents.items():
        if str(path) in bad_files:
            continue
        key = path.stem
        if key not in parser.get_process_ids():
            result.problems.append(
                Problem(
                    str(path),
                    1,
                    key,
                    f"no executable process with id '{key}' in this file",
                    'the file stem is the process key: set isExecutable="true" and id="' + key + '"',
                )
            )
            continue
        bundle, problems = _bundle(
            key, path, tree, parser, added, documents, form_dirs, lane_groups, known_groups
        )
        result.problems.extend(problems)
        if bundle is not None and not problems:
            result.bundles[key] = bundle
    return result


def _problem_from_validation(err: ValidationException, path: Path) -> Problem:
    line = err.line_number if isinstance(err.line_number, int) else 0
    message = str(err).split("\n")[0]
    return Problem(str(path), line or 0, err.id or "-", message, None)


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
    except ValidationException as err:
        return None, [_problem_from_validation(err, path)]

    missing = [name for name, sub in subprocess_specs.items() if sub is None]
    if missing:
        return None, [
            Problem(
                str(path),
                _line_of(tree, name),
                name,
                f"calls process '{name}', which is not in the processes folder",
                "add processes/" + name + ".bpmn or correct calledElement",
            )
            for name in missing
        ]

    dep_paths = sorted({added[name] for name in subprocess_specs if name in added} - {path})
    all_specs = {key: spec, **subprocess_specs}
    form_names, problems = check_specs(all_specs, path, tree, lane_groups, known_groups)
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
    tasks: dict[str, Any] = {}
    end_statuses: dict[str, str] = {}
    lanes_used: dict[str, str] = {}
    for process_id, spec in all_specs.items():
        for task_spec in spec.task_specs.values():
            ext = getattr(task_spec, "extensions", {}) or {}
            task_props = ext.get("properties", {}) or {}
            lane = getattr(task_spec, "lane", None)
            if lane:
                lanes_used[lane] = lane_groups.get(lane, lane)
            if getattr(task_spec, "manual", False):
                tasks[task_spec.bpmn_id] = {
                    "process_id": process_id,
                    "name": task_spec.bpmn_name or task_spec.bpmn_id,
                    "name_en": task_props.get("name_en") or task_spec.bpmn_name or task_spec.bpmn_id,
                    "lane": lane,
                    "group": lane_groups.get(lane, lane) if lane else None,
                    "form": task_props.get("formJsonSchemaFilename"),
                    "time_limit": task_props.get("time_limit"),
                    "clock_paused": task_props.get("clock") == "paused",
                }
            if "case_status" in task_props and process_id == key:
                end_statuses[task_spec.bpmn_id] = task_props["case_status"]
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
        },
        "tasks": tasks,
        "end_statuses": end_statuses,
        "lane_groups": dict(sorted(lanes_used.items())),
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


__all__ = ["LoadResult", "load_processes", "element_properties", "etree"]
