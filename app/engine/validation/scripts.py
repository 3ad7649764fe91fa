"""Checks of the Python a process holds (scripts, conditions, pre/post scripts): the sandbox must accept
it, and another engine's expression language gets its Python form as the hint."""

from __future__ import annotations

import re
from typing import Any

from ..messages import Text
from ..sandbox import check_source
from .problems import Problem, owning_id, short

SCRIPT_LANGUAGES = {"python", "python3", "text/x-python"}


def check_code(file: str, el: Any, code: str, *, expression: bool, what: Text) -> list[Problem]:
    """The problem with ``code`` (an expression or a script) held by ``el``, if any."""
    if not code:
        return []
    if "${" in code or "#{" in code:
        python = python_form(code)
        return [
            Problem(
                file,
                el.sourceline,
                owning_id(el),
                Text("{what} uses another engine's expression language: {code}", what=what, code=code),
                Text("write it as Python: {python}", python=python),
            )
        ]
    refusal = check_source(code, expression=expression)
    if refusal and "SyntaxError" in refusal:
        detail = refusal.split("SyntaxError:", 1)[1].strip()
        return [
            Problem(
                file,
                el.sourceline,
                owning_id(el),
                Text("{what} is not valid Python: {detail}", what=what, detail=short(detail, 120)),
                Text("conditions and scripts are Python, e.g. amount > 1000 and approved"),
            )
        ]
    if refusal:
        # The sandbox's own words say what to write instead when it can compile but not run the code.
        hint = (
            Text("rewrite that part: the sandbox runs plain expressions, assignments, loops and functions")
            if refusal.startswith("cannot run")
            else Text("process code may not use names starting with '_', imports or file access")
        )
        return [
            Problem(
                file, el.sourceline, owning_id(el), Text("{what} {refusal}", what=what, refusal=refusal), hint
            )
        ]
    return []


def check_script_tasks(file: str, root: Any, ns: dict[str, str]) -> list[Problem]:
    """Script task scripts: Python only, and accepted by the sandbox."""
    problems: list[Problem] = []
    for el in root.xpath("//bpmn:script", namespaces=ns):
        task = el.getparent()
        lang = (task.get("scriptFormat") or "python").lower()
        if lang not in SCRIPT_LANGUAGES:
            problems.append(
                Problem(
                    file,
                    task.sourceline,
                    owning_id(task),
                    Text("script language '{lang}' is not supported", lang=lang),
                    Text("write the script in Python"),
                )
            )
            continue
        problems += check_code(file, el, el.text or "", expression=False, what=Text("script"))
    return problems


def python_form(code: str) -> str:
    """Best-effort Python for a JUEL/EL expression such as ``${!approved && amount > 10}``."""
    python = re.sub(r"[$#]\{\s*(.*?)\s*\}", r"\1", code.strip(), flags=re.DOTALL)
    python = re.sub(r"\s*&&\s*", " and ", python)
    python = re.sub(r"\s*\|\|\s*", " or ", python)
    python = re.sub(r"!(?!=)\s*", "not ", python)
    python = re.sub(r"\bnull\b", "None", python)
    python = re.sub(r"\btrue\b", "True", python)
    python = re.sub(r"\bfalse\b", "False", python)
    python = re.sub(r"\beq\b", "==", python)
    python = re.sub(r"\bne\b", "!=", python)
    python = re.sub(r"([\w.\]\[]+)\.contains\(([^()]*)\)", r"\2 in \1", python)
    python = re.sub(r"([\w.\]\[]+)\.equals\(([^()]*)\)", r"\1 == \2", python)
    return python
