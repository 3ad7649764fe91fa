"""Business rule tasks and the DMN decision tables they run.

A business rule task must name a decision of a `.dmn` file beside the process; the table must use a
hit policy the engine runs as DMN means it, give every output a name and a type, and hold Python
the sandbox accepts in every input expression and entry. Each problem is reported at the business
rule task and names the table, the rule and the column; a table no task uses is reported on its file.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..decisions import ANY, Decision, DecisionSet, decision_ref, entry_code
from ..messages import Text
from ..sandbox import check_source
from .problems import NS, Problem

# UNIQUE: exactly one rule may match (the runtime refuses two); FIRST: the first matching rule;
# COLLECT: every matching rule, each output a list in rule order. The engine runs the others
# (ANY, PRIORITY, OUTPUT ORDER, RULE ORDER) as FIRST and ignores COLLECT's aggregations.
HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
OUTPUT_TYPES = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "boolean": (bool,),
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
_HIT_HINT = Text(
    "use UNIQUE (one rule matches), FIRST (the first matching rule wins) or COLLECT "
    "(every matching rule; each output becomes a list)"
)


def _literal_fits(text: str, type_ref: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return True  # an expression: its type is known only when it runs
    kinds = OUTPUT_TYPES[type_ref]
    return isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))


def _input_issues(decision: Decision) -> list[tuple[str, Text, Text | None]]:
    issues: list[tuple[str, Text, Text | None]] = []
    for column in decision.inputs:
        where = Text("input '{name}'", name=column.label or column.id)
        if not column.expression:
            issues.append(
                (
                    column.id,
                    Text("{where} has no expression", where=where),
                    Text("write the case data name it tests, e.g. floor_area"),
                )
            )
            continue
        refusal = check_source(column.expression, expression=True)
        if refusal:
            issues.append(
                (
                    column.id,
                    Text("{where}: the expression {refusal}", where=where, refusal=refusal),
                    Text("write a Python expression"),
                )
            )
    return issues + _rule_input_issues(decision)


def _rule_input_issues(decision: Decision) -> list[tuple[str, Text, Text | None]]:
    issues: list[tuple[str, Text, Text | None]] = []
    for rule in decision.rules:
        if len(rule.inputs) != len(decision.inputs) or len(rule.outputs) != len(decision.outputs):
            issues.append(
                (
                    rule.id,
                    Text("rule {row} does not have one entry per column", row=rule.row),
                    Text("save the table from the editor"),
                )
            )
            continue
        for column, entry in zip(decision.inputs, rule.inputs, strict=True):
            if entry in ANY or not column.expression:
                continue
            refusal = check_source(entry_code(column.expression, entry), expression=True)
            where = Text("rule {row}, input '{name}'", row=rule.row, name=column.label or column.id)
            if refusal:
                issues.append(
                    (
                        rule.id,
                        Text(
                            "{where}: the entry {entry} {refusal}",
                            where=where,
                            entry=repr(entry),
                            refusal=refusal,
                        ),
                        Text('write e.g. >= 1000, "shop" or ? in ("a", "b")'),
                    )
                )
            elif "," in entry and isinstance(_parsed(entry), ast.Tuple):
                issues.append(
                    (
                        rule.id,
                        Text(
                            "{where}: the entry {entry} is a list of values (FEEL)",
                            where=where,
                            entry=repr(entry),
                        ),
                        Text("write ? in ({entry})", entry=entry),
                    )
                )
    return issues


def _parsed(text: str) -> ast.AST | None:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None


def _output_issues(decision: Decision) -> list[tuple[str, Text, Text | None]]:
    issues: list[tuple[str, Text, Text | None]] = []
    if not decision.outputs:
        issues.append(
            (
                decision.table_id,
                Text("the table has no output"),
                Text("add an output column naming the data it sets"),
            )
        )
    for column in decision.outputs:
        where = Text("output '{name}'", name=column.label or column.name or column.id)
        if not _NAME.fullmatch(column.name):
            issues.append(
                (
                    column.id,
                    Text("{where} has no valid output name ('{name}')", where=where, name=column.name),
                    Text("name the case data it sets, e.g. agencies"),
                )
            )
        if column.type_ref not in OUTPUT_TYPES:
            issues.append(
                (
                    column.id,
                    Text("{where} has no supported type ('{type}')", where=where, type=column.type_ref),
                    Text("set its type to one of {types}", types=", ".join(OUTPUT_TYPES)),
                )
            )
    for rule in decision.rules:
        if len(rule.outputs) != len(decision.outputs):
            continue
        for column, entry in zip(decision.outputs, rule.outputs, strict=True):
            where = Text(
                "rule {row}, output '{name}'", row=rule.row, name=column.label or column.name or column.id
            )
            refusal = check_source(entry, expression=True) if entry else None
            if refusal:
                issues.append(
                    (
                        rule.id,
                        Text("{where}: {entry} {refusal}", where=where, entry=repr(entry), refusal=refusal),
                        Text('write a Python value, e.g. "fire" or True'),
                    )
                )
            elif entry and column.type_ref in OUTPUT_TYPES and not _literal_fits(entry, column.type_ref):
                issues.append(
                    (
                        rule.id,
                        Text(
                            "{where}: {entry} is not a {type}",
                            where=where,
                            entry=repr(entry),
                            type=column.type_ref,
                        ),
                        Text("write a value of the output's type, or change its type"),
                    )
                )
    return issues


def table_issues(decision: Decision) -> list[tuple[str, Text, Text | None]]:
    """What is wrong with a decision table: (element id in the DMN file, message, hint)."""
    issues: list[tuple[str, Text, Text | None]] = []
    if decision.hit_policy not in HIT_POLICIES:
        issues.append(
            (
                decision.table_id,
                Text("hit policy {policy} is not supported", policy=decision.hit_policy),
                _HIT_HINT,
            )
        )
    elif decision.aggregation:
        issues.append(
            (
                decision.table_id,
                Text(
                    "COLLECT with aggregation {aggregation} is not supported",
                    aggregation=decision.aggregation,
                ),
                Text("collect the list and sum it in a script"),
            )
        )
    return issues + _input_issues(decision) + _output_issues(decision)


def check_decision_tasks(file: str, tree: Any, decisions: DecisionSet) -> list[Problem]:
    """Every business rule task of a BPMN file: its decision exists, and its table is sound."""
    problems: list[Problem] = []
    known = ", ".join(sorted(decisions.decisions)) or "none"
    for task in tree.getroot().xpath("//bpmn:businessRuleTask", namespaces=NS):
        task_id, line = str(task.get("id") or "-"), int(task.sourceline or 0)
        what = Text("business rule task '{name}'", name=task.get("name") or task_id)
        ref = decision_ref(task)
        decision = decisions.decisions.get(ref)
        if decision is None:
            message = (
                Text("{what} names no decision", what=what)
                if not ref
                else Text(
                    "{what} calls decision '{ref}', which no .dmn file beside the process defines",
                    what=what,
                    ref=ref,
                )
            )
            problems.append(
                Problem(
                    file,
                    line,
                    task_id,
                    message,
                    Text(
                        "set calledDecisionId to a decision of processes/*.dmn (known: {known})", known=known
                    ),
                )
            )
            continue
        for _element, message, hint in table_issues(decision):
            of = Text("{table} of {what}: {message}", table=decision.label, what=what, message=message)
            problems.append(Problem(file, line, task_id, of, hint))
    return problems


def unused_table_problems(decisions: DecisionSet, used: set[str]) -> list[Problem]:
    """The problems of tables no loaded business rule task calls, on their own files."""
    return [
        Problem(
            decision.file,
            decision.line,
            element or decision.id,
            Text("{table}: {message}", table=decision.label, message=message),
            hint,
        )
        for decision_id, decision in sorted(decisions.decisions.items())
        if decision_id not in used
        for element, message, hint in table_issues(decision)
    ]
