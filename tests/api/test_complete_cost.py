"""What one task completion costs in SQL statements (a regression guard for bench/complete_task.py's
figures), and that the fewer statements still leave every row as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from app import edge
from app.models import Case, CaseStatus, HumanTask, TaskState, Timer, TimerKind
from app.services import audit
from tests.helpers import inbox_task, submit_permit


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = edge.of(app).database.engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def test_completion_reads_each_thing_once_and_keeps_rows_right(api: Any, app: Any, db: Any) -> None:
    number = submit_permit(api, "成本测试项目")["number"]
    task = inbox_task(api, "clerk", number, "Acceptance check")
    api.token("clerk")  # minted outside the counted request
    with statements(app) as seen:
        response = api.post(
            f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}}
        )
    assert response.status_code == 200, response.get_json()

    # The process version is read once per process (then cached); the chain's advisory lock is
    # PostgreSQL's.
    selects = [
        s
        for s in seen
        if s.startswith("SELECT") and "FROM process_version" not in s and "pg_advisory_xact_lock" not in s
    ]
    # The caller with its groups; the case locked by the task's id, read with what the search index
    # needs of it (the applicant's three names, the case's search row: the index is kept in this
    # transaction) and whether any webhook subscription is live (none here: the subscriptions
    # themselves are not read); the case's open tasks (with the task), its unfired timers, the
    # audit chain's last hash: nothing is read twice. A process without message events reads no
    # message waits.
    assert len(selects) == 5, "\n".join(selects)
    assert not [s for s in selects if s.startswith("SELECT webhook")]
    assert sum("FROM user" in s or 'FROM "user"' in s for s in selects) == 1, "\n".join(selects)
    assert not [s for s in selects if "FROM message_wait" in s]
    assert sum(s.startswith('UPDATE "case"') for s in seen) == 1
    # The completed task's timers are closed in memory and written with the flush, by id.
    assert not [s for s in seen if s.startswith("UPDATE timer") and "human_task_id" in s]

    db.expire_all()
    done = db.get(HumanTask, task["id"])
    assert done.state == TaskState.COMPLETED and done.completed_by_id is not None
    timers = list(db.scalars(select(Timer).where(Timer.human_task_id == done.id)))
    assert timers and all(t.cancelled_at is not None and t.fired_at is None for t in timers)
    opened = list(
        db.scalars(
            select(HumanTask).where(HumanTask.case_id == done.case_id, HumanTask.state == TaskState.OPEN)
        )
    )
    assert opened
    for row in opened:
        kinds = {t.kind for t in db.scalars(select(Timer).where(Timer.human_task_id == row.id))}
        if row.due_at is not None:
            assert TimerKind.SLA_OVERDUE in kinds
    report = audit.verify_chain(db)
    assert report.intact, report.why
    assert report.checked >= 2


def test_refusals_still_come_before_any_change(api: Any, app: Any, db: Any) -> None:
    number = submit_permit(api, "拒绝测试项目")["number"]
    task = inbox_task(api, "clerk", number, "Acceptance check")
    # Not in the group: refused although the case was locked first.
    response = api.post(
        f"/api/v1/tasks/{task['id']}/complete", "planner", json={"data": {"decision": "accept"}}
    )
    assert response.status_code == 403
    assert api.post("/api/v1/tasks/987654321/complete", "clerk", json={"data": {}}).status_code == 404
    ok = api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    assert ok.status_code == 200
    again = api.post(f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"decision": "accept"}})
    assert again.status_code == 409


def test_a_start_writes_its_case_once_and_reads_no_subscription(api: Any, app: Any, db: Any) -> None:
    api.token("acme")  # minted outside the counted request
    with statements(app) as seen:
        number = submit_permit(api, "启动成本测试项目")["number"]
    # The case's row is made as its first step leaves it and inserted once: no UPDATE after it.
    assert sum(s.startswith('INSERT INTO "case"') for s in seen) == 1
    assert not [s for s in seen if s.startswith('UPDATE "case"')], "\n".join(seen)
    # Whether any subscription is live is read with the number's check; none is, so none is read.
    assert not [s for s in seen if s.startswith("SELECT webhook")]
    assert sum("FROM webhook" in s for s in seen) == 1
    if db.get_bind().dialect.name == "postgresql":  # the chain's lock and head in one call
        assert not [s for s in seen if "pg_advisory_xact_lock" in s]
        assert sum(s == "SELECT audit_chain_head()" for s in seen) == 1

    case = db.scalar(select(Case).where(Case.number == number))
    assert case.status == CaseStatus.IN_PROGRESS and case.lock_version == 1
    assert case.stage == "受理审查" and case.stage_en == "Acceptance check"
    assert case.updated_at == case.submitted_at and case.due_at is not None and case.state
    (task,) = db.scalars(select(HumanTask).where(HumanTask.case_id == case.id))
    assert task.created_at == case.submitted_at and task.state == TaskState.OPEN
    report = audit.verify_chain(db)
    assert report.intact, report.why
