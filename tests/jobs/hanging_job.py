"""A job that steps a case and never returns, whatever is raised into it: what the worker's
watchdog exists for (a C-level call that does not come back, a handler that swallows rq's timeout)."""

from __future__ import annotations

import contextlib
import time

from app import step_watch


def hang_while_stepping(case_id: int) -> None:
    with step_watch.stepping(case_id):
        while True:
            with contextlib.suppress(BaseException):  # deliberately deaf, even to rq's job timeout
                time.sleep(3600)
