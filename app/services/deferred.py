"""Work that must start only after the transaction commits: scheduling wake-ups, sending e-mail.

Services call :func:`defer`; once the session commits, the dispatcher that ``create_app`` installed
on its database's sessions (rq on Redis) receives everything deferred. A rolled-back transaction defers
nothing. If Redis is unreachable the dispatcher logs and drops the work: timer rows and the
periodic sweep make sure nothing due is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from . import session_queues

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


@dataclass(frozen=True)
class SendSms:
    """Send the SMS of a notification (services/sms.py)."""

    notification_id: int


@dataclass(frozen=True)
class SendCode:
    """Send a replaced query code to the phone (``sms``) or e-mail address given at filing. The
    address and the text travel sealed (services/pii.py): the queue never holds them in clear."""

    case_id: int
    channel: str
    sealed_to: str
    sealed_text: str


@dataclass(frozen=True)
class SendWebhook:
    """Make attempt number ``attempt`` of a webhook delivery (services/webhooks.py)."""

    delivery_id: int
    attempt: int


Deferred = WakeCase | SendEmail | SendSms | SendCode | SendWebhook
Dispatcher = Callable[[list[Deferred]], Any]


def ignore(_items: list[Deferred]) -> None:
    """A dispatcher that drops everything (tools that never schedule work)."""
    return None


def defer(session: Session, item: Deferred) -> None:
    session.info.setdefault(_KEY, []).append(item)


def install(session_factory: sessionmaker[Session], dispatcher: Dispatcher) -> None:
    """Hand what the sessions of ``session_factory`` deferred to ``dispatcher`` once they commit;
    a rollback drops it. Only this factory's sessions are concerned (not every Session)."""

    def after_commit(session: Session) -> None:
        if not session_queues.really_committed(session):
            return  # a savepoint released: the work waits for the real commit
        items = session.info.pop(_KEY, None)
        if items:
            dispatcher(_collapse(items))

    event.listen(session_factory, "after_commit", after_commit)
    session_queues.install(session_factory, _KEY)  # a rolled-back savepoint drops only its own


def _collapse(items: list[Deferred]) -> list[Deferred]:
    """The latest wake-up per case wins (the job id replaces earlier schedules anyway)."""
    wakes: dict[int, WakeCase] = {}
    others: list[Deferred] = []
    for item in items:
        if isinstance(item, WakeCase):
            wakes[item.case_id] = item
        else:
            others.append(item)
    return [*wakes.values(), *others]
