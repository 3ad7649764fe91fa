"""SpiffWorkflow's errors as the engine's own: the task name, BPMN id and script line kept."""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .errors import EngineError


def engine_error(err: Exception) -> EngineError:
    if isinstance(err, EngineError):
        return err
    task = getattr(err, "task", None)
    spec = getattr(task, "task_spec", None) if task is not None else None
    message = str(err).split("\n")[0]
    # SpiffWorkflow raises its error inside `except`, so the sandbox's own refusal is its context.
    inner = getattr(err, "exception", None) or err.__cause__ or err.__context__
    if isinstance(inner, EngineError):
        message = f"{message}: {inner.message}" if inner.message not in message else message
    return EngineError(
        message,
        task_name=getattr(spec, "bpmn_name", None) if spec else None,
        bpmn_id=getattr(spec, "bpmn_id", None) if spec else None,
        line=getattr(err, "line_number", None) or None,
        source_line=getattr(err, "error_line", None) or None,
    )


def unexpected_error(workflow: BpmnWorkflow, err: Exception) -> EngineError:
    """An exception outside SpiffWorkflow's own classes, placed at the task the engine was running:
    the innermost frame of the traceback that holds a task of this workflow (SpiffWorkflow names it
    ``my_task``), else the first non-human task still to run."""
    spec = None
    trace = err.__traceback__
    while trace is not None:
        task = trace.tb_frame.f_locals.get("my_task")
        spec = getattr(task, "task_spec", None) or spec
        trace = trace.tb_next
    if spec is None:
        running = workflow.get_tasks(state=TaskState.STARTED | TaskState.READY | TaskState.WAITING)
        spec = next((t.task_spec for t in running if not t.task_spec.manual), None)
    text = str(err).splitlines()[0] if str(err) else ""
    return EngineError(
        f"{type(err).__name__}: {text}" if text else type(err).__name__,
        task_name=getattr(spec, "bpmn_name", None),
        bpmn_id=getattr(spec, "bpmn_id", None),
    )
