"""What happens when a unit of work ends: audit events sealed before the commit, deferred jobs
dispatched and metrics counted after it (services/metric_events.py), everything queued dropped on
a rollback (stored files follow the transaction through services/storage.py), and what a step's
lock read ahead for the step forgotten when a savepoint or the transaction rolls back.

Installed on one app's session factory, so sessions of another app (or a tool's own session)
are never touched.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from . import audit, deferred, metric_events, search_index, webhooks


def install(session_factory: sessionmaker[Session], dispatcher: deferred.Dispatcher) -> None:
    audit.install(session_factory)
    deferred.install(session_factory, dispatcher)
    metric_events.install(session_factory)
    event.listen(session_factory, "after_soft_rollback", _forget_read_aheads)


def _forget_read_aheads(session: Session, _previous: SessionTransaction) -> None:
    search_index.forget_ahead(session)
    webhooks.forget_live(session)
