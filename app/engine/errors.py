"""Errors the engine raises. SpiffWorkflow's own exceptions never leave ``app.engine``."""

from __future__ import annotations


class EngineError(Exception):
    """A workflow could not proceed. Keeps what a person needs to find the cause."""

    def __init__(
        self,
        message: str,
        *,
        task_name: str | None = None,
        bpmn_id: str | None = None,
        line: int | None = None,
        source_line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.task_name = task_name
        self.bpmn_id = bpmn_id
        self.line = line
        self.source_line = source_line

    def as_dict(self) -> dict[str, object]:
        return {
            "message": self.message,
            "task_name": self.task_name,
            "bpmn_id": self.bpmn_id,
            "line": self.line,
            "source_line": self.source_line,
        }


class ScriptRefused(EngineError):
    """A script or expression uses something the sandbox does not allow."""


class TaskNotReady(EngineError):
    """The task to complete is not (or no longer) ready in this workflow."""


class SpecError(EngineError):
    """A BPMN file or its dependencies could not be parsed or are not acceptable."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        element_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, bpmn_id=element_id, line=line)
        self.file = file
        self.element_id = element_id
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.file or '?'}:{self.line or 0}: {self.element_id or '-'}"
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.message}{hint}"
