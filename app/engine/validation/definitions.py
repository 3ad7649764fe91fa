"""Where each process is defined: one file per process id, and `<key>.bpmn` runs only the process `<key>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..messages import Text
from .problems import NS, Problem

Placed = dict[Path, list[Problem]]


def check_definitions(trees: dict[Path, Any], *, by_stem: bool) -> Placed:
    """Where each process is defined, per file.

    A process id must be defined in one file only: otherwise which definition runs (or is called)
    depends on the order the files are read. With ``by_stem`` (the processes folder) the file
    `<key>.bpmn` owns the process `<key>` and runs no other process, so an edited file can never
    stand in for another file's process.
    """
    defined: dict[str, list[tuple[Path, Any]]] = {}
    for path, tree in sorted(trees.items()):
        for el in tree.getroot().xpath("./bpmn:process[@id]", namespaces=NS):
            defined.setdefault(str(el.get("id")), []).append((path, el))
    problems: Placed = {}
    for pid, places in defined.items():
        _check_defined_once(problems, pid, places, by_stem=by_stem)
    if by_stem:
        for path, tree in sorted(trees.items()):
            _check_runs_only_its_own(problems, path, tree)
    return problems


def _add(problems: Placed, path: Path, el: Any, pid: str, message: Text, hint: Text) -> None:
    problems.setdefault(path, []).append(Problem(str(path), el.sourceline or 1, pid, message, hint))


def _check_defined_once(problems: Placed, pid: str, places: list[tuple[Path, Any]], *, by_stem: bool) -> None:
    files = {path for path, _ in places}
    if len(files) < 2:
        return
    owner = next((path for path in files if by_stem and path.stem == pid), None)
    for path, el in places:
        if path == owner:
            continue
        if owner is not None:
            _add(
                problems,
                path,
                el,
                pid,
                Text(
                    "process '{pid}' belongs to {owner}; this file defines it again",
                    pid=pid,
                    owner=owner.name,
                ),
                Text(
                    'remove it from this file and call it with a call activity (calledElement="{pid}")',
                    pid=pid,
                ),
            )
        else:
            others = ", ".join(sorted(p.name for p in files if p != path))
            _add(
                problems,
                path,
                el,
                pid,
                Text("process id '{pid}' is also defined in {others}", pid=pid, others=others),
                Text("define each process in one file only, or give the processes different ids"),
            )


def _check_runs_only_its_own(problems: Placed, path: Path, tree: Any) -> None:
    reported = {p.element_id for p in problems.get(path, [])}
    executable = [
        el
        for el in tree.getroot().xpath("./bpmn:process[@id]", namespaces=NS)
        if el.get("isExecutable", "true") == "true"
    ]
    if path.stem not in {el.get("id") for el in executable}:
        return  # the file-name rule itself is reported by the loader
    for el in executable:
        pid = str(el.get("id"))
        if pid != path.stem and pid not in reported:
            _add(
                problems,
                path,
                el,
                pid,
                Text(
                    "executable process '{pid}' in {file}: the file {file} may run only the process '{key}'",
                    pid=pid,
                    file=path.name,
                    key=path.stem,
                ),
                Text(
                    'move it to {pid}.bpmn and call it from there, or set isExecutable="false" if only '
                    "this file calls it",
                    pid=pid,
                ),
            )
