"""The order a service guide lists a process's steps in: the way a case walks the diagram.

A breadth-first walk of the sequence flows from the start event; a call activity's process is
walked where it is called (its file travels with the version), so the agencies' reviews of a
permit come between acceptance and decision. A user task naming a fixed ``candidate_groups``
(a quoted group slug) is handled by that group whatever lane it is drawn in.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Any

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def walk(bpmn_xml: str, key: str, files: dict[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """(position of each element id in walking order, fixed candidate group of each user task)."""
    documents = [etree.fromstring(bpmn_xml.encode(), PARSER)]
    documents += [
        etree.fromstring(text.encode(), PARSER)
        for name, text in sorted(files.items())
        if name.startswith("bpmn/") and isinstance(text, str)
    ]
    processes = {p.get("id"): p for doc in documents for p in doc.iterfind("bpmn:process", NS)}
    order: dict[str, int] = {}
    groups: dict[str, str] = {}
    _walk(processes, key, order, groups, seen={key})
    return order, groups


def _walk(
    processes: dict[str, Any], key: str, order: dict[str, int], groups: dict[str, str], seen: set[str]
) -> None:
    process = processes.get(key)
    if process is not None:
        _walk_inside(processes, process, order, groups, seen)


def _walk_inside(
    processes: dict[str, Any], process: Any, order: dict[str, int], groups: dict[str, str], seen: set[str]
) -> None:
    """Walk one process or embedded subprocess; a subprocess is walked where the flow reaches it."""
    nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and el.get("id")}
    outgoing: dict[str, list[str]] = {}
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    queue = deque(el.get("id") for el in process.iterfind("bpmn:startEvent", NS))
    while queue:
        node_id = queue.popleft()
        if node_id in order or node_id not in nodes:
            continue
        order[node_id] = len(order)
        node = nodes[node_id]
        fixed = _fixed_group(node)
        if fixed:
            groups[node_id] = fixed
        if node.tag == f"{{{NS['bpmn']}}}subProcess":
            _walk_inside(processes, node, order, groups, seen)
        called = node.get("calledElement")
        if called and called not in seen:
            _walk(processes, called, order, groups, seen | {called})
        queue.extend(outgoing.get(node_id, []))


def _fixed_group(node: Any) -> str | None:
    for prop in node.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS):
        if prop.get("name") == "candidate_groups":
            try:
                value = ast.literal_eval(prop.get("value") or "")
            except (ValueError, SyntaxError):
                return None
            return value if isinstance(value, str) else None
    return None
