"""What an edited diagram changes against another version: the BPMN elements added, removed and
changed, and for a changed element what changed in it (its name, a property such as ``time_limit``,
a condition, a script, a timer). Layout (the diagram's shapes and edges) is not a change.

Each element is read as its facets: its attributes, the SpiffWorkflow properties by name and the
text and attributes of its parts (``conditionExpression``, ``timerEventDefinition/timeDuration``,
``script``, …), leaving out the elements nested in it that are compared on their own (the tasks of a
subprocess) and the ``incoming``/``outgoing`` references that the flows already say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from .validation.problems import NS, local_name

if TYPE_CHECKING:
    from .table_diff import TableDiff

BPMN = NS["bpmn"]
SPIFF = NS["spiffworkflow"]
# References a flow node keeps of its flows: a changed flow is reported as the flow.
_REDUNDANT = {"incoming", "outgoing", "flowNodeRef"}
# Attribute values the BPMN schema gives by default: written or left out, they say the same
# (bpmn-js leaves them out when it saves).
BPMN_DEFAULTS = {
    "cancelActivity": "true",
    "isInterrupting": "true",
    "isForCompensation": "false",
    "isSequential": "false",
    "parallelMultiple": "false",
    "triggeredByEvent": "false",
    "startQuantity": "1",
    "completionQuantity": "1",
    "gatewayDirection": "Unspecified",
    "isClosed": "false",
    "processType": "None",
    "instantiate": "false",
    "eventGatewayType": "Exclusive",
    "isImmediate": "true",
}


@dataclass(frozen=True)
class FacetChange:
    """One thing that changed in an element: ``facet`` (e.g. ``property time_limit``), before, after
    (None: absent on that side)."""

    facet: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementDiff:
    element_id: str
    kind: str  # the BPMN element type, e.g. userTask
    name: str
    changes: list[FacetChange] = field(default_factory=list)


@dataclass(frozen=True)
class DiagramDiff:
    added: list[ElementDiff]
    removed: list[ElementDiff]
    changed: list[ElementDiff]
    # The decision tables that differ (``table_diff.diff_versions``): a table-only edit is a change.
    tables: list[TableDiff] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.tables)

    def in_words(self) -> str:
        """One line for people reading the audit trail: counts, then what changed in which element."""
        changed = "; ".join(
            f"{e.element_id} ({', '.join(sorted({c.facet for c in e.changes}))})" for e in self.changed
        )
        line = f"added {len(self.added)}, removed {len(self.removed)}, changed {len(self.changed)}"
        line = f"{line}: {changed}" if changed else line
        return "; ".join([line, *(t.in_words() for t in self.tables)])

    def summary(self) -> dict[str, Any]:
        """Counts and ids, small enough for an audit event."""
        found: dict[str, Any] = {
            "added": [e.element_id for e in self.added],
            "removed": [e.element_id for e in self.removed],
            "changed": {e.element_id: sorted({c.facet for c in e.changes}) for e in self.changed},
        }
        if self.tables:
            found["tables"] = {t.file: t.summary() for t in self.tables}
        return found


def _root(xml: str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None


def _elements(root: Any) -> dict[str, Any]:
    """The semantic BPMN elements with an id (processes, flow nodes, flows, lanes, definitions of
    messages and signals), by id; the diagram interchange (layout) is left out."""
    if root is None:
        return {}
    found: dict[str, Any] = {}
    for el in root.iter(f"{{{BPMN}}}*"):
        if el.get("id") and not local_name(el.tag).endswith("EventDefinition") and _is_semantic(el):
            found[str(el.get("id"))] = el
    return found


def _is_semantic(el: Any) -> bool:
    name = local_name(el.tag)
    return name not in (
        "definitions",
        "extensionElements",
        "laneSet",
        "conditionExpression",
        "script",
    ) and not (
        name.startswith("time") or name in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")
    )


def _facets(el: Any, own: set[int]) -> dict[str, str]:
    """``el``'s facets (see the module doc); ``own`` holds the ids (``id()``) of the elements that are
    compared on their own and so are not part of ``el``."""
    facets = {
        etree.QName(k).localname: str(v)
        for k, v in el.attrib.items()
        if k != "id" and BPMN_DEFAULTS.get(str(k)) != str(v).strip()
    }

    def visit(node: Any, path: str) -> None:
        for child in node:
            if not isinstance(child.tag, str) or id(child) in own:
                continue
            name = local_name(child.tag)
            if name in _REDUNDANT:
                continue
            if child.tag == f"{{{SPIFF}}}property":
                facets[f"property {child.get('name')}"] = str(child.get("value") or "")
                continue
            here = name if name in ("extensionElements", "properties") else f"{path}{name}"
            prefix = "" if name in ("extensionElements", "properties") else f"{here}/"
            text = " ".join((child.text or "").split())
            if text:
                facets[here] = text
            for key, value in child.attrib.items():
                if key != "id":
                    facets[f"{here}@{key}"] = str(value)
            visit(child, prefix if name not in ("extensionElements", "properties") else path)

    visit(el, "")
    return facets


def _described(el: Any, changes: list[FacetChange] | None = None) -> ElementDiff:
    return ElementDiff(
        str(el.get("id")), local_name(el.tag), " ".join((el.get("name") or "").split()), changes or []
    )


def diff_diagrams(before_xml: str, after_xml: str) -> DiagramDiff:
    """What ``after_xml`` adds, removes and changes against ``before_xml`` (layout aside)."""
    before, after = _elements(_root(before_xml)), _elements(_root(after_xml))
    own_before = {id(el) for el in before.values()}
    own_after = {id(el) for el in after.values()}
    added = [_described(after[i]) for i in after if i not in before]
    removed = [_described(before[i]) for i in before if i not in after]
    changed = []
    for element_id in (i for i in after if i in before):
        old, new = before[element_id], after[element_id]
        facets_old, facets_new = _facets(old, own_before), _facets(new, own_after)
        changes = [
            FacetChange(facet, facets_old.get(facet), facets_new.get(facet))
            for facet in sorted(set(facets_old) | set(facets_new))
            if facets_old.get(facet) != facets_new.get(facet)
        ]
        if local_name(old.tag) != local_name(new.tag):
            changes.insert(0, FacetChange("type", local_name(old.tag), local_name(new.tag)))
        if changes:
            changed.append(_described(new, changes))
    return DiagramDiff(added, removed, changed)
