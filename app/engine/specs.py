"""Serializing specs and workflow state. The only place that knows SpiffWorkflow's formats.

A case's saved state refers to its spec by version hash instead of embedding it: the spec is
stored once per version and restored once per process (then cached), which cuts saved state by
more than half and removes the spec from every load and save.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .decisions import CheckedDMNEngine

# Bumped whenever the saved-state layout of PermitFlow changes (with a data migration).
STATE_FORMAT = "pf1"


class _SpecRefWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its spec; reading expects the live specs to be passed in."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


class _CheckedBusinessRuleTaskConverter(BusinessRuleTaskConverter):
    """Business rule tasks restored with the DMN engine that enforces the UNIQUE hit policy."""

    def from_dict(self, dct: dict[str, Any]) -> Any:
        table = self.decision_table_from_dict(dct.pop("decision_table"))
        dct["dmnEngine"] = CheckedDMNEngine(table)
        return self.task_spec_from_dict(dct)


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpecRefWorkflowConverter
_config[BusinessRuleTask] = _CheckedBusinessRuleTaskConverter
_registry = BpmnWorkflowSerializer.configure(_config)
_serializer = BpmnWorkflowSerializer(_registry)


def spec_to_json(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    """Serialize a process spec and the specs it calls."""
    return json.dumps(
        {
            "spec": _registry.convert(spec),
            "subprocess_specs": {k: _registry.convert(v) for k, v in subprocess_specs.items()},
        },
        ensure_ascii=False,
    )


def spec_from_json(text: str) -> tuple[Any, dict[str, Any]]:
    dct = json.loads(text)
    spec = _registry.restore(dct["spec"])
    subs = {k: _registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subs


class SpecCache:
    """Restored specs by version hash. Specs are read-only while workflows run, so one copy
    serves every case of a version in this process."""

    def __init__(self) -> None:
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, version_hash: str, spec_json: str) -> tuple[Any, dict[str, Any]]:
        found = self._specs.get(version_hash)
        if found is None:
            with self._lock:
                found = self._specs.get(version_hash)
                if found is None:
                    found = spec_from_json(spec_json)
                    self._specs[version_hash] = found
        return found


def dump_state(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON, without its spec."""
    _registry._encoder_mode = True
    try:
        dct = _registry.convert(workflow)
        dct[_serializer.VERSION_KEY] = _serializer.VERSION
        return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"), ensure_ascii=False)
    finally:
        _registry._encoder_mode = False


def load_state(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Rebuild a workflow from saved state and its (cached) specs."""
    dct = json.loads(state)
    _serializer.migrate(dct)
    dct["spec"] = spec  # restore() passes live objects through unchanged
    dct["subprocess_specs"] = dict(subprocess_specs)
    dct["typename"] = _registry.typenames[BpmnWorkflow]
    workflow: BpmnWorkflow = _registry.restore(dct)
    return workflow
