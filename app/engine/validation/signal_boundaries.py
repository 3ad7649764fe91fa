"""An interrupting signal boundary event on a subprocess that throws that very signal itself.

BPMN cancels the subprocess when its own throw is caught at its boundary; SpiffWorkflow 3.2 lets
the subprocess carry on first, so the case runs steps it should not. Refused until it runs right.
"""

from __future__ import annotations

from typing import Any

from ..messages import Text
from .problems import NS, Report, id_ref


def check_signal_boundaries(root: Any, add: Report) -> None:
    """Report each interrupting signal boundary event whose subprocess throws the same signal."""
    for event in root.xpath("//bpmn:boundaryEvent[bpmn:signalEventDefinition]", namespaces=NS):
        if event.get("cancelActivity", "true").strip().lower() == "false":
            continue
        attached = id_ref(event.get("attachedToRef"))
        subs = root.xpath(
            "//bpmn:subProcess[@id=$id] | //bpmn:transaction[@id=$id]", namespaces=NS, id=attached
        )
        if not subs:
            continue
        refs = {
            id_ref(d.get("signalRef")) for d in event.xpath("./bpmn:signalEventDefinition", namespaces=NS)
        }
        throws = subs[0].xpath(
            ".//bpmn:intermediateThrowEvent/bpmn:signalEventDefinition"
            " | .//bpmn:endEvent/bpmn:signalEventDefinition",
            namespaces=NS,
        )
        if any(id_ref(d.get("signalRef")) in refs for d in throws):
            add(
                event,
                Text(
                    "interrupting signal boundary event on a subprocess that throws this signal itself: the "
                    "engine lets the subprocess carry on before it interrupts"
                ),
                Text(
                    "end the subprocess with an error end event and catch it with an error boundary event, "
                    'or make the boundary event non-interrupting (cancelActivity="false")'
                ),
                str(event.get("id")),
            )
