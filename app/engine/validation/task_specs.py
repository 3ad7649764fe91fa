"""Checks on the parsed task specs: who does each human task (lanes, groups), which forms are named,
the time limits, and the properties that declare a process's semantics (rating, certificate)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..messages import Text
from ..sandbox import check_source
from .forms import FormUse
from .problems import Problem
from .timers import parse_time_limit

# Groups that are not in processes/groups.yaml: the case's applicant does these tasks.
SPECIAL_GROUPS = {"applicant"}
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")


def check_specs(
    all_specs: dict[str, Any],
    path: Path,
    tree: Any,
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
    sources: dict[str, tuple[Path, Any]] | None = None,
) -> tuple[dict[str, FormUse], list[Problem]]:
    """Checks on parsed specs: lanes and groups, forms named, time limits.

    ``sources`` maps process ids to the file and tree defining them, so that a problem in a called
    process names the file it is in. Returns the form names referenced, each with the place of the
    first task naming it (file, line, task id), and the problems.
    """
    problems: list[Problem] = []
    forms: dict[str, FormUse] = {}
    for process_id, spec in all_specs.items():
        file, current = (str(path), tree)
        if sources and process_id in sources:
            file, current = str(sources[process_id][0]), sources[process_id][1]
        for task_spec in spec.task_specs.values():
            props = (getattr(task_spec, "extensions", {}) or {}).get("properties", {}) or {}
            where = _Task(file, current, getattr(task_spec, "bpmn_id", None) or task_spec.name)
            for key in FORM_PROPERTIES:
                if props.get(key) and props[key] not in forms:
                    forms[props[key]] = FormUse(file, where.line(), where.bpmn_id)
            if "time_limit" in props and parse_time_limit(props["time_limit"]) is None:
                problems.append(
                    where.problem(
                        Text("time_limit '{value}' does not parse", value=props["time_limit"]),
                        Text("write e.g. 5wd (working days), 3d (days) or 4h (hours)"),
                    )
                )
            problems += _check_declared(where, task_spec, props, lane_groups)
            if getattr(task_spec, "manual", False):
                problems += _check_performer(where, task_spec, props, lane_groups, known_groups)
    return forms, problems


@dataclass(frozen=True)
class _Task:
    """A task spec's element in the file defining it."""

    file: str
    tree: Any
    bpmn_id: str

    def line(self) -> int:
        found = self.tree.getroot().xpath("//*[@id=$id]", id=self.bpmn_id)
        return int(found[0].sourceline or 0) if found else 0

    def problem(self, message: Text, hint: Text) -> Problem:
        # Looked up only for a problem: most tasks have none.
        return Problem(self.file, self.line(), self.bpmn_id, message, hint)


def _check_performer(
    where: _Task,
    task_spec: Any,
    props: dict[str, Any],
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
) -> list[Problem]:
    """A human task needs a candidate group: a valid candidate_groups expression, or a lane naming one."""
    expr = props.get("candidate_groups")
    if expr:
        refusal = check_source(expr, expression=True)
        if refusal:
            return [
                where.problem(
                    Text("candidate_groups {refusal}", refusal=refusal), Text('e.g. "fire" or agency')
                )
            ]
        return []
    lane = getattr(task_spec, "lane", None)
    if not lane:
        return [
            where.problem(
                Text("human task has no candidate group"),
                Text("put it in a lane named after a group, or set the candidate_groups property"),
            )
        ]
    group = lane_groups.get(lane, lane)
    if known_groups is not None and group not in known_groups | SPECIAL_GROUPS:
        return [
            where.problem(
                Text("lane '{lane}' names no group", lane=lane),
                Text("map the lane name to a group slug in processes/groups.yaml"),
            )
        ]
    return []


def _check_declared(
    where: _Task, task_spec: Any, props: dict[str, Any], lane_groups: dict[str, str]
) -> list[Problem]:
    """The properties that declare a process's semantics (README, "Authoring a process"): the
    rating is given by the person who filed the case, so its task sits in the `applicant` lane; a
    certificate's validity in years is a whole number."""
    problems: list[Problem] = []
    if str(props.get("rating") or "").strip():
        lane = str(getattr(task_spec, "lane", None) or "")
        if not getattr(task_spec, "manual", False) or lane_groups.get(lane, lane) not in SPECIAL_GROUPS:
            problems.append(
                where.problem(
                    Text(
                        "the property rating is for the task in which the person who filed the case rates it"
                    ),
                    Text(
                        "put this user task in a lane mapped to the applicant pseudo-group, or remove rating"
                    ),
                )
            )
    years = props.get("certificate_valid_years")
    if years is not None and not (str(years).strip().isdigit() and int(years) > 0):
        problems.append(
            where.problem(
                Text("certificate_valid_years '{years}' is not a whole number of years", years=years),
                Text("write e.g. 3"),
            )
        )
    return problems
