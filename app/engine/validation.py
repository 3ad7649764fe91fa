"""Checks a process file must pass before it can be deployed.

Each problem names the file, the line, the element id, what is wrong and, where there is one,
what to write instead. The loader runs these; `flask processes validate` prints them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .sandbox import check_source

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
TIME_LIMIT = re.compile(r"^\s*(\d+)\s*(wd|d|h)\s*$")
ISO_DURATION = re.compile(r"^R?\d*/?P(?=\d|T\d)[\dYMWD]*(T[\dHMS.]*)?$", re.IGNORECASE)
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
SPECIAL_GROUPS = {"applicant"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    element_id: str
    message: str
    hint: str | None

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {self.element_id}: {self.message}{hint}"


def parse_time_limit(value: str) -> tuple[int, str] | None:
    """`5wd` → (5, "wd"); None when the value does not parse."""
    match = TIME_LIMIT.match(value or "")
    return (int(match.group(1)), match.group(2)) if match else None


def check_document(path: Path, validator: Any) -> tuple[list[Problem], Any]:
    """XML, BPMN schema and expression checks on one file. Returns problems and the tree."""
    file = str(path)
    try:
        tree = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as err:
        line = getattr(err, "lineno", 0) or 0
        return [Problem(file, line, "-", f"not well-formed XML: {err}", None)], None
    try:
        validator.validate(tree, file)
    except ValidationException as err:
        line = err.line_number if isinstance(err.line_number, int) else 0
        first = str(err).split("\n")[0]
        return [Problem(file, line or 0, err.id or "-", f"BPMN schema: {first}", None)], tree
    return _check_expressions(file, tree) + check_elements(file, tree), tree


def _element_id(el: Any) -> str:
    while el is not None:
        if el.get("id"):
            return str(el.get("id"))
        el = el.getparent()
    return "-"


def _check_expressions(file: str, tree: Any) -> list[Problem]:
    problems: list[Problem] = []
    root = tree.getroot()
    for el in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        problems += _check_code(file, el, (el.text or "").strip(), expression=True, what="condition")
    for el in root.xpath("//bpmn:script", namespaces=NS):
        task = el.getparent()
        lang = (task.get("scriptFormat") or "python").lower()
        if lang not in {"python", "python3", "text/x-python"}:
            problems.append(
                Problem(
                    file,
                    task.sourceline,
                    _element_id(task),
                    f"script language '{lang}' is not supported",
                    "write the script in Python",
                )
            )
            continue
        problems += _check_code(file, el, el.text or "", expression=False, what="script")
    for tag in ("preScript", "postScript"):
        for el in root.xpath(f"//spiffworkflow:{tag}", namespaces=NS):
            problems += _check_code(file, el, el.text or "", expression=False, what=tag)
    for tag in ("loopCardinality", "completionCondition", "loopCondition", "condition"):
        for el in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            problems += _check_code(file, el, (el.text or "").strip(), expression=True, what=tag)
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for el in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            problems += _check_timer(file, el, (el.text or "").strip(), tag)
    return problems


def _check_code(file: str, el: Any, code: str, *, expression: bool, what: str) -> list[Problem]:
    if not code:
        return []
    if "${" in code or "#{" in code:
        python = python_form(code)
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"{what} uses another engine's expression language: {code}",
                f"write it as Python: {python}",
            )
        ]
    refusal = check_source(code, expression=expression)
    if refusal and "SyntaxError" in refusal:
        detail = refusal.split("SyntaxError:", 1)[1].strip()
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"{what} is not valid Python: {_short(detail, 120)}",
                "conditions and scripts are Python, e.g. amount > 1000 and approved",
            )
        ]
    if refusal:
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"{what} {refusal}",
                "process code may not use names starting with '_', imports or file access",
            )
        ]
    return []


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


def _short(code: str, limit: int = 80) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"


def _check_timer(file: str, el: Any, code: str, tag: str) -> list[Problem]:
    if not code:
        return [Problem(file, el.sourceline, _element_id(el), f"empty {tag}", 'e.g. "P5D" (quoted)')]
    if ISO_DURATION.match(code) or ISO_DATETIME.match(code):
        return [
            Problem(
                file,
                el.sourceline,
                _element_id(el),
                f"timer value {code} is not a Python expression",
                f'quote it: "{code}"',
            )
        ]
    return _check_code(file, el, code, expression=True, what="timer expression")


def check_definitions(trees: dict[Path, Any], *, by_stem: bool) -> dict[Path, list[Problem]]:
    """Where each process is defined, per file.

    A process id must be defined in one file only: otherwise which definition runs (or is called)
    depends on the order the files are read. With ``by_stem`` (the processes folder) the file
    `<key>.bpmn` owns the process `<key>` and runs no other process, so an edited file can never
    stand in for another file's process.
    """
    defined: dict[str, list[tuple[Path, Any]]] = {}
    for path, tree in sorted(trees.items()):
        for el in tree.getroot().xpath("./bpmn:process[@id]", namespaces=NS):
            defined.setdefault(str(el.get("id")), []).append((path, el))
    problems: dict[Path, list[Problem]] = {}

    def add(path: Path, el: Any, pid: str, message: str, hint: str) -> None:
        problems.setdefault(path, []).append(Problem(str(path), el.sourceline or 1, pid, message, hint))

    for pid, places in defined.items():
        files = {path for path, _ in places}
        if len(files) < 2:
            continue
        owner = next((path for path in files if by_stem and path.stem == pid), None)
        for path, el in places:
            if path == owner:
                continue
            if owner is not None:
                add(
                    path,
                    el,
                    pid,
                    f"process '{pid}' belongs to {owner.name}; this file defines it again",
                    f'remove it from this file and call it with a call activity (calledElement="{pid}")',
                )
            else:
                others = ", ".join(sorted(p.name for p in files if p != path))
                add(
                    path,
                    el,
                    pid,
                    f"process id '{pid}' is also defined in {others}",
                    "define each process in one file only, or give the processes different ids",
                )
    if not by_stem:
        return problems
    for path, tree in sorted(trees.items()):
        reported = {p.element_id for p in problems.get(path, [])}
        executable = [
            el
            for el in tree.getroot().xpath("./bpmn:process[@id]", namespaces=NS)
            if el.get("isExecutable", "true") == "true"
        ]
        if path.stem not in {el.get("id") for el in executable}:
            continue  # the file-name rule itself is reported by the loader
        for el in executable:
            pid = str(el.get("id"))
            if pid != path.stem and pid not in reported:
                add(
                    path,
                    el,
                    pid,
                    f"executable process '{pid}' in {path.name}: the file {path.name} may run only the "
                    f"process '{path.stem}'",
                    f'move it to {pid}.bpmn and call it from there, or set isExecutable="false" if only '
                    "this file calls it",
                )
    return problems


def check_specs(
    all_specs: dict[str, Any],
    path: Path,
    tree: Any,
    lane_groups: dict[str, str],
    known_groups: set[str] | None,
    sources: dict[str, tuple[Path, Any]] | None = None,
) -> tuple[set[str], list[Problem]]:
    """Checks on parsed specs: lanes and groups, forms named, time limits.

    ``sources`` maps process ids to the file and tree defining them, so that a problem in a called
    process names the file it is in.
    """
    problems: list[Problem] = []
    forms: set[str] = set()
    file, current = str(path), tree

    def line(bpmn_id: str) -> int:
        found = current.getroot().xpath(f"//*[@id='{bpmn_id}']")
        return found[0].sourceline if found else 0

    for process_id, spec in all_specs.items():
        if sources and process_id in sources:
            file, current = str(sources[process_id][0]), sources[process_id][1]
        else:
            file, current = str(path), tree
        for task_spec in spec.task_specs.values():
            ext = getattr(task_spec, "extensions", {}) or {}
            props = ext.get("properties", {}) or {}
            bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
            for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                if props.get(key):
                    forms.add(props[key])
            if "time_limit" in props and parse_time_limit(props["time_limit"]) is None:
                problems.append(
                    Problem(
                        file,
                        line(bpmn_id),
                        bpmn_id,
                        f"time_limit '{props['time_limit']}' does not parse",
                        "write e.g. 5wd (working days), 3d (days) or 4h (hours)",
                    )
                )
            problems.extend(_check_declared(file, line, bpmn_id, task_spec, props, lane_groups))
            if not getattr(task_spec, "manual", False):
                continue
            expr = props.get("candidate_groups")
            if expr:
                refusal = check_source(expr, expression=True)
                if refusal:
                    problems.append(
                        Problem(
                            file,
                            line(bpmn_id),
                            bpmn_id,
                            f"candidate_groups {refusal}",
                            'e.g. "fire" or agency',
                        )
                    )
                continue
            lane = getattr(task_spec, "lane", None)
            if not lane:
                problems.append(
                    Problem(
                        file,
                        line(bpmn_id),
                        bpmn_id,
                        "human task has no candidate group",
                        "put it in a lane named after a group, or set the candidate_groups property",
                    )
                )
                continue
            group = lane_groups.get(lane, lane)
            if known_groups is not None and group not in known_groups | SPECIAL_GROUPS:
                problems.append(
                    Problem(
                        file,
                        line(bpmn_id),
                        bpmn_id,
                        f"lane '{lane}' names no group",
                        "map the lane name to a group slug in processes/groups.yaml",
                    )
                )
    return forms, problems


def _check_declared(
    file: str,
    line: Any,
    bpmn_id: str,
    task_spec: Any,
    props: dict[str, str],
    lane_groups: dict[str, str],
) -> list[Problem]:
    """The properties that declare a process's semantics (README, "Authoring a process"): the
    rating is given by the person who filed the case, so its task sits in the `applicant` lane; a
    certificate's validity in years is a whole number."""
    problems: list[Problem] = []
    if props.get("rating", "").strip():
        lane = getattr(task_spec, "lane", None)
        if not getattr(task_spec, "manual", False) or lane_groups.get(lane, lane) != "applicant":
            problems.append(
                Problem(
                    file,
                    line(bpmn_id),
                    bpmn_id,
                    "the property rating is for the task in which the person who filed the case rates it",
                    "put this user task in a lane mapped to the applicant pseudo-group, or remove rating",
                )
            )
    years = props.get("certificate_valid_years")
    if years is not None and not (years.strip().isdigit() and int(years) > 0):
        problems.append(
            Problem(
                file,
                line(bpmn_id),
                bpmn_id,
                f"certificate_valid_years '{years}' is not a whole number of years",
                "write e.g. 3",
            )
        )
    return problems


def find_form(name: str, bpmn_path: Path, form_dirs: list[Path]) -> Path | None:
    """Forms are looked up beside the BPMN file first, then in the forms folders."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    for folder in [bpmn_path.parent, *form_dirs]:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def check_forms(
    names: set[str], bpmn_path: Path, form_dirs: list[Path]
) -> tuple[dict[str, Any], list[Problem]]:
    """Load each referenced form; report missing files, bad JSON and invalid JSON Schema."""
    file = str(bpmn_path)
    forms: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in sorted(names):
        found = find_form(name, bpmn_path, form_dirs)
        if found is None:
            problems.append(
                Problem(
                    file,
                    0,
                    name,
                    f"form file '{name}' not found",
                    "put it in forms/ (or beside the BPMN file)",
                )
            )
            continue
        try:
            schema = json.loads(found.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            problems.append(
                Problem(str(found), getattr(err, "lineno", 0), name, f"form is not valid JSON: {err}", None)
            )
            continue
        if not name.endswith((".ui.json", "uischema.json")):
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as err:
                problems.append(
                    Problem(str(found), 0, name, f"form is not a valid JSON Schema: {err.message}", None)
                )
                continue
        forms[name] = schema
    return forms, problems


# -- BPMN elements SpiffWorkflow 3.2 rejects, ignores or runs wrongly ------------------------------

FOREIGN_ENGINES = {
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://activiti.org/bpmn": "activiti",
    "http://flowable.org/bpmn": "flowable",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
    "http://www.jboss.org/drools": "drools",
}
# Attributes of other engines that carry behaviour this engine would silently drop.
FOREIGN_ATTRIBUTES = {
    "class": "write the logic as a script task in Python",
    "expression": "write the logic as a script task in Python",
    "delegateExpression": "write the logic as a script task in Python",
    "type": "write the logic as a script task in Python",
    "topic": "write the logic as a script task in Python",
    "resultVariable": "assign the result in a Python script task",
    "formKey": "use the property formJsonSchemaFilename naming a JSON Schema in forms/",
    "formRef": "use the property formJsonSchemaFilename naming a JSON Schema in forms/",
    "assignee": "put the task in a lane named after a group, or set the candidate_groups property",
    "candidateGroups": "put the task in a lane named after a group, or set the candidate_groups property",
    "candidateUsers": "put the task in a lane named after a group, or set the candidate_groups property",
    "dueDate": "set the task's time_limit property, e.g. 5wd",
    "followUpDate": "set the task's time_limit property, e.g. 5wd",
    "priority": "remove it (tasks have no priority here)",
    "decisionRef": "write the decision as a Python script task",
    "mapDecisionResult": "write the decision as a Python script task",
    "collection": "use loopDataInputRef / a Python loopCardinality on the multi-instance",
    "elementVariable": "use a dataInput item on the multi-instance",
    "initiator": "the platform records who started the case; remove it",
    "calledElementBinding": "remove it (the called process's current file is used)",
    "variableMappingClass": "pass data to the called process through the case data",
    "variableMappingDelegateExpression": "pass data to the called process through the case data",
}
FOREIGN_ELEMENTS = {
    "executionListener": "write the listener's logic as a script task (or a preScript/postScript)",
    "taskListener": "write the listener's logic as a preScript/postScript of the task",
    "inputOutput": "compute inputs and outputs in a Python script task",
    "formData": "describe the form as a JSON Schema named by the property formJsonSchemaFilename",
    "formField": "describe the form as a JSON Schema named by the property formJsonSchemaFilename",
    "in": "the called process sees the case data; remove the mapping",
    "out": "the called process's data comes back into the case data; remove the mapping",
    "connector": "write the logic as a script task in Python",
    "field": "write the logic as a script task in Python",
    "script": "write the script as a Python scriptTask",
    "taskDefinition": "write the logic as a script task in Python",
    "ioMapping": "compute inputs and outputs in a Python script task",
    "assignmentDefinition": FOREIGN_ATTRIBUTES["assignee"],
    "formDefinition": "use the property formJsonSchemaFilename naming a JSON Schema in forms/",
    "calledElement": "set calledElement on the callActivity",
    "loopCharacteristics": "use BPMN multiInstanceLoopCharacteristics",
    "subscription": "PermitFlow does not deliver messages between cases",
    "onEntry": "write the logic as a script task in Python",
    "onExit": "write the logic as a script task in Python",
}
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
UNSUPPORTED_TAGS = {
    "complexGateway": (
        "complex gateways are not supported by the engine",
        "use an inclusive gateway with a condition on each outgoing flow",
    ),
    "adHocSubProcess": (
        "ad-hoc subprocesses are not run correctly by the engine (it fails with an internal error)",
        "use a subprocess with a parallel gateway, or separate user tasks",
    ),
    "serviceTask": (
        "service tasks are not supported",
        "use a script task (Python) or a user task",
    ),
    "businessRuleTask": (
        "business rule tasks (DMN decisions) are not supported",
        "write the decision as a Python script task",
    ),
    "dataStore": (
        "data stores have no implementation in this engine",
        "keep the data in the case data (task data or data objects)",
    ),
    "dataStoreReference": (
        "data stores have no implementation in this engine",
        "keep the data in the case data (task data or data objects)",
    ),
    "linkEventDefinition": (
        "link events are not run correctly by the engine",
        "connect the two points with a sequence flow",
    ),
    "compensateEventDefinition": (
        "compensation is not supported by the engine",
        "model the undo steps explicitly: an error boundary event leading to the reversing tasks",
    ),
    "complexBehaviorDefinition": (
        "multi-instance complex behaviour is not supported by the engine",
        "remove it; throw events from the instances explicitly",
    ),
}
EVENT_DEFINITIONS = (
    "messageEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "timerEventDefinition",
    "conditionalEventDefinition",
    "compensateEventDefinition",
    "cancelEventDefinition",
    "linkEventDefinition",
    "terminateEventDefinition",
)
PYTHON_LANGUAGES = {"python", "python3", "text/x-python", "http://www.python.org/"}


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _ref(value: str | None) -> str:
    """An id reference without its namespace prefix (`tns:Message_1` → `Message_1`)."""
    return (value or "").strip().split(":")[-1]


def check_elements(file: str, tree: Any) -> list[Problem]:
    """Elements the engine rejects with an internal error, ignores, or runs differently from BPMN."""
    root = tree.getroot()
    problems: list[Problem] = []

    def add(el: Any, message: str, hint: str | None, element_id: str | None = None) -> None:
        problems.append(Problem(file, el.sourceline or 0, element_id or _element_id(el), message, hint))

    for tag, (message, hint) in UNSUPPORTED_TAGS.items():
        for el in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            add(el, message, hint)
    for el in root.xpath("//bpmn:*[@isForCompensation='true']", namespaces=NS):
        add(
            el,
            "compensation activities are not supported by the engine",
            UNSUPPORTED_TAGS["compensateEventDefinition"][1],
        )

    _check_events(root, add)
    _check_activities(root, add)
    _check_foreign(root, add)

    for el in root.xpath("//bpmn:conditionExpression[@language]", namespaces=NS):
        lang = el.get("language", "").strip()
        if lang and lang.lower() not in PYTHON_LANGUAGES:
            add(
                el,
                f"condition language '{lang}' is not supported",
                "write the condition as a Python expression",
            )

    # Message, signal, error and escalation definitions the engine reads by name.
    referenced = {
        _ref(el.get(attr))
        for attr in ("messageRef", "signalRef", "errorRef", "escalationRef")
        for el in root.xpath(f"//*[@{attr}]")
    }
    for kind in ("message", "signal", "error", "escalation"):
        for el in root.xpath(f"./bpmn:{kind}", namespaces=NS):
            if el.get("id") in referenced and not (el.get("name") or "").strip():
                add(
                    el,
                    f"{kind} '{el.get('id')}' has no name (the engine matches {kind}s by name)",
                    f'add name="{el.get("id")}"',
                )
    return problems


def _check_events(root: Any, add: Any) -> None:
    for el in root.xpath("//bpmn:*[bpmn:eventDefinitionRef]", namespaces=NS):
        add(
            el,
            "global event definitions (eventDefinitionRef) are ignored by the engine",
            "put the event definition (e.g. errorEventDefinition with errorRef) inside the event",
        )
    activities = {
        el.get("id"): _local(el.tag) for tag in ACTIVITY_TAGS for el in root.iter(f"{{{NS['bpmn']}}}{tag}")
    }
    for kind in ("error", "escalation"):
        for el in root.xpath(f"//bpmn:boundaryEvent[bpmn:{kind}EventDefinition]", namespaces=NS):
            attached = activities.get(_ref(el.get("attachedToRef")))
            if attached and attached not in ("subProcess", "callActivity", "transaction"):
                add(
                    el,
                    f"{kind} boundary event on a {attached} never fires: in this engine only subprocesses "
                    f"and called processes throw {kind}s (a failing script stops the case instead)",
                    f"put the {attached} in a subprocess that ends with an {kind} end event where it fails, "
                    "and attach the boundary event to the subprocess",
                )
    for el in root.xpath("//bpmn:endEvent[bpmn:signalEventDefinition]", namespaces=NS):
        add(
            el,
            "signal end events are not run correctly by the engine",
            "throw the signal with an intermediate throw event, then end with a none end event",
        )
    for el in root.xpath("//bpmn:startEvent", namespaces=NS):
        kinds = [_local(d.tag) for d in el if _local(d.tag) in EVENT_DEFINITIONS]
        if not kinds or el.getparent().get("triggeredByEvent") == "true":
            continue
        kind = kinds[0].replace("EventDefinition", "")
        add(
            el,
            f"{kind} start events are never triggered: cases start from a none start event (POST /cases)",
            "use a none start event; the start form's data becomes the case data",
        )
    for sub in root.xpath("//bpmn:subProcess[@triggeredByEvent='true']", namespaces=NS):
        for start in sub.xpath("./bpmn:startEvent", namespaces=NS):
            kinds = [_local(d.tag) for d in start if _local(d.tag) in EVENT_DEFINITIONS]
            bad = [k for k in kinds if k in ("errorEventDefinition", "escalationEventDefinition")]
            if bad or "compensateEventDefinition" in kinds:
                kind = bad[0].replace("EventDefinition", "") if bad else "compensation"
                add(
                    start,
                    f"{kind} start events of event subprocesses are not run correctly by the engine",
                    f"catch the {kind} with a boundary event on a subprocess around the activities",
                )
            elif start.get("isInterrupting", "true").strip().lower() != "false":
                add(
                    start,
                    "interrupting event subprocess: the engine ignores isInterrupting and does not cancel "
                    "the enclosing process",
                    'set isInterrupting="false" if the main flow must go on, or put the activities in a '
                    "subprocess with an interrupting boundary event",
                )
            elif kinds != ["timerEventDefinition"]:
                kind = kinds[0].replace("EventDefinition", "") if kinds else "none"
                add(
                    start,
                    f"{kind} start events of event subprocesses are not triggered reliably by the engine",
                    "use a boundary event on a subprocess, or a non-interrupting timer start",
                )
    # The engine names its own start task `Start`: a BPMN element with that id breaks parsing.
    for el in root.xpath("//bpmn:process//*[@id='Start']", namespaces=NS):
        if _local(el.tag) not in ("sequenceFlow", "lane", "laneSet"):
            add(el, "the id 'Start' is reserved by the engine", 'rename it, e.g. id="StartEvent_1"')


def _check_activities(root: Any, add: Any) -> None:
    outgoing: dict[str, int] = {}
    for flow in root.xpath("//bpmn:sequenceFlow", namespaces=NS):
        outgoing[flow.get("sourceRef", "")] = outgoing.get(flow.get("sourceRef", ""), 0) + 1
    for tag in ACTIVITY_TAGS:
        for el in root.iter(f"{{{NS['bpmn']}}}{tag}"):
            count = outgoing.get(el.get("id", ""), 0)
            if count > 1:
                add(
                    el,
                    f"activity has {count} outgoing sequence flows; the engine does not split after an "
                    "activity (conditional or implicit split)",
                    "add a gateway after it: exclusive or inclusive with the conditions, parallel for all",
                )
    for el in root.iter(f"{{{NS['bpmn']}}}scriptTask"):
        if not any((s.text or "").strip() for s in el.xpath("./bpmn:script", namespaces=NS)):
            add(
                el,
                "script task without a script (the engine fails on it)",
                "add the Python script, or use a task",
            )
    for el in root.xpath("//bpmn:multiInstanceLoopCharacteristics", namespaces=NS):
        behavior = (el.get("behavior") or "All").strip()
        if behavior in ("One", "Complex"):
            add(
                el,
                f'multi-instance behavior="{behavior}" is not run correctly by the engine',
                'remove the attribute (behavior="All"), and throw events from the instances explicitly',
            )
    globals_ = {
        el.get("id"): _local(el.tag)
        for el in root.xpath("./*[starts-with(local-name(), 'global')]", namespaces=NS)
        if el.get("id")
    }
    for el in root.xpath("//bpmn:callActivity[@calledElement]", namespaces=NS):
        called = _ref(el.get("calledElement"))
        if called in globals_:
            add(
                el,
                f"calls {globals_[called]} '{called}'; global tasks are not supported",
                "call a process, or put the task itself here",
            )


def _check_foreign(root: Any, add: Any) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in el.attrib:
            qname = etree.QName(name)
            engine = FOREIGN_ENGINES.get(qname.namespace or "")
            if engine and qname.localname in FOREIGN_ATTRIBUTES:
                add(
                    el,
                    f'{engine}:{qname.localname}="{_short(el.get(name), 60)}" is {engine}-specific and '
                    "ignored by this engine",
                    FOREIGN_ATTRIBUTES[qname.localname],
                )
        qname = etree.QName(el.tag)
        engine = FOREIGN_ENGINES.get(qname.namespace or "")
        parent = el.getparent()
        if (
            engine
            and qname.localname in FOREIGN_ELEMENTS
            and parent is not None
            and _local(parent.tag) == "extensionElements"
        ):
            add(
                el,
                f"{engine}:{qname.localname} is {engine}-specific and ignored by this engine",
                FOREIGN_ELEMENTS[qname.localname],
                _element_id(parent),
            )


def check_case_scope(file: str, key: str, processes: dict[str, Any]) -> list[Problem]:
    """Checks on process ``key`` run as a case: what would leave the case and be lost.

    ``processes`` maps process ids to their ``bpmn:process`` elements (every loaded file), so that
    called processes count as part of the case.
    """
    top = processes.get(key)
    if top is None:
        return []
    problems: list[Problem] = []
    scope, todo = [], [key]
    while todo:
        pid = todo.pop()
        el = processes.get(pid)
        if el is None or el in scope:
            continue
        scope.append(el)
        todo += [_ref(c.get("calledElement")) for c in el.xpath(".//bpmn:callActivity", namespaces=NS)]

    for kind in ("error", "escalation"):
        for end in top.xpath(f"./bpmn:endEvent[bpmn:{kind}EventDefinition]", namespaces=NS):
            problems.append(
                Problem(
                    file,
                    end.sourceline or 0,
                    _element_id(end),
                    f"{kind} end event of process '{key}': nothing catches the {kind} when '{key}' runs as "
                    "a case, which would then end as if it had completed normally",
                    f"throw it inside a subprocess that has an {kind} boundary event, or end with a none "
                    "end event and set the property case_status",
                )
            )

    def refs(kind: str, throwing: bool) -> dict[str, Any]:
        found: dict[str, Any] = {}
        event_tags = (
            ("intermediateThrowEvent", "endEvent")
            if throwing
            else (
                "startEvent",
                "intermediateCatchEvent",
                "boundaryEvent",
            )
        )
        for el in scope:
            for tag in event_tags:
                for d in el.xpath(f".//bpmn:{tag}/bpmn:{kind}EventDefinition", namespaces=NS):
                    found.setdefault(_ref(d.get(f"{kind}Ref")), d.getparent())
            if kind == "message":
                task = "sendTask" if throwing else "receiveTask"
                for t in el.xpath(f".//bpmn:{task}", namespaces=NS):
                    found.setdefault(_ref(t.get("messageRef")), t)
        return found

    gateways = {g.get("id") for el in scope for g in el.xpath(".//bpmn:eventBasedGateway", namespaces=NS)}
    after_gateway = {
        f.get("targetRef")
        for el in scope
        for f in el.xpath(".//bpmn:sequenceFlow", namespaces=NS)
        if f.get("sourceRef") in gateways
    }
    for kind in ("message", "signal"):
        caught = refs(kind, throwing=False)
        thrown = refs(kind, throwing=True)
        for ref, catcher in caught.items():
            waits = _local(catcher.tag) in ("intermediateCatchEvent", "receiveTask")
            if waits and ref not in thrown and catcher.get("id") not in after_gateway:
                problems.append(
                    Problem(
                        file,
                        catcher.sourceline or 0,
                        _element_id(catcher),
                        f"waits for {kind} '{ref}', which nothing in the same case sends; PermitFlow has no "
                        f"way to deliver a {kind} to a case, so it would wait forever",
                        "use a user task for input from outside, or put a timer beside it behind an "
                        "event-based gateway",
                    )
                )
        for ref, thrower in thrown.items():
            if ref not in caught:
                problems.append(
                    Problem(
                        file,
                        thrower.sourceline or 0,
                        _element_id(thrower),
                        f"{kind} '{ref}' is thrown but nothing in the same case catches it; PermitFlow does "
                        f"not deliver {kind}s between cases or processes",
                        f"catch the {kind} in this process (or a process it calls), or model the hand-over "
                        "as a call activity",
                    )
                )
    return problems
