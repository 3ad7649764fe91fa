"""What simulation reads from a process's BPMN text: the branches to cover and what conditions test.

A condition such as ``triage["decision"] == "abuse"`` says the field ``decision`` decides a
branch and ``"abuse"`` is a value worth submitting; ``credit_score(...) >= 80`` says a credit
score of 80 and one of 79 lead different ways.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..decisions import ANY, entry_code
from ..validation.problems import NS

SPLIT_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")
PLATFORM_HELPERS = ("credit_score",)


@dataclass(frozen=True)
class Branch:
    """One outgoing flow of a deciding gateway: what a simulation must take at least once."""

    file: str
    flow_id: str
    name: str
    gateway_id: str
    gateway_name: str
    target_id: str
    line: int


@dataclass
class Tested:
    """Names and values the process's conditions test."""

    names: set[str] = field(default_factory=set)  # variables and keys conditions read (`decision`)
    read: set[str] = field(default_factory=set)  # ... and scripts read: fields whose choices matter
    literals: dict[str, set[Any]] = field(default_factory=dict)  # key -> values compared with it
    helper_values: dict[str, set[int]] = field(default_factory=dict)  # helper -> results worth trying

    def values_for(self, key: str) -> set[Any]:
        return self.literals.get(key, set())


@dataclass
class ProcessText:
    branches: list[Branch] = field(default_factory=list)
    tested: Tested = field(default_factory=Tested)
    lines: dict[str, int] = field(default_factory=dict)  # element id -> line, in the process's own file


def _keys_of(node: ast.AST) -> list[str]:
    """The names a piece of a condition reads: ``a``, ``a["k"]``, ``a.get("k")``, ``a.k``."""
    found: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.append(sub.id)
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            found.append(str(sub.slice.value))
        elif isinstance(sub, ast.Attribute):
            found.append(sub.attr)
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "get"
            and sub.args
            and isinstance(sub.args[0], ast.Constant)
        ):
            found.append(str(sub.args[0].value))
    return found


def _helper_in(node: ast.AST) -> str | None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in PLATFORM_HELPERS:
            return sub.func.id
    return None


def _read_condition(text: str, tested: Tested, *, script: bool = False) -> None:
    try:
        tree = ast.parse(text.strip() if not script else text, mode="exec" if script else "eval")
    except SyntaxError:
        return
    keys = _keys_of(tree)
    tested.read.update(keys)
    if not script:
        tested.names.update(keys)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        constants = [s.value for s in sides if isinstance(s, ast.Constant)]
        constants += [
            e.value
            for s in sides
            if isinstance(s, ast.List | ast.Tuple | ast.Set)
            for e in s.elts
            if isinstance(e, ast.Constant)
        ]
        for side in sides:
            if isinstance(side, ast.Constant):
                continue
            helper = _helper_in(side)
            for value in constants:
                if helper and isinstance(value, int) and not isinstance(value, bool):
                    tested.helper_values.setdefault(helper, set()).update({value, value - 1})
            keys = _keys_of(side)
            if keys:
                tested.literals.setdefault(keys[-1], set()).update(
                    v for v in constants if isinstance(v, str | int | float | bool)
                )


def read_process(files: dict[str, str], own_file: str) -> ProcessText:
    """Branches and tested values of every file (``name -> BPMN text``); lines of ``own_file``."""
    out = ProcessText()
    for name, xml in files.items():
        try:
            root = etree.fromstring(
                xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
            )
        except etree.XMLSyntaxError:
            continue
        _read_tables(root, out.tested)
        for cond in root.xpath("//bpmn:conditionExpression", namespaces=NS):
            _read_condition(cond.text or "", out.tested)
        for script in root.xpath("//bpmn:script", namespaces=NS):
            _read_condition(script.text or "", out.tested, script=True)
        if name == own_file:
            out.lines = {str(el.get("id")): int(el.sourceline or 0) for el in root.xpath("//*[@id]")}
            out.branches = _branches(name, root)
    return out


def _read_tables(root: Any, tested: Tested) -> None:
    """A DMN decision table tests its inputs like a script does: `>= 1000` on `floor_area` says
    1000 and 999 are worth trying (what the table sets is what the conditions after it test)."""
    for table in root.xpath("//*[local-name()='decisionTable']"):
        inputs = [
            (el.text or "").strip()
            for el in table.xpath(
                "./*[local-name()='input']/*[local-name()='inputExpression']/*[local-name()='text']"
            )
        ]
        for rule in table.xpath("./*[local-name()='rule']"):
            entries = rule.xpath("./*[local-name()='inputEntry']/*[local-name()='text']")
            for expression, entry in zip(inputs, entries, strict=False):
                text = (entry.text or "").strip()
                if expression and text not in ANY:
                    _read_condition(entry_code(expression, text), tested, script=True)


def _branches(file: str, root: Any) -> list[Branch]:
    branches = []
    for tag in SPLIT_GATEWAYS:
        for gateway in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            gid = gateway.get("id")
            flows = root.xpath(f"//bpmn:sequenceFlow[@sourceRef='{gid}']", namespaces=NS)
            if len(flows) < 2:
                continue
            for flow in flows:
                branches.append(
                    Branch(
                        file=file,
                        flow_id=str(flow.get("id")),
                        name=flow.get("name") or "",
                        gateway_id=str(gid),
                        gateway_name=gateway.get("name") or "",
                        target_id=str(flow.get("targetRef")),
                        line=int(flow.sourceline or 0),
                    )
                )
    return branches
