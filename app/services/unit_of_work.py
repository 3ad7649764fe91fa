"""What happens when a unit of work ends: audit events sealed before the commit, deferred jobs
dispatched and replaced draft files removed after it, everything queued dropped on a rollback.

Installed on one app's session factory, so sessions of another app (or a tool's own session)
are never touched.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from . import audit, deferred, drafts


def install(session_factory: sessionmaker[Session], dispatcher: deferred.Dispatcher) -> None:
    audit.install(session_factory)
    deferred.install(session_factory, dispatcher)
    drafts.install(session_factory)
