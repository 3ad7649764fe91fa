"""The platform's long-lived parts shared by every service call: settings, engine, calendar.

Installed once by ``create_app``; the worker and the CLI build the app too, so services never
need Flask to reach them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.engine import Runtime, set_clock

from . import credit, runtime_settings
from .calendar import WorkCalendar, refresh_overrides
from .credit_code import mask_credit_code


@dataclass
class Platform:
    settings: Settings
    runtime: Runtime
    calendar: WorkCalendar

    @property
    def processes_dir(self) -> Path:
        return Path(self.settings.processes_dir)

    @property
    def forms_dir(self) -> Path:
        return Path(self.settings.forms_dir)

    def lane_groups(self, processes_dir: Path | None = None) -> dict[str, str]:
        """The lane-name → group-slug mapping in ``groups.yaml`` beside the process files."""
        path = (processes_dir or self.processes_dir) / "groups.yaml"
        if not path.exists():
            return {}
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {str(k): str(v) for k, v in loaded.items()}


_current: Platform | None = None

# The session of the service call running the engine, for helpers that read the database.
_engine_session: ContextVar[Session | None] = ContextVar("engine_session", default=None)


@contextmanager
def engine_session(session: Session) -> Iterator[Runtime]:
    """Run the engine with ``session`` visible to its helpers (``credit_score`` reads it), so
    process code sees what this unit of work has written, deductions included."""
    token = _engine_session.set(session)
    try:
        yield get().runtime
    finally:
        _engine_session.reset(token)


def calendar(session: Session) -> WorkCalendar:
    """The working-day calendar with the admin overrides and the warning ratio stored in the database."""
    current = refresh_overrides(session, get().calendar)
    current.warning_ratio = runtime_settings.sla_warning_ratio(session)
    return current


def _helpers(calendar: WorkCalendar) -> dict[str, Any]:
    """Functions BPMN scripts, conditions and timer expressions may call."""

    def working_days(days: int) -> str:
        return calendar.add_working_days(clock.now(), int(days)).isoformat()

    def now() -> str:
        return clock.now().isoformat()

    def mask(value: str) -> str | None:
        return mask_credit_code(value)

    def days_between(start: str, end: str) -> int:
        return calendar.working_days_between(datetime.fromisoformat(start), datetime.fromisoformat(end))

    def due_in(limit: str) -> str:
        due = calendar.due(clock.now(), str(limit))[0]
        if due is None:
            raise ValueError(f"time limit {limit!r} does not parse (e.g. 5wd, 3d, 4h)")
        return due.isoformat()

    def credit_score(credit_code: str | None) -> int:
        # No verified company (a citizen, staff filing on paper): no credit standing to rely on.
        if not credit_code:
            return 0
        session = _engine_session.get()
        if session is None:
            raise RuntimeError("credit_score() needs the database: run the engine through engine_session()")
        return credit.score(session, str(credit_code))

    return {
        "working_days": working_days,
        "credit_score": credit_score,
        "now": now,
        "mask": mask,
        "working_days_between": days_between,
        "due_in": due_in,
    }


def install(settings: Settings) -> Platform:
    """Build the platform for ``settings`` and make it the current one."""
    global _current
    calendar = WorkCalendar(
        timezone=settings.timezone,
        workday_end=settings.workday_end,
        warning_ratio=settings.sla_warning_ratio,
    )
    runtime = Runtime(_helpers(calendar), settings.script_time_budget)
    set_clock(clock.now)
    _current = Platform(settings=settings, runtime=runtime, calendar=calendar)
    return _current


def get() -> Platform:
    if _current is None:
        raise RuntimeError("the platform is not installed: call create_app() first")
    return _current
