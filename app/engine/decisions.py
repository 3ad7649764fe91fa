"""DMN decision tables beside the BPMN files: read into plain facts, handed to SpiffWorkflow's parser.

A business rule task names its decision with ``spiffworkflow:calledDecisionId``; the decision is the
one decision of a ``<name>.dmn`` file in the processes folder (SpiffWorkflow reads one decision per
file and its first decision table). Input expressions, input entries and output entries are Python,
run in the script sandbox like every other expression of a process.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS

from .messages import Text
from .validation.problems import NS, Problem

DMN_NAMESPACES = tuple(SCHEMAS)
# SpiffWorkflow's engine marks the tested value of an entry with "?" (e.g. `0 < ? <= 24`).
_PLACEHOLDER = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
INPUT_VALUE = "dmninputexpr"
ANY = ("", "-")


@dataclass(frozen=True)
class DecisionInput:
    id: str
    label: str
    expression: str
    type_ref: str
    line: int


@dataclass(frozen=True)
class DecisionOutput:
    id: str
    label: str
    name: str
    type_ref: str
    line: int


@dataclass(frozen=True)
class DecisionRule:
    id: str
    row: int
    line: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """The one decision of a DMN file and its decision table."""

    id: str
    name: str
    file: str  # the path it was read from
    file_name: str  # `<name>.dmn`, as stored with a version
    xml: str
    line: int
    table_id: str
    hit_policy: str
    aggregation: str
    inputs: tuple[DecisionInput, ...]
    outputs: tuple[DecisionOutput, ...]
    rules: tuple[DecisionRule, ...]

    @property
    def label(self) -> Text:
        """How a problem names it: the table's name, its id and its file."""
        return Text(
            "decision table '{name}' ({id} in {file})",
            name=self.name or self.id,
            id=self.id,
            file=self.file_name,
        )


@dataclass
class DecisionSet:
    """The decisions of the DMN files of one load (by decision id) and the files' own problems."""

    decisions: dict[str, Decision] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    trees: dict[str, Any] = field(default_factory=dict)  # decision id -> its file's root element


def entry_code(input_expression: str, entry: str) -> str:
    """The Python SpiffWorkflow's DMN engine evaluates for an input entry (with the tested value
    written as the input expression): `>= 1000` → `floor_area>= 1000`, `"shop"` → `(use) == ("shop")`,
    `? in ("a", "b")` → `(use) in ("a", "b")`."""
    marked = _PLACEHOLDER.sub(INPUT_VALUE, entry)
    if INPUT_VALUE in marked:
        return marked.replace(INPUT_VALUE, f"({input_expression})")
    try:
        ast.parse(entry)
    except SyntaxError:
        return input_expression + entry
    return f"({input_expression}) == ({entry})"


def _text(el: Any, path: str, ns: dict[str, str]) -> str:
    found = el.find(path, namespaces=ns)
    return (found.text or "").strip() if found is not None and found.text else ""


def _table(decision: Any, table: Any, ns: dict[str, str], path: Path, xml: str) -> Decision:
    inputs, outputs, rules = [], [], []
    for el in table.findall("dmn:input", namespaces=ns):
        expr = el.find("dmn:inputExpression", namespaces=ns)
        inputs.append(
            DecisionInput(
                el.get("id", ""),
                el.get("label", ""),
                _text(el, "dmn:inputExpression/dmn:text", ns),
                (expr.get("typeRef", "") if expr is not None else "").strip(),
                int(el.sourceline or 0),
            )
        )
    for el in table.findall("dmn:output", namespaces=ns):
        outputs.append(
            DecisionOutput(
                el.get("id", ""),
                el.get("label", ""),
                el.get("name", "").strip(),
                el.get("typeRef", "").strip(),
                int(el.sourceline or 0),
            )
        )
    for row, el in enumerate(table.findall("dmn:rule", namespaces=ns), start=1):
        rules.append(
            DecisionRule(
                el.get("id", ""),
                row,
                int(el.sourceline or 0),
                tuple(_text(e, "dmn:text", ns) for e in el.findall("dmn:inputEntry", namespaces=ns)),
                tuple(_text(e, "dmn:text", ns) for e in el.findall("dmn:outputEntry", namespaces=ns)),
            )
        )
    return Decision(
        id=decision.get("id", ""),
        name=decision.get("name", "") or "",
        file=str(path),
        file_name=path.name,
        xml=xml,
        line=int(decision.sourceline or 0),
        table_id=table.get("id", ""),
        hit_policy=(table.get("hitPolicy") or "UNIQUE").strip().upper(),
        aggregation=(table.get("aggregation") or "").strip(),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        rules=tuple(rules),
    )


_SAVE_HINT = Text("save the decision table from the editor")


def _parsed(path: Path) -> tuple[str, Any]:
    xml = path.read_text(encoding="utf-8")
    return xml, etree.fromstring(
        xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
    )


def _read_file(path: Path, found: DecisionSet) -> None:
    file = str(path)

    def refuse(line: int, element_id: str, message: Text, hint: Text | None) -> None:
        found.problems.append(Problem(file, line, element_id, message, hint))

    try:
        xml, root = _parsed(path)
    except (OSError, UnicodeDecodeError, etree.XMLSyntaxError) as err:
        return refuse(
            getattr(err, "lineno", 0) or 0, "-", Text("not well-formed XML: {detail}", detail=str(err)), None
        )
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "definitions" or namespace not in DMN_NAMESPACES:
        return refuse(1, "-", Text("not a DMN file (no DMN definitions)"), _SAVE_HINT)
    try:
        BpmnValidator(SCHEMAS[namespace]).validate(root, file)
    except ValidationException as err:
        line = err.line_number if isinstance(err.line_number, int) else 0
        return refuse(line, "-", Text("DMN schema: {detail}", detail=str(err).splitlines()[0]), None)
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", namespaces=ns)
    if len(decisions) != 1:
        return refuse(
            1,
            "-",
            Text(
                "the file holds {count} decisions; the engine reads exactly one per file",
                count=len(decisions),
            ),
            Text("put each decision table in a .dmn file of its own"),
        )
    decision = decisions[0]
    table = decision.find("dmn:decisionTable", namespaces=ns)
    if table is None:
        return refuse(
            int(decision.sourceline or 0),
            decision.get("id", "-"),
            Text(
                "decision '{name}' is not a decision table", name=decision.get("name") or decision.get("id")
            ),
            Text("only decision tables are run (no literal expressions or boxed contexts)"),
        )
    read = _table(decision, table, ns, path, xml)
    other = found.decisions.get(read.id)
    if other is not None:
        return refuse(
            read.line,
            read.id,
            Text(
                "decision id '{id}' is also the id of the decision in {file}",
                id=read.id,
                file=other.file_name,
            ),
            None,
        )
    found.decisions[read.id] = read
    found.trees[read.id] = root
    return None


def read_decisions(paths: list[Path]) -> DecisionSet:
    """Every decision of the DMN files, and what is wrong with a file as a whole."""
    found = DecisionSet()
    for path in sorted(paths, key=lambda p: p.name):
        _read_file(path, found)
    return found


def decision_ref(task: Any) -> str:
    """The decision a business rule task calls (``spiffworkflow:calledDecisionId``)."""
    found = task.xpath("./bpmn:extensionElements/spiffworkflow:calledDecisionId", namespaces=NS)
    return (found[0].text or "").strip() if found else ""


def used_decisions(trees: list[Any]) -> set[str]:
    """The decisions the business rule tasks of these BPMN trees (or elements) call."""
    return {
        decision_ref(task)
        for tree in trees
        for task in (tree.getroot() if hasattr(tree, "getroot") else tree).xpath(
            ".//bpmn:businessRuleTask", namespaces=NS
        )
        if decision_ref(task)
    }


def dmn_beside(bpmn_paths: list[Path]) -> list[Path]:
    """The `.dmn` files in the folders of the BPMN files."""
    return sorted({p for folder in {b.parent for b in bpmn_paths} for p in folder.glob("*.dmn")})


def bundle_files(
    process_ids: list[str], added: dict[str, Path], documents: dict[Path, Any], decisions: dict[str, Decision]
) -> dict[str, str]:
    """The DMN files (``dmn/<name>.dmn`` → XML) of the decisions the processes' business rule tasks call."""
    elements = [
        el
        for pid in process_ids
        if pid in added
        for el in documents[added[pid]].getroot().xpath(f"./bpmn:process[@id='{pid}']", namespaces=NS)
    ]
    found = [decisions[ref] for ref in sorted(used_decisions(elements)) if ref in decisions]
    return {f"dmn/{d.file_name}": d.xml for d in sorted(found, key=lambda d: d.file_name)}


def add_to_parser(parser: Any, decisions: DecisionSet, used: set[str] | None = None) -> None:
    """Give the parser the decisions (all, or the ``used`` ones) before it builds a business rule task."""
    for decision_id, root in decisions.trees.items():
        if used is None or decision_id in used:
            parser.add_dmn_xml(root, filename=decisions.decisions[decision_id].file)


class CheckedDMNEngine(DMNEngine):
    """SpiffWorkflow's DMN engine, but a UNIQUE table whose input matches two rules is an error
    (the engine would silently take the first one, which is the FIRST hit policy)."""

    def decide(self, task: Any) -> list[Any]:
        table = self.decision_table
        if table.hit_policy != "UNIQUE":
            return list(super().decide(task))
        check = self._DMNEngine__check_rule  # type: ignore[attr-defined]
        matched = [rule for rule in table.rules if check(rule, task)]
        if len(matched) > 1:
            rows = ", ".join(str(rule.row_number) for rule in matched)
            raise WorkflowTaskException(
                f"decision table '{table.name or table.id}' has hit policy UNIQUE but rules {rows} all match",
                task=task,
            )
        return matched


__all__ = [
    "CheckedDMNEngine",
    "Decision",
    "DecisionSet",
    "add_to_parser",
    "bundle_files",
    "dmn_beside",
    "entry_code",
    "read_decisions",
]
