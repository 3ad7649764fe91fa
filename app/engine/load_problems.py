"""The problems the loader itself reports: the file-name rule, files with nothing to run, calls of
processes that are missing or rejected, and parser failures translated into what a person can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .validation.problems import NS, Problem, owning_id

AUTHORING_HINT = "see API.md, 'Authoring a process', for the elements PermitFlow runs"


def bad_call(path: Path, tree: Any, name: str, other: Path) -> Problem:
    """``path`` calls ``name``, defined in ``other``, a file rejected for problems of its own."""
    element_id, line = _call_site(tree, name, name, _line_of(tree, name))
    return Problem(
        str(path),
        line,
        element_id,
        f"calls process '{name}' in {other.name}, which has problems of its own",
        f"fix {other.name} first",
    )


def missing_call(path: Path, tree: Any, name: str) -> Problem:
    """``path`` calls ``name``, which none of the loaded files defines (so far as the parser knows)."""
    element_id, line = _call_site(tree, name, name, _line_of(tree, name))
    return Problem(
        str(path),
        line,
        element_id,
        f"calls process '{name}', which is not among the loaded files",
        f"add processes/{name}.bpmn (or validate it together with the file that defines it), "
        "or correct calledElement",
    )


def not_executable_problem(path: Path, tree: Any) -> Problem:
    """A file loaded for running that has no executable process."""
    processes = tree.getroot().xpath("./bpmn:process", namespaces=NS)
    where = processes[0] if processes else tree.getroot()
    return Problem(
        str(path),
        where.sourceline or 1,
        str(where.get("id") or "-"),
        "no executable process in this file (nothing to run)",
        'mark the process to run with isExecutable="true"',
    )


def stem_problem(path: Path, tree: Any) -> Problem:
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


@dataclass(frozen=True)
class ParserRefusal:
    """A parser failure as a problem, and the called process it could not find when that was why."""

    problem: Problem
    missing_call: str | None = None


class _Translation(NamedTuple):
    pattern: str
    message: str
    hint: str
    # What the pattern's `name` group is: the process a call activity names, or the element id.
    name_is: Literal["call", "id"] | None = None


# Raw parser messages and what a person should read instead.
_RAW_ERRORS: list[_Translation] = [
    _Translation(
        r"The process '(?P<name>[^']+)' was not found",
        "calls process '{name}', which is not among the loaded files",
        "add processes/{name}.bpmn (or validate it together with the file that defines it), "
        "or correct calledElement",
        "call",
    ),
    _Translation(
        r"Cannot resolve data(Input|Output)Association",
        "data association refers to something that is not a data object of this process",
        "connect it to a dataObjectReference inside the same process",
    ),
    _Translation(
        r"Data Store with name (?P<name>.+) has no implementation",
        "data store '{name}' has no implementation in this engine",
        "keep the data in the case data (task data or data objects)",
    ),
    _Translation(
        r"Multiple outgoing flows are not supported",
        "an activity with several outgoing sequence flows (conditional or implicit split) is not supported",
        "add a gateway after it: exclusive or inclusive with the conditions, parallel for all",
    ),
    _Translation(
        r"Unsupported Catch Event",
        "boundary event without an event definition the engine supports",
        "use a timer, message, signal, error, escalation, conditional or cancel boundary event",
    ),
    _Translation(
        r"There is no support implemented for this task type",
        "this element type is not supported by the engine",
        AUTHORING_HINT,
    ),
    _Translation(
        r"Duplicate process ID: (?P<name>[^\s]+?)\.?\s*$",
        "process id '{name}' is defined in more than one of the loaded files",
        "give each process a unique id",
        "id",
    ),
    _Translation(
        r"No start event found",
        "the process has no start event",
        "add a none start event",
    ),
    _Translation(
        r"identifier is missing from bpmn xml",
        "an event refers to a message, signal, error or escalation that is not defined",
        "define it under bpmn:definitions and refer to it by id",
    ),
]


def problem_from_error(err: Exception, path: Path, tree: Any = None) -> ParserRefusal:
    """A parser failure as a problem a person can act on (never a bare internal error)."""
    raw = _raw_problem(err, path)
    for translation in _RAW_ERRORS:
        match = re.search(translation.pattern, raw.message)
        if not match:
            continue
        names = {k: v for k, v in match.groupdict().items() if v}
        element_id, line = raw.element_id, raw.line
        called = names.get("name") if translation.name_is == "call" else None
        if called and tree is not None:
            element_id, line = _call_site(tree, called, element_id, line)
        elif "name" in names and translation.name_is == "id":
            element_id = names["name"]
        message, hint = translation.message.format(**names), translation.hint.format(**names)
        return ParserRefusal(_placed(Problem(raw.file, line, element_id, message, hint), tree), called)
    hint = raw.hint or AUTHORING_HINT
    message = (
        raw.message if raw.message.startswith("the engine") else f"the engine refuses this: {raw.message}"
    )
    return ParserRefusal(_placed(Problem(raw.file, raw.line, raw.element_id, message, hint), tree))


def _raw_problem(err: Exception, path: Path) -> Problem:
    if isinstance(err, ValidationException):
        line = err.line_number if isinstance(err.line_number, int) else 0
        message = str(err).split("\n")[0]
        return Problem(str(path), line or 0, err.id or "-", message, None)
    first = str(err).split("\n")[0]
    return Problem(
        str(path), 0, "-", f"the engine could not read the file: {type(err).__name__}: {first}", None
    )


def _placed(problem: Problem, tree: Any) -> Problem:
    """The problem at the drawn element (never an event definition inside it), with its line when the
    parser did not give one."""
    if tree is None:
        return problem
    root = tree.getroot()
    found = root.xpath("//*[@id=$id]", id=problem.element_id) if problem.element_id != "-" else []
    drawn = owning_id(found[0]) if found else problem.element_id
    if drawn != problem.element_id and drawn != "-":
        problem = Problem(problem.file, problem.line, drawn, problem.message, problem.hint)
        found = root.xpath("//*[@id=$id]", id=drawn)
    if problem.line:
        return problem
    where = found[0] if found else (root.xpath("./bpmn:process", namespaces=NS) or [root])[0]
    element_id = problem.element_id if found else str(where.get("id") or problem.element_id)
    return Problem(problem.file, where.sourceline or 1, element_id, problem.message, problem.hint)


def _call_site(tree: Any, name: str, element_id: str, line: int) -> tuple[str, int]:
    for el in tree.getroot().xpath("//bpmn:callActivity", namespaces=NS):
        if (el.get("calledElement") or "").split(":")[-1] == name:
            return str(el.get("id") or element_id), int(el.sourceline or line)
    return element_id, line


def _line_of(tree: Any, element_id: str) -> int:
    found = tree.getroot().xpath(f"//*[@id='{element_id}' or @calledElement='{element_id}']")
    return found[0].sourceline if found else 0
