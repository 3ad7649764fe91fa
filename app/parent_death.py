"""A parent-death signal (Linux ``prctl(PR_SET_PDEATHSIG)``): the kernel signals a process when
its parent dies, however the parent died (SIGKILL included), which no handler in the parent can do."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def signal_on_parent_death(signum: signal.Signals, parent_pid: int) -> bool:
    """Have ``signum`` sent to this process when its parent dies; sent at once when the parent is
    already gone (it died before the request took effect). False where prctl is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)
    return True
