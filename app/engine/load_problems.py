"""The problems the loader itself reports: the file-name rule, files with nothing to run, calls of
processes that are missing or rejected, and parser failures translated into what a person can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .messages import Text, as_text, marked
from .validation.problems import NS, Problem, owning_id

AUTHORING_HINT = Text("see the README, section 'Authoring a process', for the elements PermitFlow runs")


def bad_call(path: Path, tree: Any, name: str, other: Path) -> Problem:
    """``path`` calls ``name``, defined in ``other``, a file rejected for problems of its own."""
    element_id, line = _call_site(tree, name, name, _line_of(tree, name))
    return Problem(
        str(path),
        line,
        element_id,
        Text("calls process '{name}' in {file}, which has problems of its own", name=name, file=other.name),
        Text("fix {file} first", file=other.name),
    )


def missing_call(path: Path, tree: Any, name: str) -> Problem:
    """``path`` calls ``name``, which none of the loaded files defines (so far as the parser knows)."""
    element_id, line = _call_site(tree, name, name, _line_of(tree, name))
    return Problem(
        str(path),
        line,
        element_id,
        Text(_MISSING_CALL, name=name),
        Text(_MISSING_CALL_HINT, name=name),
    )


def not_executable_problem(path: Path, tree: Any) -> Problem:
    """A file loaded for running that has no executable process."""
    processes = tree.getroot().xpath("./bpmn:process", namespaces=NS)
    where = processes[0] if processes else tree.getroot()
    return Problem(
        str(path),
        where.sourceline or 1,
        str(where.get("id") or "-"),
        Text("no executable process in this file (nothing to run)"),
        Text('mark the process to run with isExecutable="true"'),
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
            Text("no executable process with id '{key}' in this file", key=key),
            Text(
                'the file stem is the process key: add a process with isExecutable="true" and id="{key}"',
                key=key,
            ),
        )
    first = executable[0]
    other = str(first.get("id"))
    return Problem(
        str(path),
        first.sourceline or 1,
        other,
        Text("no executable process with id '{key}' in this file", key=key),
        Text(
            'the file stem is the process key: rename the file to {other}.bpmn, or set id="{key}" '
            'and isExecutable="true" on the process',
            key=key,
            other=other,
        ),
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


_MISSING_CALL = marked("calls process '{name}', which is not among the loaded files")
_MISSING_CALL_HINT = marked(
    "add processes/{name}.bpmn (or validate it together with the file that defines it), "
    "or correct calledElement"
)
# Raw parser messages and what a person should read instead (templates: `Text` marks them).
_RAW_ERRORS: list[_Translation] = [
    _Translation(r"The process '(?P<name>[^']+)' was not found", _MISSING_CALL, _MISSING_CALL_HINT, "call"),
    _Translation(
        r"Cannot resolve data(Input|Output)Association",
        marked("data association refers to something that is not a data object of this process"),
        marked("connect it to a dataObjectReference inside the same process"),
    ),
    _Translation(
        r"Data Store with name (?P<name>.+) has no implementation",
        marked("data store '{name}' has no implementation in this engine"),
        marked("keep the data in the case data (task data or data objects)"),
    ),
    _Translation(
        r"Multiple outgoing flows are not supported",
        marked(
            "an activity with several outgoing sequence flows (conditional or implicit split) "
            "is not supported"
        ),
        marked("add a gateway after it: exclusive or inclusive with the conditions, parallel for all"),
    ),
    _Translation(
        r"Unsupported Catch Event",
        marked("boundary event without an event definition the engine supports"),
        marked("use a timer, message, signal, error, escalation, conditional or cancel boundary event"),
    ),
    _Translation(
        r"There is no support implemented for this task type",
        marked("this element type is not supported by the engine"),
        AUTHORING_HINT,
    ),
    _Translation(
        r"Duplicate process ID: (?P<name>[^\s]+?)\.?\s*$",
        marked("process id '{name}' is defined in more than one of the loaded files"),
        marked("give each process a unique id"),
        "id",
    ),
    _Translation(
        r"No start event found",
        marked("the process has no start event"),
        marked("add a none start event"),
    ),
    _Translation(
        r"identifier is missing from bpmn xml",
        marked("an event refers to a message, signal, error or escalation that is not defined"),
        marked("define it under bpmn:definitions and refer to it by id"),
    ),
]


def problem_from_error(err: Exception, path: Path, tree: Any = None) -> ParserRefusal:
    """A parser failure as a problem a person can act on (never a bare internal error)."""
    raw, own = _raw_problem(err, path)
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
        message, hint = Text(translation.message, **names), Text(translation.hint, **names)
        return ParserRefusal(_placed(Problem(raw.file, line, element_id, message, hint), tree), called)
    hint = raw.hint or AUTHORING_HINT
    message = raw.message if own else Text("the engine refuses this: {detail}", detail=raw.message)
    return ParserRefusal(_placed(Problem(raw.file, raw.line, raw.element_id, message, hint), tree))


def _raw_problem(err: Exception, path: Path) -> tuple[Problem, bool]:
    """The parser's own words as a problem, and whether the message is already ours."""
    if isinstance(err, ValidationException):
        line = err.line_number if isinstance(err.line_number, int) else 0
        message = as_text(str(err).split("\n")[0])
        return Problem(str(path), line or 0, err.id or "-", message, None), False
    first = str(err).split("\n")[0]
    message = Text(
        "the engine could not read the file: {kind}: {detail}", kind=type(err).__name__, detail=first
    )
    return Problem(str(path), 0, "-", message, None), True


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
