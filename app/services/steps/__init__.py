"""The one step path: every change of a case goes through :func:`advance` with a command."""

from .commands import (
    ClaimTask,
    Command,
    CompleteTask,
    FireTimers,
    MigrateCase,
    ReassignTask,
    ReleaseTask,
    StartCase,
    StepOutcome,
    TaskCheck,
    no_check,
)
from .path import MAX_ID, advance, lock

__all__ = [
    "MAX_ID",
    "ClaimTask",
    "Command",
    "CompleteTask",
    "FireTimers",
    "MigrateCase",
    "ReassignTask",
    "ReleaseTask",
    "StartCase",
    "StepOutcome",
    "TaskCheck",
    "advance",
    "lock",
    "no_check",
]
