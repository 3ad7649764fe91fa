"""Queued work and a savepoint's rollback: only what the savepoint queued is dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.services import deferred


def _factory(sent: list[deferred.Deferred]) -> sessionmaker[Session]:
    factory = sessionmaker(create_engine("sqlite://"))
    deferred.install(factory, sent.extend)
    return factory


def test_a_refused_savepoint_drops_only_its_own_work() -> None:
    """The bulk-action shape: item 1 in a savepoint that commits, item 2 in one that rolls back,
    item 3 committed: the e-mails of items 1 and 3 go out, item 2's does not."""
    sent: list[deferred.Deferred] = []
    with _factory(sent)() as session:
        session.execute(text("SELECT 1"))
        for notification_id, refused in ((1, False), (2, True), (3, False)):
            savepoint = session.begin_nested()
            deferred.defer(session, deferred.SendEmail(notification_id))
            if refused:
                savepoint.rollback()
            else:
                savepoint.commit()
        assert sent == []  # nothing leaves before the real commit, not even at a savepoint's release
        session.commit()
    assert sent == [deferred.SendEmail(1), deferred.SendEmail(3)]


def test_work_queued_before_a_savepoint_survives_its_rollback_and_a_rollback_drops_all() -> None:
    sent: list[deferred.Deferred] = []
    at = datetime(2026, 12, 2, tzinfo=UTC)
    factory = _factory(sent)
    with factory() as session:
        session.execute(text("SELECT 1"))
        deferred.defer(session, deferred.WakeCase(7, at))
        outer = session.begin_nested()
        deferred.defer(session, deferred.SendSms(1))
        inner = session.begin_nested()
        deferred.defer(session, deferred.SendSms(2))
        inner.rollback()
        outer.commit()
        session.commit()
    assert sent == [deferred.WakeCase(7, at), deferred.SendSms(1)]
    sent.clear()
    with factory() as session:
        session.execute(text("SELECT 1"))
        deferred.defer(session, deferred.SendEmail(9))
        session.begin_nested()
        session.rollback()  # the whole transaction
        session.execute(text("SELECT 1"))
        session.commit()
    assert sent == []
