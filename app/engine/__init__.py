"""The workflow engine: the only package that imports SpiffWorkflow.

It takes and returns plain data (see ``types``), so it runs with no Flask and no database.
"""

from .errors import EngineError, ScriptRefused, SpecError, TaskNotReady
from .loader import LoadResult, check_file, load_for_run, load_processes
from .messages import Text, marked, replaced, translated
from .runtime import Runtime, set_clock
from .specs import STATE_FORMAT
from .types import (
    PendingTimer,
    ProcessBundle,
    ReadyTask,
    SpecSource,
    StepResult,
    ThrownMessage,
    WaitingMessage,
)
from .validation import Problem, parse_time_limit

__all__ = [
    "STATE_FORMAT",
    "EngineError",
    "LoadResult",
    "PendingTimer",
    "Problem",
    "ProcessBundle",
    "ReadyTask",
    "Runtime",
    "ScriptRefused",
    "SpecError",
    "SpecSource",
    "StepResult",
    "ThrownMessage",
    "WaitingMessage",
    "TaskNotReady",
    "Text",
    "check_file",
    "load_for_run",
    "load_processes",
    "marked",
    "parse_time_limit",
    "replaced",
    "set_clock",
    "translated",
]
