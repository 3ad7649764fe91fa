"""What the case's lock reads ahead for the rest of its step (steps/core.py): the search index's
row and the applicant's names, and whether any webhook subscription is live. Both serve the
transaction that took the lock, never a later one: by then another writer may have changed them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from app import edge
from app.models import Case, CaseSearch, User, WebhookDelivery
from app.services import search_index, webhook_events, webhooks
from app.services.steps import core
from tests.ci_guard import not_applicable
from tests.helpers import change_settings, user_named
from tests.services.test_steps import _start


def _index_row(db: Any, case_id: int) -> tuple[str, str]:
    row = db.execute(select(CaseSearch.head, CaseSearch.body).where(CaseSearch.case_id == case_id)).one()
    return row.head, row.body


def _end_subscriptions(db: Any) -> None:
    """Undo the test's step and remove the subscriptions it made (other tests share the database)."""
    db.rollback()
    db.execute(text("DELETE FROM webhook_delivery"))
    db.execute(text("DELETE FROM webhook"))
    db.commit()


def test_the_index_row_read_with_the_lock_is_not_used_after_its_transaction(app: Any, db: Any) -> None:
    case = _start(db)
    core.lock(db, case_id=case.id)  # reads the case's index row ahead; no step follows
    db.commit()
    # Another writer changes the case's text and indexes it.
    with edge.of(app).database.unit_of_work() as other:
        changed = other.get(Case, case.id)
        changed.data = {**changed.data, "project_name": "改名后的项目甲乙"}
        other.flush()
        search_index.index_case(other, changed)
    # This session's next transaction indexes the case as it was first: the index must follow,
    # which it cannot if it compared with the row read in the earlier transaction.
    db.expire_all()
    mine = db.get(Case, case.id)
    original = {**mine.data, "project_name": "步骤测试"}
    mine.data = original
    db.flush()
    search_index.index_case(db, mine)
    db.commit()
    applicant = db.get(User, mine.applicant_id)
    assert _index_row(db, case.id) == search_index.case_text(mine, applicant)
    assert "改名后" not in _index_row(db, case.id)[0]


def test_the_lock_reads_what_the_index_reads_in_its_own_statement(app: Any, db: Any) -> None:
    case = _start(db)
    seen: list[str] = []
    engine = edge.of(app).database.engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        locked = core.lock(db, case_id=case.id)
        locked.case.data = {**locked.case.data, "project_name": "锁内改名项目"}
        db.flush()
        before = len(seen)
        search_index.index_case(db, locked.case)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    written = seen[before:]
    assert written and not [s for s in written if s.lstrip().upper().startswith("SELECT")]
    db.commit()
    assert "锁内改名项目" in _index_row(db, case.id)[0]


def test_no_subscription_seen_by_one_transaction_does_not_hold_for_the_next(
    app: Any, db: Any, monkeypatch: Any
) -> None:
    change_settings(monkeypatch, app, webhook_allow_hosts="127.0.0.1")
    case = _start(db)
    core.lock(db, case_id=case.id)  # no subscription is live: this step queues nothing
    assert webhooks.queue(db, case, [(webhook_events.TASK_COMPLETED, {})]) == []
    db.commit()
    with edge.of(app).database.unit_of_work() as other:
        webhooks.subscribe(
            other, user_named(other, "admin"), "http://127.0.0.1:9/in", [webhook_events.TASK_COMPLETED]
        )
    queued = webhooks.queue(db, db.get(Case, case.id), [(webhook_events.TASK_COMPLETED, {})])
    assert [row.event for row in queued] == [webhook_events.TASK_COMPLETED]
    _end_subscriptions(db)


def test_a_subscription_made_after_the_lock_in_the_same_transaction_is_seen(
    app: Any, db: Any, monkeypatch: Any
) -> None:
    change_settings(monkeypatch, app, webhook_allow_hosts="127.0.0.1")
    case = _start(db)
    core.lock(db, case_id=case.id)
    webhooks.subscribe(
        db, user_named(db, "admin"), "http://127.0.0.1:9/same", [webhook_events.TASK_COMPLETED]
    )
    queued = webhooks.queue(db, case, [(webhook_events.TASK_COMPLETED, {})])
    assert len(queued) == 1 and db.scalar(select(WebhookDelivery.event)) == webhook_events.TASK_COMPLETED
    db.rollback()


def test_a_subscription_live_before_the_lock_gets_the_steps_events(
    app: Any, db: Any, monkeypatch: Any
) -> None:
    change_settings(monkeypatch, app, webhook_allow_hosts="127.0.0.1")
    case = _start(db)
    webhooks.subscribe(
        db, user_named(db, "admin"), "http://127.0.0.1:9/live", [webhook_events.TASK_COMPLETED]
    )
    db.commit()
    core.lock(db, case_id=case.id)
    queued = webhooks.queue(db, case, [(webhook_events.TASK_COMPLETED, {})])
    assert [row.event for row in queued] == [webhook_events.TASK_COMPLETED]
    _end_subscriptions(db)


def test_a_rolled_back_savepoint_drops_what_the_lock_read_ahead(db: Any) -> None:
    case = _start(db)
    savepoint = db.begin_nested()
    locked = core.lock(db, case_id=case.id)
    locked.case.data = {**locked.case.data, "project_name": "回滚前的临时名称"}
    db.flush()
    search_index.index_case(db, locked.case)  # written inside the savepoint
    core.lock(db, case_id=case.id)  # reads that row ahead
    savepoint.rollback()  # the row is as before the savepoint again
    db.expire_all()
    mine = db.get(Case, case.id)
    mine.data = {**mine.data, "project_name": "最终名称项目"}
    db.flush()
    search_index.index_case(db, mine)
    db.commit()
    applicant = db.get(User, mine.applicant_id)
    assert _index_row(db, case.id) == search_index.case_text(mine, applicant)
    if db.get_bind().dialect.name == "sqlite":  # the contentless FTS5 row was removed with its own grams
        db.execute(text("INSERT INTO case_search_fts(case_search_fts, rank) VALUES ('integrity-check', 1)"))
        found = "SELECT rowid FROM case_search_fts WHERE case_search_fts MATCH :q"
        assert case.id in set(db.scalars(text(found), {"q": '"最终 终名 名称"'}))
        assert case.id not in set(db.scalars(text(found), {"q": '"临时"'}))
    db.rollback()


def test_a_subscription_ended_in_a_rolled_back_savepoint_still_gets_events(
    app: Any, db: Any, monkeypatch: Any
) -> None:
    change_settings(monkeypatch, app, webhook_allow_hosts="127.0.0.1")
    case = _start(db)
    made = webhooks.subscribe(
        db, user_named(db, "admin"), "http://127.0.0.1:9/sp", [webhook_events.TASK_COMPLETED]
    )
    db.commit()
    savepoint = db.begin_nested()
    webhooks.delete(db, user_named(db, "admin"), made.webhook.id)
    core.lock(db, case_id=case.id)  # sees no live subscription
    savepoint.rollback()  # the subscription lives again
    queued = webhooks.queue(db, db.get(Case, case.id), [(webhook_events.TASK_COMPLETED, {})])
    assert len(queued) == 1
    _end_subscriptions(db)


def test_what_one_cases_lock_saw_of_subscriptions_is_not_taken_for_another_case(
    app: Any, db: Any, monkeypatch: Any
) -> None:
    if db.get_bind().dialect.name == "sqlite":
        not_applicable("SQLite serialises writers: no subscription is made while a step holds the database")
    change_settings(monkeypatch, app, webhook_allow_hosts="127.0.0.1")
    first, second = _start(db), _start(db)
    core.lock(db, case_id=first.id)  # no subscription yet
    with edge.of(app).database.unit_of_work() as other:
        webhooks.subscribe(
            other, user_named(other, "admin"), "http://127.0.0.1:9/two", [webhook_events.TASK_COMPLETED]
        )
    queued = webhooks.queue(db, second, [(webhook_events.TASK_COMPLETED, {})])
    assert len(queued) == 1
    _end_subscriptions(db)
