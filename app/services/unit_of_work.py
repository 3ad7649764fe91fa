"""What happens when a unit of work ends: audit events sealed before the commit, deferred jobs
dispatched and metrics counted after it (services/metric_events.py), everything queued dropped on
a rollback (stored files follow the transaction through services/storage.py).

Installed on one app's session factory, so sessions of another app (or a tool's own session)
are never touched.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from . import audit, deferred, metric_events


def install(session_factory: sessionmaker[Session], dispatcher: deferred.Dispatcher) -> None:
    audit.install(session_factory)
    deferred.install(session_factory, dispatcher)
    metric_events.install(session_factory)
