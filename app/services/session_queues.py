"""Lists a unit of work queues in ``session.info`` (audit events, deferred jobs, metric notes), cut
back correctly when it rolls back.

SQLAlchemy fires ``after_rollback`` for a savepoint's rollback too. Dropping the whole list there
would lose what the surrounding transaction, or an earlier savepoint that committed, had queued:
a bulk action whose third item is refused would never send the e-mails of the first two. So each
savepoint remembers how long every list was when it began, and its rollback cuts them back to that;
only the outermost transaction's rollback empties them. ``after_commit`` fires for a savepoint's
release as well: :func:`really_committed` tells the listeners that must wait for the real commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

_MARKS = "queue_marks"


def really_committed(session: Session) -> bool:
    """In an ``after_commit`` listener: the transaction that committed is the outermost one, not a
    savepoint released inside it (whose work is still undone by a later rollback)."""
    return not session.in_nested_transaction()


def install(session_factory: sessionmaker[Session], *keys: str) -> None:
    """Keep the lists under ``keys`` of this factory's sessions in step with their savepoints."""

    def began(session: Session, transaction: SessionTransaction) -> None:
        if transaction.nested:
            lengths = {key: len(session.info.get(key, ())) for key in keys}
            session.info.setdefault(_MARKS, {}).setdefault(id(transaction), {}).update(lengths)

    def rolled_back(session: Session, previous: SessionTransaction) -> None:
        marks: dict[int, dict[str, int]] = session.info.get(_MARKS, {})
        if previous.nested:
            for key, length in marks.pop(id(previous), {}).items():
                queued: list[Any] | None = session.info.get(key)
                if queued is not None:
                    del queued[length:]
        elif previous.parent is None:
            for key in keys:
                session.info.pop(key, None)
            session.info.pop(_MARKS, None)

    def ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(_MARKS, None)

    event.listen(session_factory, "after_transaction_create", began)
    event.listen(session_factory, "after_soft_rollback", rolled_back)
    event.listen(session_factory, "after_transaction_end", ended)
