"""A pytest plugin for mutmut's workers: its time limit (SIGXCPU) stops the test with an error
instead of ending the process, so fixtures are still torn down (the Redis database number the
session claimed is given back) and the mutant still counts as killed.

mutmut forks each mutant's run from a process that has already run the tests once, unmutated: a
memoised result (the sandbox's compiled scripts, parsed forms) would be served from that run and
the mutant never reached. Every ``functools`` cache of the app is emptied before a run starts."""

from __future__ import annotations

import functools
import signal
import sys
from types import FrameType
from typing import Any


class MutantTimedOut(Exception):
    """The mutant ran past mutmut's time limit (an endless loop, most likely)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise MutantTimedOut("stopped at mutmut's time limit")


def _clear_app_caches() -> None:
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "app" or name.startswith("app.")):
            continue
        for value in list(vars(module).values()):
            # Only real caches: a proxy (Flask's current_app) would answer any attribute asked.
            if isinstance(value, functools._lru_cache_wrapper) and value.__module__ == name:
                value.cache_clear()


def pytest_configure(config: Any) -> None:
    signal.signal(signal.SIGXCPU, _stop)
    _clear_app_caches()
