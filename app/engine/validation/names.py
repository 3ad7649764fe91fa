"""Every name process code reads must be set upstream on some path.

A condition testing ``review_result`` where the review writes ``review_outcome`` validates as
Python, deploys, and then stops every case with an engine error after the reviews. Here each
process is walked as a flow graph: what a node may know is what any path to it may have set (start
form fields, the platform's keys, form fields or ``variableName`` of user tasks, script assignments,
what called processes set), and every name a condition, script, timer expression or property
expression reads must be among those or be a sandbox helper. A problem names the drawn element
that reads it and the closest known name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..messages import Text
from ..sandbox import SCRIPT_BUILTINS
from .name_sources import Decisions, Reader, assigned_values, node_reads, node_writes, start_names
from .problems import NS, Problem, id_ref, local_name

# What the platform puts in every case's start data (app/services/cases.py).
PLATFORM_KEYS = frozenset({"applicant"})
# The helpers process code may call (API.md; app/services/platform.py provides them, with `due_of`
# from the runtime). A test keeps the two lists equal.
HELPERS = frozenset(
    {
        "now",
        "mask",
        "working_days",
        "working_days_between",
        "due_in",
        "due_of",
        "credit_score",
        "repeat_window_end",
        "project_data",
    }
)
SCOPE_TAGS = ("process", "subProcess", "transaction")


@dataclass(frozen=True)
class NameContext:
    """What every case of a deployment knows besides what its process sets: the platform's start
    keys and the helpers of its script environment (a test or another deployment may add some)."""

    platform_keys: frozenset[str] = PLATFORM_KEYS
    helpers: frozenset[str] = HELPERS


@dataclass
class _Flow:
    """The flow nodes of one scope and what may be known on entering and leaving each."""

    nodes: dict[str, Any] = field(default_factory=dict)
    preds: dict[str, list[str]] = field(default_factory=dict)
    known_in: dict[str, frozenset[str]] = field(default_factory=dict)
    known_out: dict[str, frozenset[str]] = field(default_factory=dict)


def check_names(
    file: str,
    key: str,
    processes: Mapping[str, Any],
    forms: Mapping[str, Any],
    context: NameContext | None = None,
    decisions: Decisions | None = None,
) -> list[Problem]:
    """Names read but set on no path before, in process ``key`` (its subprocesses included);
    business rule tasks read what their decision tables test and set the tables' outputs."""
    process = processes.get(key)
    if process is None:
        return []
    context = context or NameContext()
    walker = _Walker(processes, forms, decisions)
    initial = start_names(process, forms) | context.platform_keys | walker.data_objects(process)
    problems: list[Problem] = []
    free = context.helpers | SCRIPT_BUILTINS | {"True", "False", "None"}
    for reader, known in walker.readers(process, initial):
        missing = sorted(reader.names - known - free)
        for name in missing:
            # Suggested among what is known there and what the process sets anywhere (a typo of a
            # name the same script sets, a name set only later).
            candidates = known | context.helpers | walker.sets_of_process(key)
            close = _closest(name, candidates, reader.compared.get(name, set()), walker.values())
            problems.append(_problem(file, reader, name, close))
    return problems


def _closest(
    name: str, known: Iterable[str], compared: set[object], values: Mapping[str, set[object]]
) -> str | None:
    """The known name most like ``name``; among the alike, one that is given a value ``name`` is
    compared with (``review_result == "rejected"`` → the name a script sets to "rejected")."""
    close = difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.5)
    meant = [c for c in close if compared & values.get(c, set())]
    ranked = meant or close
    return ranked[0] if ranked else None


def _problem(file: str, reader: Reader, name: str, close: str | None) -> Problem:
    sets = Text("set it before (a form field, variableName, a script assignment or a start-form field)")
    return Problem(
        file,
        reader.element.sourceline or 0,
        reader.element_id,
        Text("{what} reads '{name}', which nothing sets on any path before it", what=reader.what, name=name),
        Text("did you mean {close}? Otherwise {sets}", close=close, sets=sets) if close else sets,
    )


class _Walker:
    """Walks processes as flow graphs; remembers what each called process may set."""

    def __init__(
        self, processes: Mapping[str, Any], forms: Mapping[str, Any], decisions: Decisions | None = None
    ) -> None:
        self.processes = processes
        self.forms = forms
        self.decisions = decisions
        self._sets: dict[str, frozenset[str]] = {}
        self._values: dict[str, set[object]] | None = None

    def values(self) -> dict[str, set[object]]:
        """The constants each name is given anywhere in the loaded processes (scripts, form choices)."""
        if self._values is None:
            self._values = {}
            for process in self.processes.values():
                for el in process.iter():
                    if isinstance(el.tag, str):
                        for name, found in assigned_values(el, self.forms).items():
                            self._values.setdefault(name, set()).update(found)
        return self._values

    def data_objects(self, scope: Any) -> frozenset[str]:
        # Data objects are the process's own variables (SpiffWorkflow reads them by id).
        return frozenset(str(el.get("id")) for el in scope.xpath(".//bpmn:dataObject[@id]", namespaces=NS))

    def sets_of_process(self, pid: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """Every name process ``pid`` (and what it calls) may set: what a call activity brings back."""
        if pid in self._sets:
            return self._sets[pid]
        process = self.processes.get(pid)
        if process is None or pid in seen:
            return frozenset()
        names = set(start_names(process, self.forms)) | self.data_objects(process)
        for el in process.iter():
            if not isinstance(el.tag, str):
                continue
            names |= node_writes(el, self.forms, self.decisions)
            if local_name(el.tag) == "callActivity":
                names |= self.sets_of_process(id_ref(el.get("calledElement")), seen | {pid})
        self._sets[pid] = frozenset(names)
        return self._sets[pid]

    def readers(self, scope: Any, initial: frozenset[str]) -> list[tuple[Reader, frozenset[str]]]:
        """Each reader in ``scope`` (subprocesses included) with what may be known where it reads."""
        flow = self._flow(scope, initial)
        found: list[tuple[Reader, frozenset[str]]] = []
        for node_id, node in flow.nodes.items():
            known_in, known_out = flow.known_in[node_id], flow.known_out[node_id]
            for reader in node_reads(node, self.forms, self.decisions):
                found.append((reader, known_out if reader.after else known_in))
            if local_name(node.tag) in SCOPE_TAGS[1:]:
                found += self.readers(node, known_in)
        everything = frozenset().union(initial, *flow.known_out.values())
        for flow_el in scope.xpath("./bpmn:sequenceFlow", namespaces=NS):
            source = id_ref(flow_el.get("sourceRef"))
            known = flow.known_out.get(source, everything)
            found += [(reader, known) for reader in node_reads(flow_el, self.forms)]
        for sub in scope.xpath("./*[@triggeredByEvent='true']", namespaces=NS):
            # An event subprocess may start at any moment: whatever the scope may know by then.
            found += self.readers(sub, everything)
        return found

    def _flow(self, scope: Any, initial: frozenset[str]) -> _Flow:
        flow = _Flow()
        for child in scope:
            if isinstance(child.tag, str) and child.get("id") and child.get("triggeredByEvent") != "true":
                name = local_name(child.tag)
                if name not in ("sequenceFlow", "laneSet", "dataObject", "dataObjectReference"):
                    flow.nodes[str(child.get("id"))] = child
        for flow_el in scope.xpath("./bpmn:sequenceFlow", namespaces=NS):
            source, target = id_ref(flow_el.get("sourceRef")), id_ref(flow_el.get("targetRef"))
            if source in flow.nodes and target in flow.nodes:
                flow.preds.setdefault(target, []).append(source)
        for node_id, node in flow.nodes.items():
            if local_name(node.tag) == "boundaryEvent":
                flow.preds.setdefault(node_id, []).append(id_ref(node.get("attachedToRef")))
        self._solve(flow, initial)
        return flow

    def _solve(self, flow: _Flow, initial: frozenset[str]) -> None:
        """Forward "may be set" analysis to a fixed point (the graphs are small)."""
        gens = {node_id: self._gen(node) for node_id, node in flow.nodes.items()}
        for node_id in flow.nodes:
            flow.known_in[node_id] = initial
            flow.known_out[node_id] = initial | gens[node_id]
        changed = True
        while changed:
            changed = False
            for node_id in flow.nodes:
                preds = [p for p in flow.preds.get(node_id, []) if p in flow.known_out]
                known_in = frozenset().union(initial, *(flow.known_out[p] for p in preds))
                if known_in != flow.known_in[node_id]:
                    flow.known_in[node_id] = known_in
                    flow.known_out[node_id] = known_in | gens[node_id]
                    changed = True

    def _gen(self, node: Any) -> frozenset[str]:
        name = local_name(node.tag)
        if name == "callActivity":
            return self.sets_of_process(id_ref(node.get("calledElement")))
        if name in SCOPE_TAGS[1:]:
            inner = [el for el in node.iter() if isinstance(el.tag, str)]
            calls = [id_ref(el.get("calledElement")) for el in inner if local_name(el.tag) == "callActivity"]
            return frozenset().union(
                *(node_writes(el, self.forms, self.decisions) for el in inner),
                *(self.sets_of_process(c) for c in calls),
            )
        return node_writes(node, self.forms, self.decisions)
