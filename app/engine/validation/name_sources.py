"""Where a BPMN element reads and sets case-data names: conditions, scripts, timers, expression
properties, forms, ``variableName``, multi-instance items, message variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..decisions import ANY, INPUT_VALUE, Decision, entry_code
from ..messages import Text
from ..types import PAYLOADS_KEY
from .problems import NS, local_name
from .python_names import code_names

Decisions = Mapping[str, Decision]

# Task properties whose value is a Python expression over the case data (the runtime evaluates them).
EXPRESSION_PROPERTIES = (
    "candidate_groups",
    "note",
    "prefill",
    "request_items",
    "performer_credit_code",
    "performer_data",
    "credit_deduction",
    "credit_of",
)
HUMAN_TAGS = ("userTask", "manualTask")
LOOP_EXPRESSIONS = ("loopCardinality", "completionCondition", "loopCondition")


@dataclass(frozen=True)
class Reader:
    """One piece of code reading names, at the drawn element a problem names."""

    element: Any
    element_id: str
    what: Text
    names: frozenset[str]
    compared: dict[str, set[object]]
    # Reads after the element has run (a postScript, a completion condition): it sees the element's
    # own results too.
    after: bool = False


def _label(el: Any) -> Text:
    name = " ".join((el.get("name") or "").split())
    kind: str = Text("flow") if local_name(el.tag) == "sequenceFlow" else local_name(el.tag)
    return (
        Text("{kind} '{name}'", kind=kind, name=name)
        if name
        else Text("{kind} {id}", kind=kind, id=el.get("id"))
    )


def _properties(el: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for prop in el.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    ):
        if prop.get("name"):
            found[str(prop.get("name"))] = prop
    return found


def form_fields(schema: Any) -> frozenset[str]:
    """The top-level fields a JSON Schema form may submit (combinators and conditionals included)."""
    if not isinstance(schema, dict):
        return frozenset()
    names = set(schema.get("properties", {}) or {})
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []) or []:
            names |= form_fields(part)
    for key in ("then", "else"):
        names |= form_fields(schema.get(key))
    for part in (schema.get("dependentSchemas", {}) or {}).values():
        names |= form_fields(part)
    return frozenset(names)


def start_names(process: Any, forms: Mapping[str, Any]) -> frozenset[str]:
    """The start form's fields of a process (its none start events directly inside it)."""
    names: set[str] = set()
    for start in process.xpath("./bpmn:startEvent", namespaces=NS):
        prop = _properties(start).get("formJsonSchemaFilename")
        if prop is not None:
            names |= form_fields(forms.get(str(prop.get("value", ""))))
    return frozenset(names)


def _text(el: Any, path: str) -> list[Any]:
    return list(el.xpath(path, namespaces=NS))


def assigned_values(el: Any, forms: Mapping[str, Any]) -> dict[str, set[object]]:
    """The constants ``el``'s scripts assign to names, and the choices (``enum``) of its form fields."""
    values: dict[str, set[object]] = {}
    scripts = _text(el, "./bpmn:script | ./bpmn:extensionElements/spiffworkflow:postScript")
    for script in scripts if local_name(el.tag) in ("scriptTask", *HUMAN_TAGS) else []:
        for name, found in code_names(script.text or "", expression=False).assigned.items():
            values.setdefault(name, set()).update(found)
    form = _properties(el).get("formJsonSchemaFilename")
    schema = forms.get(str(form.get("value", ""))) if form is not None else None
    for name, prop in (
        ((schema or {}).get("properties", {}) or {}).items() if isinstance(schema, dict) else ()
    ):
        if not isinstance(prop, dict):
            continue
        choices = list(prop.get("enum") or []) + [
            c.get("const") for c in prop.get("oneOf") or [] if isinstance(c, dict)
        ]
        values.setdefault(name, set()).update(v for v in choices if isinstance(v, str | int))
    return values


def _decision_of(el: Any, decisions: Decisions | None) -> Decision | None:
    if local_name(el.tag) != "businessRuleTask" or not decisions:
        return None
    found = _text(el, "./bpmn:extensionElements/spiffworkflow:calledDecisionId")
    return decisions.get((found[0].text or "").strip()) if found else None


def decision_code(decision: Decision) -> list[tuple[Text, str]]:
    """Each piece of Python a decision table runs, with where it is: input expressions, input
    entries (as the engine combines them with their input) and output entries."""
    code = [
        (Text("input '{name}'", name=c.label or c.id), c.expression) for c in decision.inputs if c.expression
    ]
    for rule in decision.rules:
        for column, entry in zip(decision.inputs, rule.inputs, strict=False):
            if entry not in ANY and column.expression:
                # The tested value stands for the input expression, whose names are read once above.
                code.append(
                    (
                        Text("rule {row}, input '{name}'", row=rule.row, name=column.label or column.id),
                        entry_code(INPUT_VALUE, entry),
                    )
                )
        for out, entry in zip(decision.outputs, rule.outputs, strict=False):
            if entry:
                where = Text("rule {row}, output '{name}'", row=rule.row, name=out.label or out.name)
                code.append((where, entry))
    return code


def node_writes(el: Any, forms: Mapping[str, Any], decisions: Decisions | None = None) -> frozenset[str]:
    """The names ``el`` (one flow node, not its children) may set in the case data."""
    names: set[str] = set()
    tag = local_name(el.tag)
    decision = _decision_of(el, decisions)
    if decision is not None:
        names |= {out.name.split(".")[0] for out in decision.outputs if out.name}
    if tag in HUMAN_TAGS:
        variable = _text(el, "./bpmn:extensionElements/spiffworkflow:variableName")
        form = _properties(el).get("formJsonSchemaFilename")
        if variable and (variable[0].text or "").strip():
            names.add((variable[0].text or "").strip())
        elif form is not None:
            names |= form_fields(forms.get(str(form.get("value", ""))))
    if tag == "scriptTask":
        for script in _text(el, "./bpmn:script"):
            names |= code_names(script.text or "", expression=False).writes
    for script in _text(
        el,
        "./bpmn:extensionElements/spiffworkflow:preScript"
        " | ./bpmn:extensionElements/spiffworkflow:postScript",
    ):
        names |= code_names(script.text or "", expression=False).writes
    for item in _text(
        el, "./bpmn:multiInstanceLoopCharacteristics/*[self::bpmn:inputDataItem or self::bpmn:outputDataItem]"
    ):
        names |= {str(v) for v in (item.get("name"), item.get("id")) if v}
    for ref in _text(el, "./bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataOutputRef"):
        names.add((ref.text or "").strip())
    sign_rule = _properties(el).get("sign_rule")
    if tag in HUMAN_TAGS and sign_rule is not None:
        # 会签 / 或签: the engine writes the round's tally and, once it ends, its outcome.
        outcome = _properties(el).get("sign_outcome")
        names |= {"signing", str(outcome.get("value", "")).strip() if outcome is not None else "sign_outcome"}
    for var in _text(el, ".//spiffworkflow:messageVariable"):
        names.add((var.text or "").strip())
    catches = tag == "receiveTask" or (
        tag in ("intermediateCatchEvent", "boundaryEvent") and _text(el, "./bpmn:messageEventDefinition")
    )
    if catches and _properties(el).get("formJsonSchemaFilename") is not None:
        names.add(PAYLOADS_KEY)  # where the platform keeps the payload of the message it caught
    for item in _text(el, "./bpmn:ioSpecification/bpmn:dataOutput"):
        names |= {str(v) for v in (item.get("name"), item.get("id")) if v}
    return frozenset(n for n in names if n)


def node_reads(el: Any, forms: Mapping[str, Any], decisions: Decisions | None = None) -> list[Reader]:
    """Every piece of code ``el`` holds that reads case data (children elements not included)."""
    readers: list[Reader] = []
    element_id = str(el.get("id") or "-")
    label = _label(el)

    def add(what: Text, code: str, *, expression: bool, after: bool = False) -> None:
        found = code_names(code, expression=expression)
        if found.reads:
            of = Text("{what} of {element}", what=what, element=label)
            readers.append(Reader(el, element_id, of, found.reads, found.compared, after))

    for cond in _text(el, "./bpmn:conditionExpression"):
        add(Text("the condition"), cond.text or "", expression=True)
    if local_name(el.tag) == "scriptTask":
        for script in _text(el, "./bpmn:script"):
            add(Text("the script"), script.text or "", expression=False)
    for script in _text(el, "./bpmn:extensionElements/spiffworkflow:preScript"):
        add(Text("the preScript"), script.text or "", expression=False)
    decision = _decision_of(el, decisions)
    for where, code in decision_code(decision) if decision is not None else []:
        found = code_names(code, expression=True)
        if found.reads - {INPUT_VALUE}:
            task = Text("business rule task '{name}'", name=el.get("name") or element_id)
            what = Text("{where} of {table} of {task}", where=where, table=decision.label, task=task)  # type: ignore[union-attr]
            readers.append(Reader(el, element_id, what, found.reads - {INPUT_VALUE}, found.compared))
    for script in _text(el, "./bpmn:extensionElements/spiffworkflow:postScript"):
        add(Text("the postScript"), script.text or "", expression=False, after=True)
    for timer in _text(el, "./bpmn:timerEventDefinition/*"):
        add(Text("the timer expression"), timer.text or "", expression=True)
    props = _properties(el)
    # A multi-instance task's properties are read by each instance, which holds its input item.
    each = bool(_text(el, "./bpmn:multiInstanceLoopCharacteristics/bpmn:inputDataItem"))
    for name in EXPRESSION_PROPERTIES:
        if name in props and (props[name].get("value") or "").strip():
            add(
                Text("the property {name}", name=name),
                props[name].get("value", ""),
                expression=True,
                after=name.startswith("credit") or each,
            )
    for tag in LOOP_EXPRESSIONS:
        for loop in _text(el, f"./*/bpmn:{tag}"):
            add(Text("the {tag}", tag=tag), loop.text or "", expression=True, after=tag != "loopCardinality")
    return readers
