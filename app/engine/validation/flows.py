"""Activities and their flows: splits after an activity (the engine needs a gateway), script tasks
without a script, multi-instance behaviours, calls of global tasks."""

from __future__ import annotations

from typing import Any

from ..messages import Text
from .problems import NS, Report, id_ref, local_name

ACTIVITY_TAGS = (
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "subProcess",
    "callActivity",
    "transaction",
    "adHocSubProcess",
)


def check_activities(root: Any, add: Report) -> None:
    """What the engine fails on or runs differently around activities."""
    outgoing: dict[str, int] = {}
    for flow in root.xpath("//bpmn:sequenceFlow", namespaces=NS):
        outgoing[flow.get("sourceRef", "")] = outgoing.get(flow.get("sourceRef", ""), 0) + 1
    for tag in ACTIVITY_TAGS:
        for el in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            count = outgoing.get(el.get("id", ""), 0)
            if count > 1:
                add(
                    el,
                    Text(
                        "activity has {count} outgoing sequence flows; the engine does not split after an "
                        "activity (conditional or implicit split)",
                        count=count,
                    ),
                    Text(
                        "add a gateway after it: exclusive or inclusive with the conditions, parallel for all"
                    ),
                )
    for el in root.iter(f"{{{NS['bpmn']}}}scriptTask"):
        if not any((s.text or "").strip() for s in el.xpath("./bpmn:script", namespaces=NS)):
            add(
                el,
                Text("script task without a script (the engine fails on it)"),
                Text("add the Python script, or use a task"),
            )
    for el in root.xpath("//bpmn:multiInstanceLoopCharacteristics", namespaces=NS):
        behavior = (el.get("behavior") or "All").strip()
        if behavior in ("One", "Complex"):
            add(
                el,
                Text(
                    'multi-instance behavior="{behavior}" is not run correctly by the engine',
                    behavior=behavior,
                ),
                Text('remove the attribute (behavior="All"), and throw events from the instances explicitly'),
            )
    globals_ = {
        el.get("id"): local_name(el.tag)
        for el in root.xpath("./*[starts-with(local-name(), 'global')]", namespaces=NS)
        if el.get("id")
    }
    for el in root.xpath("//bpmn:callActivity[@calledElement]", namespaces=NS):
        called = id_ref(el.get("calledElement"))
        if called in globals_:
            add(
                el,
                Text(
                    "calls {kind} '{called}'; global tasks are not supported",
                    kind=globals_[called],
                    called=called,
                ),
                Text("call a process, or put the task itself here"),
            )
