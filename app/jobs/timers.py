"""Timer jobs: the per-case wake-up and the periodic sweep. Both are safe to run twice."""

from __future__ import annotations

from app import edge
from app.timer_sweep import fire_case_timers, sweep_due_timers


def wake_case(case_id: int) -> int:
    """Fire the case's due timers (job id `wake-<case id>`); the next wake-up is scheduled on commit."""
    return fire_case_timers(edge.db(), case_id)


def sweep() -> int:
    """Fire every due, unfired timer of every case: what a lost job or a flushed Redis missed."""
    return sweep_due_timers(edge.db())
