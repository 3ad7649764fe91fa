"""Plain data the engine hands to the rest of the platform. No SpiffWorkflow objects escape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import EngineError


@dataclass(frozen=True)
class FormRef:
    """A form a task or start event shows: its file name and parsed JSON Schema."""

    filename: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ProcessBundle:
    """A parsed process with everything it depends on, ready to deploy as one version."""

    key: str
    name: str
    name_en: str
    hash: str
    bpmn_xml: str
    source_path: str
    # Every file the version depends on besides its own BPMN: called BPMN files and forms.
    files: dict[str, Any]
    meta: dict[str, Any]
    spec_json: str


@dataclass(frozen=True)
class SpecSource:
    """What the runtime needs to find a deployed spec: its hash, JSON and lane mapping."""

    hash: str
    spec_json: str
    lane_groups: dict[str, str]


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for a person."""

    id: str
    bpmn_id: str
    name: str
    name_en: str
    process_id: str
    lane: str | None
    candidate_group: str | None
    form: str | None
    ui_form: str | None
    time_limit: str | None
    pauses_clock: bool
    properties: dict[str, str]
    # Facts for the performer computed from BPMN properties (e.g. `request_items`).
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingTimer:
    """A BPMN timer event waiting to fire."""

    task_id: str
    bpmn_id: str
    name: str
    due_at: datetime
    # The user task a boundary timer is attached to (its SpiffWorkflow id), if any.
    attached_to: str | None = None
    interrupting: bool = False
    properties: dict[str, str] = field(default_factory=dict)


# Where a resuming message's payload is kept in the case data: ``messages[<message name>]``, never
# merged into the case's own fields (a payload naming `repeats` or `contractor` overwrites nothing).
PAYLOADS_KEY = "messages"


@dataclass(frozen=True)
class WaitingMessage:
    """A message a workflow waits for: its catching element and the keys that correlate it."""

    task_id: str
    bpmn_id: str
    name: str
    keys: tuple[str, ...]
    # A boundary event: the BPMN id of the activity it is attached to, and whether it interrupts.
    attached_to: str | None = None
    interrupting: bool = False


@dataclass(frozen=True)
class ThrownMessage:
    """A message a step threw that its own workflow does not catch: the platform routes it."""

    name: str
    payload: dict[str, Any]
    keys: tuple[str, ...]


@dataclass
class StepResult:
    """The workflow after a step: saved state and everything the platform mirrors in rows."""

    state: str
    ready: list[ReadyTask]
    timers: list[PendingTimer]
    finished: bool
    end_status: str | None
    data: dict[str, Any]
    # The extension properties of the end event the process finished at (e.g. `certificate`).
    end_properties: dict[str, str] = field(default_factory=dict)
    completed_task: dict[str, Any] | None = None
    error: EngineError | None = None
    # Credit deductions asked for by events completed in this step (property `credit_deduction`):
    # {"bpmn_id", "credit_code", "points", "reason"}.
    credit_deductions: list[dict[str, Any]] = field(default_factory=list)
    # Messages: what the workflow waits for now, and what this step threw out of it.
    messages_waiting: list[WaitingMessage] = field(default_factory=list)
    # False when no element of the process catches a message: then it never waits for one, and the
    # platform need not read the case's message waits at each step.
    catches_messages: bool = True
    messages_thrown: list[ThrownMessage] = field(default_factory=list)
    # Groups told by events of this step (property `notify_group`): {"group", "title", "title_en"}.
    notices: list[dict[str, str]] = field(default_factory=list)
