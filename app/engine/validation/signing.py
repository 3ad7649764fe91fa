"""会签 / 或签: the multi-instance human tasks the platform runs, and only those.

A multi-instance user task is a signing round (see app/engine/signing.py): parallel, one
instance per signer of an input collection, each signature kept under an output item that is
also the task's variableName, the rule in the property ``sign_rule`` and the completion
condition ``signing["complete"]``. Anything else would give tasks the inbox cannot explain."""

from __future__ import annotations

from typing import Any

from ..messages import Text
from ..signing import COMPLETION_CONDITION, rule_share, same_condition
from .problems import NS, Report

HUMAN = ("userTask", "manualTask")
_RULE_HINT = Text("sign_rule is all (会签), any (或签) or a share such as 2/3, 0.6 or 60%")


def _prop(el: Any, name: str) -> str | None:
    for prop in el.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    ):
        if prop.get("name") == name:
            return str(prop.get("value") or "")
    return None


def _one(el: Any, path: str) -> Any | None:
    found = el.xpath(path, namespaces=NS)
    return found[0] if found else None


def check_signing(root: Any, add: Report) -> None:
    """Every multi-instance human task follows the signing pattern; ``sign_rule`` only on them."""
    for tag in HUMAN:
        for el in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            loop = _one(el, "./bpmn:multiInstanceLoopCharacteristics")
            rule = _prop(el, "sign_rule")
            if loop is None:
                if rule is not None:
                    add(
                        el,
                        Text("sign_rule is set on a task that is not multi-instance"),
                        Text("make it a parallel multi-instance task over the signers, or remove sign_rule"),
                    )
                continue
            _check_round(el, loop, rule, add)


def _check_round(el: Any, loop: Any, rule: str | None, add: Report) -> None:
    if rule is None:
        add(
            el,
            Text("multi-instance human task without the property sign_rule"),
            Text("human tasks run multi-instance only as a signing round (会签/或签): set sign_rule"),
        )
        return
    try:
        rule_share(rule)
    except ValueError:
        add(el, Text("sign_rule '{rule}' is not a signing rule", rule=rule), _RULE_HINT)
    if (loop.get("isSequential") or "false").strip().lower() == "true":
        add(
            el,
            Text("a signing round is sequential; the platform runs signers in parallel"),
            Text('remove isSequential="true"'),
        )
    if _one(loop, "./bpmn:loopDataInputRef") is None or _one(loop, "./bpmn:inputDataItem") is None:
        add(
            el,
            Text("a signing round needs an input collection of signers and an input item"),
            Text("set loopDataInputRef (e.g. co_signers) and inputDataItem (e.g. co_signer)"),
        )
    output = _one(loop, "./bpmn:outputDataItem")
    variable = _one(el, "./bpmn:extensionElements/spiffworkflow:variableName")
    output_name = (output.get("name") or output.get("id") or "") if output is not None else ""
    if (
        _one(loop, "./bpmn:loopDataOutputRef") is None
        or not output_name
        or variable is None
        or (variable.text or "").strip() != output_name
    ):
        add(
            el,
            Text(
                "a signing round keeps each signature under its output item, which must be the variableName"
            ),
            Text("set loopDataOutputRef, outputDataItem and a variableName of the same name"),
        )
    condition = _one(loop, "./bpmn:completionCondition")
    if condition is None or not same_condition(condition.text):
        add(
            condition if condition is not None else el,
            Text(
                "the completion condition of a signing round must be {condition}",
                condition=COMPLETION_CONDITION,
            ),
            Text(
                "the engine counts the signatures by sign_rule; write exactly {condition}",
                condition=COMPLETION_CONDITION,
            ),
            element_id=str(el.get("id") or "-"),
        )
