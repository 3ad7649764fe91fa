"""Where a long-running process says which case it is stepping, for a supervisor to see.

``worker.py``'s supervisor (app/jobs/watchdog.py) installs a watch in its worker child and kills
the child when one case step runs past its hard limit. Everywhere else (web processes, the CLI,
tests calling jobs directly) nothing is installed and ``stepping`` costs nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol


class Watch(Protocol):
    def stepping(self, case_id: int) -> contextlib.AbstractContextManager[None]: ...


# Set once at the start of a supervised worker child; a process has at most one supervisor.
_installed: Watch | None = None


def install(watch: Watch | None) -> None:
    """Make ``stepping`` report to ``watch`` in this process."""
    global _installed
    _installed = watch


@contextlib.contextmanager
def stepping(case_id: int) -> Iterator[None]:
    """Tell the supervisor, if any, that this process is stepping case ``case_id``."""
    if _installed is None:
        yield
        return
    with _installed.stepping(case_id):
        yield
