"""A pytest plugin for mutmut's workers: its time limit (SIGXCPU) stops the test with an error
instead of ending the process, so fixtures are still torn down (the Redis database number the
session claimed is given back) and the mutant still counts as killed."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any


class MutantTimedOut(Exception):
    """The mutant ran past mutmut's time limit (an endless loop, most likely)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise MutantTimedOut("stopped at mutmut's time limit")


def pytest_configure(config: Any) -> None:
    signal.signal(signal.SIGXCPU, _stop)
