"""会签 / 或签: multi-instance user tasks whose instances are signatures.

A parallel multi-instance user task with the property ``sign_rule`` (``all``, ``any`` or a ratio
such as ``2/3`` or ``0.6``) is a signing round: one task per item of its input collection (a
signer: ``{"group": ..., "supervisors_only": ..., "role": ..., "role_en": ...}``), each signature
stored under the output item. Before a signature is run, the engine writes the round's tally into
that instance's data as ``signing``; the task's completionCondition is ``signing["complete"]``, so
SpiffWorkflow itself ends the round and cancels the instances still open. The outcome
(``approved`` / ``rejected``) is written into the round's data under ``sign_outcome`` (or the name
the property ``sign_outcome`` gives) for the gateway after it.

A signature refuses when its ``decision`` is ``reject``. Rules: ``all`` ends at the first refusal
(一票否决), the other signers' tasks are cancelled; ``any`` ends at the first signature, whatever it
says; a ratio ends approved once that share of signers approved, refused once it can no longer
be reached.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask

COMPLETION_CONDITION = 'signing["complete"]'
_RATIO = re.compile(r"^\s*(?:(\d+)\s*/\s*(\d+)|(0?\.\d+|1(?:\.0+)?)|(\d{1,3})\s*%)\s*$")


def rule_share(rule: str) -> Fraction | None:
    """The share of signers a rule needs (``all`` = 1, ``any`` = None for "the first"), or raises
    ValueError for a value that is no rule."""
    text = (rule or "").strip().lower()
    if text == "all":
        return Fraction(1)
    if text == "any":
        return None
    match = _RATIO.match(text)
    if not match:
        raise ValueError(rule)
    if match.group(1):
        share = Fraction(int(match.group(1)), int(match.group(2) or 1) or 1)
    elif match.group(3):
        share = Fraction(match.group(3))
    else:
        share = Fraction(int(match.group(4)), 100)
    if not 0 < share <= 1 or (match.group(2) and int(match.group(2)) == 0):
        raise ValueError(rule)
    return share


def same_condition(text: str | None) -> bool:
    """Whether a completionCondition is the one a signing round needs (quotes and spaces aside)."""
    return re.sub(r"\s+", "", (text or "").replace("'", '"')) == COMPLETION_CONDITION


def tally(rule: str, total: int, approved: int, refused: int) -> dict[str, Any]:
    """The round's state after ``approved`` + ``refused`` of ``total`` signatures."""
    share = rule_share(rule)
    signed = approved + refused
    outcome: str | None = None
    if share is None:
        if signed:
            outcome = "rejected" if refused else "approved"
    else:
        needed = max(1, math.ceil(share * total))
        if approved >= needed:
            outcome = "approved"
        elif refused > total - needed:
            outcome = "rejected"
    return {
        "rule": rule,
        "total": total,
        "signed": signed,
        "approved": approved,
        "refused": refused,
        "needed": total if share is None else max(1, math.ceil(share * total)),
        "complete": outcome is not None,
        "outcome": outcome,
    }


def _props(task: Any) -> dict[str, str]:
    # The parser puts a multi-instance task's properties on its instances' spec, not the round's.
    return (getattr(task.task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _round(task: Any) -> Any | None:
    parent = task.parent
    spec = getattr(parent, "task_spec", None)
    if not isinstance(spec, ParallelMultiInstanceTask) or not _props(task).get("sign_rule"):
        return None
    return parent


def _refuses(signature: Any) -> bool:
    return isinstance(signature, dict) and signature.get("decision") == "reject"


def prepare(task: Any) -> None:
    """Before ``task`` (an instance of a signing round, its form data added) runs: write the
    round's tally with this signature into its data and, when the round ends with it, the
    outcome into the round's data."""
    parent = _round(task)
    if parent is None:
        return
    spec = parent.task_spec
    props = _props(task)
    instances = [c for c in parent.children if c.task_spec.name == spec.task_spec]
    merged = set(parent.internal_data.get("merged", []))
    output_name = spec.output_item.bpmn_id if spec.output_item is not None else None
    signatures = [
        c.data.get(output_name) if output_name else c.data for c in instances if str(c.id) in merged
    ]
    signatures.append(task.data.get(output_name) if output_name else task.data)
    refused = sum(1 for s in signatures if _refuses(s))
    state = tally(props["sign_rule"], len(instances), len(signatures) - refused, refused)
    task.data["signing"] = state
    if state["complete"]:
        parent.data[props.get("sign_outcome") or "sign_outcome"] = state["outcome"]


def context_of(task: Any) -> dict[str, Any] | None:
    """What the platform shows of a ready signing instance: the round (its id, rule, size) and
    this signer (role, supervisors only). None for any other task."""
    parent = _round(task)
    if parent is None:
        return None
    spec = parent.task_spec
    instances = [c for c in parent.children if c.task_spec.name == spec.task_spec]
    signer = spec.input_item.get(task) if spec.input_item is not None and spec.input_item.exists(task) else {}
    signer = signer if isinstance(signer, dict) else {"role": str(signer)}
    return {
        "round": str(parent.id),
        "rule": _props(task)["sign_rule"],
        "total": len(instances),
        "role": signer.get("role"),
        "role_en": signer.get("role_en") or signer.get("role"),
        "supervisors_only": bool(signer.get("supervisors_only")),
    }
