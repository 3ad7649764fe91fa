"""Structural soundness of each process and subprocess: every reference resolves, every flow node can
be reached from a start event, and from every node an end event can be reached.

A deleted flow or task in the editor leaves exactly these marks (a node nothing leads to, a node that
leads nowhere), and the engine would run such a file until the case strands. Problems name the drawn
element: the flow, task, event or gateway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..messages import Text
from .flows import ACTIVITY_TAGS
from .problems import NS, Report, id_ref, local_name

SCOPE_TAGS = ("process", "subProcess", "transaction")
GATEWAY_TAGS = (
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
)
EVENT_TAGS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
FLOW_NODE_TAGS = frozenset(GATEWAY_TAGS + EVENT_TAGS + ACTIVITY_TAGS)
DEFINITION_REFS = {
    "messageEventDefinition": ("messageRef", "message"),
    "signalEventDefinition": ("signalRef", "signal"),
    "errorEventDefinition": ("errorRef", "error"),
    "escalationEventDefinition": ("escalationRef", "escalation"),
}


@dataclass
class _Scope:
    """The flow nodes and sequence flows drawn directly inside one process or subprocess."""

    element: Any
    nodes: dict[str, Any] = field(default_factory=dict)
    flows: list[Any] = field(default_factory=list)
    outgoing: dict[str, list[str]] = field(default_factory=dict)
    incoming: dict[str, list[str]] = field(default_factory=dict)
    boundaries: dict[str, list[str]] = field(default_factory=dict)  # activity id → its boundary events


def check_structure(root: Any, add: Report) -> None:
    """References, reachability and dead ends, scope by scope (each subprocess is a scope of its own)."""
    _check_definition_refs(root, add)
    for tag in SCOPE_TAGS:
        for element in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            scope = _scope(element)
            if _check_references(scope, add):
                _check_reachable(scope, add)
                _check_ends(scope, add)
                _check_single_conditions(scope, add)


def _scope(element: Any) -> _Scope:
    scope = _Scope(element)
    for child in element:
        name = local_name(child.tag)
        if _is_event_subprocess(child) or child.get("isForCompensation") == "true":
            continue  # entered by its own event, never by a flow: a scope of its own
        if name in FLOW_NODE_TAGS and child.get("id"):
            scope.nodes[str(child.get("id"))] = child
        elif name == "sequenceFlow":
            scope.flows.append(child)
    for flow in scope.flows:
        source, target = id_ref(flow.get("sourceRef")), id_ref(flow.get("targetRef"))
        if source in scope.nodes and target in scope.nodes:
            scope.outgoing.setdefault(source, []).append(target)
            scope.incoming.setdefault(target, []).append(source)
    for node_id, node in scope.nodes.items():
        if local_name(node.tag) == "boundaryEvent":
            scope.boundaries.setdefault(id_ref(node.get("attachedToRef")), []).append(node_id)
    return scope


def _is_event_subprocess(element: Any) -> bool:
    return str(element.get("triggeredByEvent", "false")).strip().lower() == "true"


def _kind(node: Any) -> Text:
    """What the diagram shows: a task, gateway, event or subprocess."""
    name = local_name(node.tag)
    if name in GATEWAY_TAGS:
        return Text("gateway")
    if name in EVENT_TAGS:
        return Text("event")
    return Text("subprocess") if name in SCOPE_TAGS else Text("task")


def _label(node: Any) -> Text:
    label = " ".join((node.get("name") or "").split())
    return Text("{kind} '{name}'", kind=_kind(node), name=label) if label else _kind(node)


def _check_flow_ends(scope: _Scope, add: Report) -> bool:
    """Both ends of every sequence flow are nodes of this scope; returns whether they all are."""
    ok = True
    ids = {str(el.get("id")) for el in scope.element.iter() if isinstance(el.tag, str) and el.get("id")}
    for flow in scope.flows:
        for attr, end in (("sourceRef", Text("starts")), ("targetRef", Text("ends"))):
            ref = id_ref(flow.get(attr))
            if ref in scope.nodes:
                continue
            ok = False
            where = Text("an element of another process or subprocess") if ref in ids else Text("nothing")
            add(
                flow,
                Text(
                    "sequence flow {attr}='{ref}' names {where}: the flow {end} nowhere",
                    attr=attr,
                    ref=ref,
                    where=where,
                    end=end,
                ),
                Text(
                    "connect both ends of the flow to a task, event or gateway drawn in the same "
                    "(sub)process, or delete the flow"
                ),
                str(flow.get("id")),
            )
    return ok


def _check_references(scope: _Scope, add: Report) -> bool:
    """Every sourceRef, targetRef, default and attachedToRef names an element of this scope.
    Returns whether they all do (reachability is meaningless otherwise)."""
    ok = _check_flow_ends(scope, add)
    flow_ids = {str(f.get("id")) for f in scope.flows}
    for node_id, node in scope.nodes.items():
        default = id_ref(node.get("default"))
        if default and default not in flow_ids:
            ok = False
            add(
                node,
                Text(
                    "default flow '{default}' is not a sequence flow of this {kind}",
                    default=default,
                    kind=_kind(node),
                ),
                Text("pick one of its outgoing flows as the default, or remove the default"),
                node_id,
            )
        elif default and not any(
            f.get("id") == default and id_ref(f.get("sourceRef")) == node_id for f in scope.flows
        ):
            ok = False
            add(
                node,
                Text(
                    "default flow '{default}' does not leave this {kind}", default=default, kind=_kind(node)
                ),
                Text("pick one of its own outgoing flows as the default"),
                node_id,
            )
        if local_name(node.tag) == "boundaryEvent":
            attached = id_ref(node.get("attachedToRef"))
            target = scope.nodes.get(attached)
            if target is None or local_name(target.tag) not in ACTIVITY_TAGS:
                ok = False
                add(
                    node,
                    Text(
                        "boundary event is attached to '{attached}', which is not a task or subprocess "
                        "of this (sub)process",
                        attached=attached,
                    ),
                    Text("attach it to a task or subprocess on the diagram (drop it on the task's border)"),
                    node_id,
                )
    return ok


def _entries(scope: _Scope) -> list[str]:
    starts = [n for n, el in scope.nodes.items() if local_name(el.tag) == "startEvent"]
    if starts:
        return starts
    # A subprocess drawn without a start event starts at the nodes nothing leads to.
    return [
        n
        for n, el in scope.nodes.items()
        if n not in scope.incoming and local_name(el.tag) != "boundaryEvent"
    ]


def _closure(start: Iterable[str], step: Any) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo += step(node)
    return seen


def _check_reachable(scope: _Scope, add: Report) -> None:
    if not scope.nodes:
        return

    def forward(node: str) -> list[str]:
        return scope.outgoing.get(node, []) + scope.boundaries.get(node, [])

    links = [n for n, el in scope.nodes.items() if _defines(el, "linkEventDefinition")]
    reached = _closure(_entries(scope) + links, forward)
    for node_id, node in scope.nodes.items():
        if node_id in reached:
            continue
        if node_id not in scope.incoming and local_name(node.tag) != "boundaryEvent":
            message = Text("{element} has no incoming sequence flow: it never runs", element=_label(node))
            hint = Text("connect a sequence flow to it from the step before, or delete it")
        else:
            before = ", ".join(sorted(scope.incoming.get(node_id, []))) or id_ref(node.get("attachedToRef"))
            message = Text(
                "{element} cannot be reached from a start event (it follows only {before}, which never runs)",
                element=_label(node),
                before=before,
            )
            hint = Text("connect the steps before it to the rest of the process, or delete them")
        add(node, message, hint, node_id)


def _defines(node: Any, definition: str) -> bool:
    return any(local_name(child.tag) == definition for child in node)


def _is_end(node: Any) -> bool:
    # A link throw jumps to its catch (link events are refused on their own); a compensation
    # boundary event leads to its handler by an association, not a flow.
    if local_name(node.tag) == "boundaryEvent" and _defines(node, "compensateEventDefinition"):
        return True
    return local_name(node.tag) == "endEvent" or _defines(node, "linkEventDefinition")


def _check_ends(scope: _Scope, add: Report) -> None:
    dead = [n for n, el in scope.nodes.items() if not _is_end(el) and not scope.outgoing.get(n)]
    for node_id in dead:
        node = scope.nodes[node_id]
        add(
            node,
            Text(
                "{element} has no outgoing sequence flow: a case that gets here never ends",
                element=_label(node),
            ),
            Text("connect it to the next step, or to an end event"),
            node_id,
        )
    ends = [n for n, el in scope.nodes.items() if _is_end(el)]

    def backward(node: str) -> list[str]:
        return scope.incoming.get(node, [])

    finishing = _closure(ends, backward)
    dead_set = set(dead)
    for node_id, node in scope.nodes.items():
        if node_id in finishing or node_id in dead_set:
            continue
        # Nodes that lead to a dead end already reported are not reported again.
        if _closure([node_id], lambda n: scope.outgoing.get(n, [])) & dead_set:
            continue
        add(
            node,
            Text(
                "no path from {element} reaches an end event (a loop with no way out)", element=_label(node)
            ),
            Text("give the loop an exit: a gateway flow to the rest of the process or to an end event"),
            node_id,
        )


def _check_definition_refs(root: Any, add: Report) -> None:
    """Message, signal, error and escalation references name a definition of the file (reported at the
    drawn event or task, never at the definition)."""
    defined = {
        kind: {str(el.get("id")) for el in root.xpath(f"./bpmn:{kind}", namespaces=NS)}
        for _attr, kind in DEFINITION_REFS.values()
    }
    for tag, (attr, kind) in DEFINITION_REFS.items():
        for definition in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            ref = id_ref(definition.get(attr))
            if ref and ref not in defined[kind]:
                event = definition.getparent()
                add(
                    event,
                    Text(
                        "{element} refers to {kind} '{ref}', which the file does not define",
                        element=_label(event),
                        kind=kind,
                        ref=ref,
                    ),
                    Text(
                        'define <bpmn:{kind} id="{ref}" name="…"/> under bpmn:definitions, or pick a '
                        "defined {kind}",
                        kind=kind,
                        ref=ref,
                    ),
                    str(event.get("id") or "-"),
                )
    for task in root.xpath("//bpmn:sendTask[@messageRef] | //bpmn:receiveTask[@messageRef]", namespaces=NS):
        ref = id_ref(task.get("messageRef"))
        if ref not in defined["message"]:
            add(
                task,
                Text(
                    "{element} refers to message '{ref}', which the file does not define",
                    element=_label(task),
                    ref=ref,
                ),
                Text('define <bpmn:message id="{ref}" name="…"/> under bpmn:definitions', ref=ref),
                str(task.get("id")),
            )


def _check_single_conditions(scope: _Scope, add: Report) -> None:
    """An exclusive or inclusive gateway whose only way on is one conditional flow strands every case
    for which the condition is false (what is left when the editor deletes the default flow)."""
    for node_id, node in scope.nodes.items():
        if local_name(node.tag) not in ("exclusiveGateway", "inclusiveGateway") or node.get("default"):
            continue
        leaving = [f for f in scope.flows if id_ref(f.get("sourceRef")) == node_id]
        conditional = [f for f in leaving if f.xpath("./bpmn:conditionExpression", namespaces=NS)]
        if len(leaving) == 1 and conditional:
            add(
                node,
                Text(
                    "{element} has a single outgoing flow and it has a condition: a case for which the "
                    "condition is false stops here for good",
                    element=_label(node),
                ),
                Text("add a default flow for the other cases, or remove the condition"),
                node_id,
            )
