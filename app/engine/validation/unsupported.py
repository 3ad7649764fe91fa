"""BPMN elements SpiffWorkflow 3.2 rejects with an internal error, ignores, or runs differently from BPMN.

The element checks start here; events, flows and other engines' extensions have modules of their own.
"""

from __future__ import annotations

from typing import Any

from ..messages import Text
from .events import check_events
from .flows import check_activities
from .foreign import check_foreign
from .problems import NS, Problem, id_ref, owning_id
from .signal_boundaries import check_signal_boundaries
from .signing import check_signing
from .structure import check_structure

UNSUPPORTED_TAGS = {
    "complexGateway": (
        Text("complex gateways are not supported by the engine"),
        Text("use an inclusive gateway with a condition on each outgoing flow"),
    ),
    "adHocSubProcess": (
        Text("ad-hoc subprocesses are not run correctly by the engine (it fails with an internal error)"),
        Text("use a subprocess with a parallel gateway, or separate user tasks"),
    ),
    "serviceTask": (
        Text("service tasks are not supported"),
        Text("use a script task (Python) or a user task"),
    ),
    "dataStore": (
        Text("data stores have no implementation in this engine"),
        Text("keep the data in the case data (task data or data objects)"),
    ),
    "dataStoreReference": (
        Text("data stores have no implementation in this engine"),
        Text("keep the data in the case data (task data or data objects)"),
    ),
    "linkEventDefinition": (
        Text("link events are not run correctly by the engine"),
        Text("connect the two points with a sequence flow"),
    ),
    "compensateEventDefinition": (
        Text("compensation is not supported by the engine"),
        Text("model the undo steps explicitly: an error boundary event leading to the reversing tasks"),
    ),
    "complexBehaviorDefinition": (
        Text("multi-instance complex behaviour is not supported by the engine"),
        Text("remove it; throw events from the instances explicitly"),
    ),
}
PYTHON_LANGUAGES = {"python", "python3", "text/x-python", "http://www.python.org/"}


def check_elements(file: str, tree: Any) -> list[Problem]:
    """Elements the engine rejects with an internal error, ignores, or runs differently from BPMN."""
    root = tree.getroot()
    problems: list[Problem] = []

    def add(el: Any, message: Text, hint: Text | None, element_id: str | None = None) -> None:
        problems.append(Problem(file, el.sourceline or 0, element_id or owning_id(el), message, hint))

    for tag, (message, hint) in UNSUPPORTED_TAGS.items():
        for el in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            add(el, message, hint)
    for el in root.xpath("//bpmn:*[@isForCompensation='true']", namespaces=NS):
        add(
            el,
            Text("compensation activities are not supported by the engine"),
            UNSUPPORTED_TAGS["compensateEventDefinition"][1],
        )

    check_structure(root, add)
    check_events(root, add)
    check_signal_boundaries(root, add)
    check_activities(root, add)
    check_signing(root, add)
    check_foreign(root, add)

    for el in root.xpath("//bpmn:conditionExpression[@language]", namespaces=NS):
        lang = el.get("language", "").strip()
        if lang and lang.lower() not in PYTHON_LANGUAGES:
            add(
                el,
                Text("condition language '{lang}' is not supported", lang=lang),
                Text("write the condition as a Python expression"),
            )

    # Message, signal, error and escalation definitions the engine reads by name.
    referenced = {
        id_ref(el.get(attr))
        for attr in ("messageRef", "signalRef", "errorRef", "escalationRef")
        for el in root.xpath(f"//*[@{attr}]")
    }
    for kind in ("message", "signal", "error", "escalation"):
        for el in root.xpath(f"./bpmn:{kind}", namespaces=NS):
            if el.get("id") in referenced and not (el.get("name") or "").strip():
                add(
                    el,
                    Text(
                        "{kind} '{id}' has no name (the engine matches {kind}s by name)",
                        kind=kind,
                        id=el.get("id"),
                    ),
                    Text('add name="{id}"', id=el.get("id")),
                )
    return problems
