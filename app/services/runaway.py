"""A case whose step held a worker past its hard limit (the worker process was killed).

The sandbox stops scripts that break their limits and the case goes to ``error`` through the usual
step. This is for what the sandbox could not stop: the worker's supervisor killed the process
stepping the case, and the case must not be stepped again until an administrator has looked at it,
or every wake-up and every sweep would hang a worker again. (This writes the status outside
``steps.advance``: it has no engine step to run; it could become a command of its own there.)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.engine import EngineError
from app.errors import NotFound
from app.models import CaseStatus

from . import steps, timer_effects


def fail_overrun_case(session: Session, case_id: int, seconds: float) -> bool:
    """Put case ``case_id`` into ``error`` because stepping it ran over ``seconds`` and the worker
    was killed; its unfired BPMN timers are cancelled when next due (as for any case in error).
    Returns whether the case changed (a finished or already failed case is left alone)."""
    try:
        case = steps.lock(session, case_id=case_id).case
    except NotFound:
        return False
    if case.status.is_final or case.status is CaseStatus.ERROR:
        return False
    error = EngineError(
        f"a step of this case ran longer than {seconds:g} s and its worker was stopped; "
        "check the process's scripts, then retry the case"
    )
    case.status = CaseStatus.ERROR
    case.error = error.as_dict()
    timer_effects.record_failure(session, case, error.as_dict())
    session.flush()
    return True
