"""The worker's hard stop: a case step that outlives the script budget plus a grace period is
ended by killing the process that runs it, whatever the step's code does.

The sandbox's limits stop process scripts from the inside; this is the backstop that does not
need their cooperation (a C-level call that never returns, a handler that swallows rq's job
timeout). ``worker.py`` runs the rq worker in a child process and supervises it:

* the child marks every case step it runs (``app.step_watch.stepping``, called where a case's
  timers are fired) in a few bytes of shared memory (``CaseWatch``);
* the supervisor looks twice a second; a step older than the limit gets the child's whole process
  group (worker and scheduler) killed, and a new child started;
* the new child first puts that case into ``error`` (so neither its wake-up nor the sweep steps it
  again) and frees the killed scheduler's lock (or no scheduled job would be enqueued for a minute),
  then works as before.

Jobs still run warm in the child (no fork per job); the cost is one idle supervisor process and
two stores to shared memory per case step.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

import redis
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.scheduler import SCHEDULER_LOCKING_KEY_TEMPLATE
from rq.scripts import release_lock

from app import step_watch
from app.parent_death import signal_on_parent_death
from app.services import runaway

from . import job_log
from .runner import in_transaction

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class CaseWatch:
    """Which case the worker child is stepping and since when (monotonic clock, shared by every
    process on the machine), plus the name of the child's rq scheduler."""

    def __init__(self, context: BaseContext) -> None:
        self._step: Any = context.RawArray("d", 2)  # case id, start; start 0.0 means idle
        self._scheduler: Any = context.RawArray("c", 64)

    @contextlib.contextmanager
    def stepping(self, case_id: int) -> Iterator[None]:
        """Mark the step of case ``case_id`` for as long as the block runs."""
        outer = (self._step[0], self._step[1])  # the sweep steps cases inside its own job
        self._step[0], self._step[1] = float(case_id), time.monotonic()
        try:
            yield
        finally:
            self._step[0], self._step[1] = outer

    def overrun(self, limit: float) -> int | None:
        """The case whose step has run longer than ``limit`` seconds, if any."""
        case_id, started = self._step[0], self._step[1]
        if started and time.monotonic() - started > limit:
            return int(case_id)
        return None

    @property
    def scheduler_name(self) -> str:
        return bytes(self._scheduler.value).decode("ascii", "replace")

    @scheduler_name.setter
    def scheduler_name(self, name: str) -> None:
        self._scheduler.value = name.encode("ascii", "replace")[:63]

    def reset(self) -> None:
        self._step[0], self._step[1] = 0.0, 0.0
        self._scheduler.value = b""


@dataclass(frozen=True)
class Overrun:
    """What a new worker child must clear up after its predecessor was killed."""

    case_id: int
    seconds: float
    scheduler_name: str


class WatchedWorker(SimpleWorker):
    """rq's in-process worker that tells the supervisor the name of the scheduler it started."""

    watch: CaseWatch | None = None

    def execute_job(self, job: Job, queue: Queue) -> None:
        if self.watch is not None and self.scheduler is not None and not self.watch.scheduler_name:
            self.watch.scheduler_name = self.scheduler.name
        with job_log.observed(job):
            super().execute_job(job, queue)


def recover(connection: redis.Redis, queue_name: str, overrun: Overrun) -> None:
    """In a new worker child (inside the app context): free the killed scheduler's lock and put
    the case that overran into ``error``, then sweep the timers its job had yet to fire."""
    if overrun.scheduler_name:
        release_lock(connection, SCHEDULER_LOCKING_KEY_TEMPLATE % queue_name, overrun.scheduler_name)
    in_transaction(lambda session: runaway.fail_overrun_case(session, overrun.case_id, overrun.seconds))
    # The killed job may have held other cases due in the same second (wake-ups are batched):
    # a sweep fires them now rather than at the next periodic sweep.
    Queue(queue_name, connection=connection).enqueue(
        "app.jobs.timers.sweep", job_id="sweep-after-overrun", result_ttl=0, failure_ttl=86400
    )


ChildMain = Callable[[CaseWatch, Overrun | None], None]


class Supervisor:
    """Runs ``child_main`` in a child process, kills it when a case step overruns ``limit``
    seconds, and starts a new one. SIGTERM/SIGINT are passed on (rq's warm shutdown)."""

    def __init__(self, context: BaseContext, child_main: ChildMain, limit: float) -> None:
        self.context = context
        self.child_main = child_main
        self.limit = limit
        self.watch = CaseWatch(context)
        self._child: Any = None
        self._stopping = False

    def _start(self, overrun: Overrun | None) -> None:
        self.watch.reset()
        self._child = self.context.Process(  # type: ignore[attr-defined]
            target=_child_entry,
            args=(self.child_main, self.watch, overrun, os.getpid()),
            name="permitflow-worker",
        )
        self._child.start()

    def _forward(self, signum: int, frame: Any) -> None:
        self._stopping = True
        if self._child is not None and self._child.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child.pid, signum)

    def run(self, *, burst: bool = False) -> int:
        """Supervise until the child ends of its own accord; returns its exit code."""
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        self._start(None)
        while True:
            self._child.join(POLL_SECONDS)
            if self._child.exitcode is not None:
                if self._stopping or burst or self._child.exitcode == 0:
                    return int(self._child.exitcode)
                log.error("worker process ended with %s; starting a new one", self._child.exitcode)
                time.sleep(1)  # a child that cannot start must not spin
                self._start(None)
                continue
            case_id = self.watch.overrun(self.limit)
            if case_id is not None and not self._stopping:
                self._kill_and_restart(case_id)

    def _kill_and_restart(self, case_id: int) -> None:
        log.error("case %s: a step ran over %.0f s; killing the worker process", case_id, self.limit)
        overrun = Overrun(case_id, self.limit, self.watch.scheduler_name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._child.pid, signal.SIGKILL)  # the worker and its scheduler process
        self._child.join()
        self._start(overrun)


PARENT_GONE = signal.SIGUSR2  # rq handles SIGINT, SIGTERM and SIGRTMIN itself; this one is ours


def _end_group(signum: int, frame: Any) -> None:
    # The supervisor is gone (SIGKILLed, most likely): end this process and the scheduler rq
    # started under it at once. Only the running job's uncommitted transaction is lost; the sweep
    # fires its timers again.
    os.killpg(0, signal.SIGKILL)


def die_with_parent(parent_pid: int) -> bool:
    """End this process group when the parent (the supervisor) dies. False without prctl."""
    signal.signal(PARENT_GONE, _end_group)
    return signal_on_parent_death(PARENT_GONE, parent_pid)


def _child_entry(
    child_main: ChildMain, watch: CaseWatch, overrun: Overrun | None, parent_pid: int | None = None
) -> None:
    # A group of its own, so that one kill also ends the scheduler process rq starts under it.
    os.setpgrp()
    # A process group does not die with the supervisor: without this a SIGKILLed worker.py left
    # its worker and scheduler running (issue 15, finding 10).
    die_with_parent(parent_pid if parent_pid is not None else os.getppid())
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    step_watch.install(watch)
    child_main(watch, overrun)
