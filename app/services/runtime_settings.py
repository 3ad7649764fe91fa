"""Run-time settings: the few values an administrator may change while the platform runs.

Each starts at its environment setting (``app.config.Settings``); a value stored in the
``runtime_setting`` table replaces it. Services read them through :func:`value`, which keeps what
it read for :data:`CACHE_SECONDS` in the app's :class:`StoredValues` (one per platform, so two apps in
one process never share what they read), so a change reaches every worker within that time (at once in
the process that made it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from time import monotonic
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidData
from app.models import RuntimeSetting, User

from . import audit, platform

CACHE_SECONDS = 30.0

# Messages of refused values (stable, so that pages can say them in the user's language).
NOT_A_NUMBER = "is not a number"
NOT_WHOLE = "must be a whole number"
OUT_OF_RANGE = "is out of range"
UNKNOWN = "is not a setting that can be changed"


@dataclass(frozen=True)
class Spec:
    """One changeable setting: its type, the range it is safe in, and what it does."""

    key: str
    kind: type
    minimum: float
    maximum: float

    def parse(self, raw: Any) -> int | float:
        """The value of ``raw`` (text or number) when valid; InvalidData naming the problem."""
        text = str(raw).strip()
        try:
            number = float(text)
        except ValueError:
            raise InvalidData(f"{self.key} {NOT_A_NUMBER}", {self.key: [NOT_A_NUMBER]}) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise InvalidData(f"{self.key} {NOT_A_NUMBER}", {self.key: [NOT_A_NUMBER]})
        if self.kind is int and not number.is_integer():
            raise InvalidData(f"{self.key} {NOT_WHOLE}", {self.key: [NOT_WHOLE]})
        if not self.minimum <= number <= self.maximum:
            raise InvalidData(f"{self.key} {OUT_OF_RANGE}", {self.key: [OUT_OF_RANGE]})
        return int(number) if self.kind is int else round(number, 4)


SPECS: dict[str, Spec] = {
    spec.key: spec
    for spec in (
        Spec(
            "sla_warning_ratio",
            float,
            0.5,
            0.95,
        ),
        Spec(
            "escalation_working_days",
            int,
            1,
            10,
        ),
    )
}


@dataclass
class StoredValues:
    """The values stored in ``runtime_setting`` as last read, kept for :data:`CACHE_SECONDS`."""

    _values: dict[str, str] | None = None
    _read_at: float = -1e9
    _lock: Lock = field(default_factory=Lock, repr=False)

    def read(self, session: Session) -> dict[str, str]:
        with self._lock:
            if self._values is None or monotonic() - self._read_at > CACHE_SECONDS:
                rows = session.execute(select(RuntimeSetting.key, RuntimeSetting.value)).all()
                self._values = {k: v for k, v in rows}
                self._read_at = monotonic()
            return self._values

    def forget(self) -> None:
        with self._lock:
            self._values = None


def _stored(session: Session) -> dict[str, str]:
    return platform.of(session).stored_settings.read(session)


def forget(session: Session) -> None:
    """Drop what this app read: the next read goes to the database."""
    platform.of(session).stored_settings.forget()


def default(session: Session, key: str) -> int | float:
    """The environment's value (the settings the app was built with)."""
    result: int | float = getattr(platform.of(session).settings, key)
    return result


def value(session: Session, key: str) -> int | float:
    """The setting's value now: the stored one if it is still valid, else the environment's."""
    spec = SPECS[key]
    stored = _stored(session).get(key)
    if stored is not None:
        try:
            return spec.parse(stored)
        except InvalidData:
            pass  # a value edited by hand out of range: the safe default applies
    return default(session, key)


def sla_warning_ratio(session: Session) -> float:
    return float(value(session, "sla_warning_ratio"))


def escalation_working_days(session: Session) -> int:
    return int(value(session, "escalation_working_days"))


@dataclass(frozen=True)
class Current:
    spec: Spec
    value: int | float
    default: int | float
    stored: bool


def listing(session: Session) -> list[Current]:
    """Every changeable setting with its current value and default."""
    stored = _stored(session)
    return [
        Current(spec, value(session, key), default(session, key), key in stored)
        for key, spec in SPECS.items()
    ]


def change(session: Session, actor: User, key: str, raw: Any) -> bool:
    """Store a new value (checked against the setting's range) and audit it with before and
    after; False when it is the current value already. Flushes, never commits."""
    spec = SPECS.get(key)
    if spec is None:
        raise InvalidData(f"{key} {UNKNOWN}", {key: [UNKNOWN]})
    new = spec.parse(raw)
    before = value(session, key)
    if new == before:
        return False
    row = session.get(RuntimeSetting, key)
    if row is None:
        row = RuntimeSetting(key=key, value=str(new), updated_at=clock.now())
        session.add(row)
    row.value, row.updated_at, row.updated_by_id = str(new), clock.now(), actor.id
    session.flush()
    forget(session)
    audit.record(session, "setting.changed", actor=actor, detail={"key": key, "before": before, "after": new})
    return True


def reset(session: Session, actor: User, key: str) -> bool:
    """Go back to the environment's value; False when nothing was stored."""
    if key not in SPECS:
        raise InvalidData(f"{key} {UNKNOWN}", {key: [UNKNOWN]})
    row = session.get(RuntimeSetting, key)
    if row is None:
        return False
    before = value(session, key)
    session.delete(row)
    session.flush()
    forget(session)
    audit.record(
        session,
        "setting.changed",
        actor=actor,
        detail={"key": key, "before": before, "after": default(session, key)},
    )
    return True
