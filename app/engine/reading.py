"""Reading the files of one load: each file checked on its own, every readable tree, where each process
is defined, and the accepted files handed to SpiffWorkflow's parser."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .load_problems import problem_from_error, stem_problem
from .validation import Problem, check_document
from .validation.problems import NS


def executable_ids(tree: Any) -> list[str]:
    """The ids of the processes of a file marked executable (the default)."""
    return [
        str(el.get("id"))
        for el in tree.getroot().xpath("./bpmn:process", namespaces=NS)
        if el.get("isExecutable", "true") == "true" and el.get("id")
    ]


@dataclass
class Documents:
    """The files that passed the checks on their own (path → tree), and the problems of all of them."""

    trees: dict[Path, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # The file-name rule's problems: the rest of such a file is still checked.
    stem_problems: list[Problem] = field(default_factory=list)


def read_documents(bpmn_paths: list[Path], validator: Any, *, by_stem: bool) -> Documents:
    """XML, schema, expression and element checks of each file, and the file-name rule with ``by_stem``."""
    documents = Documents()
    for path in sorted(bpmn_paths):
        problems, tree = check_document(path, validator)
        documents.problems.extend(problems)
        if tree is not None and by_stem and path.stem not in executable_ids(tree):
            documents.stem_problems.append(stem_problem(path, tree))
            documents.problems.append(documents.stem_problems[-1])
        if tree is not None and not problems:
            documents.trees[path] = tree
    return documents


def readable_trees(bpmn_paths: list[Path], accepted: dict[Path, Any]) -> dict[Path, Any]:
    """Every readable file, including files rejected before parsing."""
    trees: dict[Path, Any] = {}
    for path in sorted(bpmn_paths):
        tree = accepted.get(path)
        if tree is None and path.is_file():
            with contextlib.suppress(Exception):
                tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        if tree is not None:
            trees[path] = tree
    return trees


def where_defined(trees: dict[Path, Any], misplaced: dict[Path, list[Problem]]) -> dict[str, Path]:
    """The file defining each process id, its rightful file first."""
    defined_in: dict[str, Path] = {}
    for path in sorted(trees, key=lambda p: (p in misplaced, p)):
        for pid in trees[path].getroot().xpath("./bpmn:process/@id", namespaces=NS):
            defined_in.setdefault(str(pid), path)
    return defined_in


@dataclass
class Parsed:
    """The parser holding every accepted file, and where each of its processes came from."""

    parser: SpiffBpmnParser
    added: dict[str, Path] = field(default_factory=dict)  # process id → its file
    elements: dict[str, Any] = field(default_factory=dict)  # process id → its bpmn:process element
    problems: list[Problem] = field(default_factory=list)


def parse_documents(documents: dict[Path, Any]) -> Parsed:
    """Add every file to one parser; a file the parser refuses is reported and removed from ``documents``."""
    parsed = Parsed(SpiffBpmnParser())
    for path, tree in list(documents.items()):
        try:
            parsed.parser.add_bpmn_xml(tree, filename=str(path))
        except Exception as err:  # noqa: BLE001 - any parser failure is a problem of the file
            parsed.problems.append(problem_from_error(err, path, tree).problem)
            del documents[path]
            continue
        for process in tree.getroot().xpath("./bpmn:process", namespaces=NS):
            parsed.added[process.get("id")] = path
            parsed.elements[process.get("id")] = process
    return parsed
