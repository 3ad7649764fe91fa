"""Work that must start only after the transaction commits: scheduling wake-ups, sending e-mail.

Services call :func:`defer`; once the session commits, the platform's dispatcher (installed by
``create_app``: rq on Redis) receives everything deferred. A rolled-back transaction defers
nothing. If Redis is unreachable the dispatcher logs and drops the work: timer rows and the
periodic sweep make sure nothing due is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "deferred"


@dataclass(frozen=True)
class WakeCase:
    """Fire a case's due timers at ``at``."""

    case_id: int
    at: datetime


@dataclass(frozen=True)
class SendEmail:
    """Send the e-mail of a notification."""

    notification_id: int


Deferred = WakeCase | SendEmail
Dispatcher = Callable[[list[Deferred]], Any]


def _ignore(_items: list[Deferred]) -> None:
    return None


_dispatcher: Dispatcher = _ignore


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher or _ignore


def defer(session: Session, item: Deferred) -> None:
    session.info.setdefault(_KEY, []).append(item)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    items = session.info.pop(_KEY, None)
    if items:
        # The latest wake-up per case wins (the job id replaces earlier schedules anyway).
        wakes: dict[int, WakeCase] = {}
        others: list[Deferred] = []
        for item in items:
            if isinstance(item, WakeCase):
                wakes[item.case_id] = item
            else:
                others.append(item)
        _dispatcher([*wakes.values(), *others])


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
