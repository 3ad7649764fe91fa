"""What an edit changes in the decision tables a version carries (``<name>.dmn`` → XML): per table,
the rules added, removed and changed (and in a changed rule which entry, by its column's label),
and changes of the table itself (hit policy, columns). A deploy that only changes a table (the fire
review's floor area threshold) is a change the analyst must see before confirming it.

Rules are matched by their ids (dmn-js keeps them when a cell is edited); DMN namespaces are read by
local name, as the DMN 1.3 files and dmn-js's output differ only in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from .diagram_diff import DiagramDiff, FacetChange, diff_diagrams


@dataclass(frozen=True)
class RuleDiff:
    rule_id: str
    number: int  # 1-based row of the table (in the edited table; in the old one when removed)
    description: str
    changes: list[FacetChange] = field(default_factory=list)


@dataclass(frozen=True)
class TableDiff:
    file: str
    decision_id: str
    name: str
    added: list[RuleDiff] = field(default_factory=list)
    removed: list[RuleDiff] = field(default_factory=list)
    changed: list[RuleDiff] = field(default_factory=list)
    table: list[FacetChange] = field(default_factory=list)  # hit policy and columns

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.table)

    def in_words(self) -> str:
        changed = ", ".join(r.rule_id for r in self.changed)
        line = (
            f"table {self.file}: rules added {len(self.added)}, removed {len(self.removed)}, "
            f"changed {len(self.changed)}"
        )
        if changed:
            line += f" ({changed})"
        if self.table:
            line += f"; table {', '.join(c.facet for c in self.table)}"
        return line

    def summary(self) -> dict[str, Any]:
        return {
            "added": [r.rule_id for r in self.added],
            "removed": [r.rule_id for r in self.removed],
            "changed": {r.rule_id: [c.facet for c in r.changes] for r in self.changed},
            "table": [c.facet for c in self.table],
        }


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Any) -> str:
    texts = [c for c in el if _local(c.tag) == "text"]
    return " ".join(((texts[0].text if texts else el.text) or "").split())


def _table(xml: str) -> tuple[Any, Any] | None:
    """The first decision of ``xml`` and its decision table (None when there is none)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None
    for decision in root.iter("{*}decision"):
        tables = _children(decision, "decisionTable")
        if tables:
            return decision, tables[0]
    return None


def _columns(table: Any) -> list[str]:
    """The columns as people read them: each input's label (or expression), each output's label
    (or name)."""
    names = []
    for el in _children(table, "input"):
        expression = _children(el, "inputExpression")
        names.append(el.get("label") or (_text(expression[0]) if expression else "") or str(el.get("id")))
    for el in _children(table, "output"):
        names.append(el.get("label") or el.get("name") or str(el.get("id")))
    return names


def _rules(table: Any, columns: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """Rule id → (row number, its facets: the entry of each column and its description)."""
    found: dict[str, tuple[int, dict[str, str]]] = {}
    for number, rule in enumerate(_children(table, "rule"), start=1):
        entries = _children(rule, "inputEntry") + _children(rule, "outputEntry")
        facets = {columns[i] if i < len(columns) else f"#{i + 1}": _text(e) for i, e in enumerate(entries)}
        description = _children(rule, "description")
        facets["description"] = " ".join((description[0].text or "").split()) if description else ""
        found[str(rule.get("id") or f"row {number}")] = (number, facets)
    return found


def _changes(before: dict[str, str], after: dict[str, str]) -> list[FacetChange]:
    order = list(after) + [k for k in before if k not in after]
    return [FacetChange(k, before.get(k), after.get(k)) for k in order if before.get(k) != after.get(k)]


def diff_table(file: str, before_xml: str | None, after_xml: str) -> TableDiff | None:
    """What ``after_xml`` changes in the table of ``before_xml`` (a new file: every rule added);
    None when nothing a case would notice changed."""
    after = _table(after_xml)
    if after is None:
        return None
    decision, table = after
    old = _table(before_xml) if before_xml is not None else None
    columns = _columns(table)
    rules = _rules(table, columns)
    old_columns = _columns(old[1]) if old else []
    old_rules = _rules(old[1], old_columns) if old else {}

    def described(rule_id: str, row: tuple[int, dict[str, str]], changes: list[FacetChange]) -> RuleDiff:
        return RuleDiff(rule_id, row[0], row[1].get("description", ""), changes)

    shape = {"hitPolicy": table.get("hitPolicy") or "UNIQUE", "columns": " | ".join(columns)}
    old_shape = (
        {"hitPolicy": old[1].get("hitPolicy") or "UNIQUE", "columns": " | ".join(old_columns)} if old else {}
    )
    found = TableDiff(
        file,
        str(decision.get("id") or ""),
        " ".join((decision.get("name") or decision.get("id") or file).split()),
        added=[described(i, r, []) for i, r in rules.items() if i not in old_rules],
        removed=[described(i, r, []) for i, r in old_rules.items() if i not in rules],
        changed=[
            described(i, r, changes)
            for i, r in rules.items()
            if i in old_rules and (changes := _changes(old_rules[i][1], r[1]))
        ],
        table=_changes(old_shape, shape) if old else [],
    )
    return None if found.empty else found


def diff_tables(before: dict[str, str], after: dict[str, str]) -> list[TableDiff]:
    """The tables of ``after`` that differ from ``before`` (by file name), and those removed."""
    found = [d for name in sorted(after) if (d := diff_table(name, before.get(name), after[name]))]
    for name in sorted(set(before) - set(after)):
        gone = _table(before[name])
        if gone is not None:
            decision, table = gone
            rules = _rules(table, _columns(table))
            found.append(
                TableDiff(
                    name,
                    str(decision.get("id") or ""),
                    " ".join((decision.get("name") or name).split()),
                    removed=[RuleDiff(i, r[0], r[1].get("description", "")) for i, r in rules.items()],
                )
            )
    return found


def diff_versions(
    before_xml: str, before_tables: dict[str, str], after_xml: str, after_tables: dict[str, str]
) -> DiagramDiff:
    """The diagram's differences and those of its decision tables, as one diff."""
    return replace(diff_diagrams(before_xml, after_xml), tables=diff_tables(before_tables, after_tables))
