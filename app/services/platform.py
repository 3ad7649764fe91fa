"""The platform's long-lived parts shared by every service call: settings, engine, calendar.

``create_app`` builds one :class:`Platform` per app and binds it to every session the app's database
opens (``Session.info``), so a service reaches it through the session it was given, ``of(session)``:
no module-level singleton, and two apps in one process (two web nodes in one test) never share one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from threading import Lock
from time import monotonic
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.engine import Runtime
from app.models import CalendarOverride

from . import credit, project_facts, runtime_settings
from .calendar import WorkCalendar
from .credit_code import mask_credit_code
from .search_stats import PairStatistics

INFO_KEY = "permitflow.platform"
OVERRIDES_TTL = 60.0  # admin calendar overrides change a few times a year


@dataclass
class CalendarSource:
    """The working-day calendar as of now: the settings' calendar with the admin overrides stored
    in the database. Each read answers an immutable calendar; a change of the overrides makes a
    new one (re-read at most once a minute, at once after :meth:`forget`)."""

    base: WorkCalendar
    _current: WorkCalendar | None = None
    _loaded_at: float = -1e9
    _lock: Lock = field(default_factory=Lock, repr=False)

    def current(self, session: Session) -> WorkCalendar:
        with self._lock:
            if self._current is None or monotonic() - self._loaded_at > OVERRIDES_TTL:
                rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
                overrides = {day: workday for day, workday in rows}
                if self._current is None or overrides != dict(self._current.overrides):
                    self._current = self.base.with_overrides(overrides)
                self._loaded_at = monotonic()
            return self._current

    def forget(self) -> None:
        """Read the overrides again on the next call (after an admin changed them)."""
        with self._lock:
            self._loaded_at = -1e9


@dataclass
class Platform:
    settings: Settings
    runtime: Runtime
    calendars: CalendarSource
    stored_settings: runtime_settings.StoredValues = field(
        default_factory=lambda: runtime_settings.StoredValues()
    )
    # Deployed versions by id as the hot path reads them (processes.version_by_id); versions never
    # change once deployed.
    version_snapshots: dict[int, Any] = field(default_factory=dict)
    # The stored files' backend (services/storage.py), bound by create_app once the engine exists.
    storage: Any = None
    # How common the search index's pairs are (PostgreSQL's statistics, services/search_stats.py).
    pair_statistics: PairStatistics = field(default_factory=PairStatistics)

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        base = WorkCalendar(
            timezone=settings.timezone,
            workday_end=settings.workday_end,
            warning_ratio=settings.sla_warning_ratio,
        )
        runtime = Runtime({"now": _now, "mask": mask_credit_code}, settings.script_time_budget, clock.now)
        return cls(settings=settings, runtime=runtime, calendars=CalendarSource(base))

    @property
    def base_calendar(self) -> WorkCalendar:
        """The calendar of the settings alone (time zone, close of day): for local dates and times."""
        return self.calendars.base

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


def of(session: Session) -> Platform:
    """The platform of the app whose database opened ``session``."""
    found = session.info.get(INFO_KEY)
    if found is None:
        raise RuntimeError("this session has no platform: open it through the app's Database")
    assert isinstance(found, Platform)
    return found


def calendar(session: Session) -> WorkCalendar:
    """The working-day calendar now: admin overrides and the run-time warning ratio applied.
    A new immutable calendar when either changed; nothing shared is modified."""
    current = of(session).calendars.current(session)
    ratio = runtime_settings.sla_warning_ratio(session)
    return current if ratio == current.warning_ratio else current.with_warning_ratio(ratio)


def _now() -> str:
    return clock.now().isoformat()


def process_helpers(session: Session) -> dict[str, Callable[..., Any]]:
    """The functions BPMN scripts, conditions and timer expressions may call during one step, bound
    to this step's session and calendar (so process code sees what this unit of work wrote,
    credit deductions included, and the calendar overrides of the day)."""
    cal = calendar(session)

    def working_days(days: int) -> str:
        return cal.add_working_days(clock.now(), int(days)).isoformat()

    def days_between(start: str, end: str) -> int:
        return cal.working_days_between(datetime.fromisoformat(start), datetime.fromisoformat(end))

    def due_in(limit: str) -> str:
        due = cal.due(clock.now(), str(limit))[0]
        if due is None:
            raise ValueError(f"time limit {limit!r} does not parse (e.g. 5wd, 3d, 4h)")
        return due.isoformat()

    def credit_score(credit_code: str | None) -> int:
        # No verified company (a citizen, staff filing on paper): no credit standing to rely on.
        return credit.score(session, str(credit_code)) if credit_code else 0

    def repeat_window_end() -> str:
        # How long a case started by a message catches its repeats (PERMITFLOW_MESSAGE_REPEAT_WINDOW).
        return (clock.now() + timedelta(hours=of(session).settings.message_repeat_window_hours)).isoformat()

    return {
        "working_days": working_days,
        "repeat_window_end": repeat_window_end,
        "project_data": lambda code: project_facts.project_data(session, str(code or "")),
        "credit_score": credit_score,
        "working_days_between": days_between,
        "due_in": due_in,
    }
