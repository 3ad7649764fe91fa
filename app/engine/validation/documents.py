"""The first checks of one file: well-formed XML, the BPMN schema, then every expression and element."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..messages import Text, as_text
from .problems import NS, Problem
from .scripts import check_code, check_script_tasks
from .timer_values import check_timer_values
from .timers import TIMER_TAGS, check_timer
from .unsupported import check_elements

EXPRESSION_TAGS = ("loopCardinality", "completionCondition", "loopCondition", "condition")


def check_document(path: Path, validator: Any) -> tuple[list[Problem], Any]:
    """XML, BPMN schema and expression checks on one file. Returns problems and the tree."""
    file = str(path)
    try:
        tree = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as err:
        line = getattr(err, "lineno", 0) or 0
        return [Problem(file, line, "-", Text("not well-formed XML: {detail}", detail=str(err)), None)], None
    try:
        validator.validate(tree, file)
    except ValidationException as err:
        line = err.line_number if isinstance(err.line_number, int) else 0
        first = str(err).split("\n")[0]
        return [
            Problem(file, line or 0, err.id or "-", Text("BPMN schema: {detail}", detail=first), None)
        ], tree
    return check_expressions(file, tree) + check_timer_values(file, tree.getroot()) + check_elements(
        file, tree
    ), tree


def check_expressions(file: str, tree: Any) -> list[Problem]:
    """Every piece of Python in the file: conditions, scripts, pre/post scripts, loops, timers."""
    problems: list[Problem] = []
    root = tree.getroot()
    for el in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        problems += check_code(file, el, (el.text or "").strip(), expression=True, what=Text("condition"))
    problems += check_script_tasks(file, root, NS)
    for tag in ("preScript", "postScript"):
        for el in root.xpath(f"//spiffworkflow:{tag}", namespaces=NS):
            problems += check_code(file, el, el.text or "", expression=False, what=as_text(tag))
    for tag in EXPRESSION_TAGS:
        for el in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            problems += check_code(file, el, (el.text or "").strip(), expression=True, what=as_text(tag))
    for tag in TIMER_TAGS:
        for el in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            problems += check_timer(file, el, (el.text or "").strip(), tag)
    return problems
