"""Wake-ups grouped by due second and timers fired in batches: one scheduled job per second
whatever the number of cases due in it, a peak split into batches for every worker, each case
fired once under its own lock, and a case that fails leaving the rest of its batch fired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from app import clock, edge, timer_sweep
from app.jobs import timers as timer_jobs
from app.models import AuditEvent, Case, Timer, TimerKind, User
from app.services import cases, processes
from app.services import timers as timer_service
from tests.engine.bpmn_factory import boundary_timer_process, write
from tests.jobs.test_worker import clear_rq

# A whole second in the future, so that every case started at it falls due in one second.
START = datetime(2031, 3, 3, 1, 0, 0, 250_000, tzinfo=UTC)
DUE = START + timedelta(seconds=30)  # the boundary timer's "PT30S"
SECOND = int(DUE.replace(microsecond=0).timestamp())


@pytest.fixture
def queue(app: Any, redis_url: str) -> Any:
    clear_rq(redis_url)
    connection = redis.Redis.from_url(redis_url)
    yield Queue(edge.of(app).settings.queue_name, connection=connection)
    connection.close()
    clear_rq(redis_url)


def _start_cases(app: Any, db: Any, tmp_path: Path, n: int, key: str = "batch_review") -> list[int]:
    with app.app_context():
        processes.deploy_processes(db, None, [write(tmp_path, key, boundary_timer_process(key, '"PT30S"'))])
        db.commit()
    acme = db.scalar(select(User).where(User.username == "acme"))
    ids = []
    with clock.travel_to(START):
        for _ in range(n):
            ids.append(cases.start_case(db, acme, key, {}).case.id)
            db.commit()  # one commit per case, as one request per case would
    return ids


def _fired_events(db: Any, case_ids: list[int]) -> dict[int, int]:
    rows = db.execute(
        select(AuditEvent.case_id, func.count())
        .where(AuditEvent.action == "timer.fired", AuditEvent.case_id.in_(case_ids))
        .group_by(AuditEvent.case_id)
    ).all()
    db.rollback()
    counts = dict.fromkeys(case_ids, 0)
    counts.update({case_id: int(n) for case_id, n in rows})
    return counts


def test_cases_due_in_the_same_second_share_one_scheduled_wake_up(
    app: Any, db: Any, tmp_path: Path, queue: Any
) -> None:
    case_ids = _start_cases(app, db, tmp_path, 4)
    scheduled = ScheduledJobRegistry(queue=queue).get_job_ids()
    assert scheduled == [f"wake-at-{SECOND}"], scheduled  # not one job per case
    job = Job.fetch(scheduled[0], connection=queue.connection)
    assert job.func_name == "app.jobs.timers.wake_due" and job.args == (SECOND,)
    # Due within the second, run when it is over.
    at = ScheduledJobRegistry(queue=queue).get_scheduled_time(job)
    assert at == datetime.fromtimestamp(SECOND + 1, UTC)
    assert all(DUE <= d < DUE + timedelta(seconds=1) for d in _due_times(db, case_ids))


def _due_times(db: Any, case_ids: list[int]) -> list[datetime]:
    rows = db.scalars(select(Timer.due_at).where(Timer.case_id.in_(case_ids), Timer.kind == TimerKind.BPMN))
    out = [d if d.tzinfo else d.replace(tzinfo=UTC) for d in rows]
    db.rollback()
    return out


def test_a_peak_is_split_into_batches_that_fire_every_case_exactly_once(
    app: Any, db: Any, tmp_path: Path, queue: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timer_sweep, "BATCH", 2)
    monkeypatch.setattr(timer_jobs, "BATCH", 2)
    case_ids = _start_cases(app, db, tmp_path, 5)
    clear_rq(redis_url)  # the wake-up scheduled by the starts: only the batches below
    with app.app_context(), clock.travel_to(DUE + timedelta(seconds=2)):
        assert timer_jobs.wake_due(SECOND) == 0  # more than a batch: nothing fired here, all queued
        assert timer_jobs.wake_due(SECOND) == 0  # woken again while they wait: not queued twice
        jobs = [Job.fetch(job_id, connection=queue.connection) for job_id in queue.get_job_ids()]
        assert [job.id for job in jobs] == [f"fire-{SECOND}-{k}-of-3" for k in range(3)]
        assert [job.args for job in jobs] == [(SECOND, k, 3) for k in range(3)]
        fired = [timer_jobs.fire_batch(*job.args) for job in jobs]
        assert sorted(fired) == [1, 2, 2] and sum(fired) == 5  # the cases shared out by id
        # Run twice (a duplicate job, the sweep): nothing fires again.
        assert sum(timer_jobs.fire_batch(*job.args) for job in jobs) == 0
        assert timer_jobs.wake_due(SECOND) == 0  # nothing left due in that second
    assert _fired_events(db, case_ids) == dict.fromkeys(case_ids, 1)


def test_a_second_with_few_cases_fires_them_in_its_own_job(
    app: Any, db: Any, tmp_path: Path, queue: Any
) -> None:
    case_ids = _start_cases(app, db, tmp_path, 3)
    with app.app_context():
        with clock.travel_to(DUE - timedelta(seconds=1)):
            assert timer_jobs.wake_due(SECOND) == 0  # not yet due
        with clock.travel_to(DUE + timedelta(seconds=2)):
            assert timer_jobs.wake_due(SECOND - 1) == 0  # the second before: none of these
            assert timer_jobs.wake_due(SECOND) == 3
            assert timer_jobs.wake_due(SECOND) == 0
    assert _fired_events(db, case_ids) == dict.fromkeys(case_ids, 1)


def test_a_case_that_fails_in_a_batch_leaves_the_others_fired_and_keeps_nothing_of_its_own(
    app: Any, db: Any, tmp_path: Path, queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_ids = _start_cases(app, db, tmp_path, 3)
    broken = case_ids[1]
    real = timer_service.fire_due

    def fire_then_fail(session: Any, case_id: int) -> int:
        fired = real(session, case_id)  # the step is carried out, its audit event queued...
        if case_id == broken:
            raise RuntimeError("the case fails after its step")  # ...and must all be undone
        return fired

    monkeypatch.setattr(timer_service, "fire_due", fire_then_fail)
    with app.app_context(), clock.travel_to(DUE + timedelta(seconds=2)):
        assert timer_sweep.fire_cases(edge.of(app).database, case_ids) == 2
    assert _fired_events(db, case_ids) == {case_ids[0]: 1, broken: 0, case_ids[2]: 1}
    unfired = db.scalars(
        select(Timer.case_id).where(
            Timer.case_id.in_(case_ids), Timer.kind == TimerKind.BPMN, Timer.fired_at.is_(None)
        )
    ).all()
    assert unfired == [broken]
    assert db.scalar(select(Case.status).where(Case.id == broken)).value == "in_progress"
    db.rollback()
    monkeypatch.setattr(timer_service, "fire_due", real)
    with app.app_context(), clock.travel_to(DUE + timedelta(seconds=3)):
        assert timer_sweep.fire_cases(edge.of(app).database, case_ids) == 1  # fired later, once
    assert _fired_events(db, case_ids) == dict.fromkeys(case_ids, 1)


def test_sla_warnings_fired_in_one_batch_each_notify_their_group(app: Any, db: Any) -> None:
    """The batch reads a notified group once; each case's reminder still reaches every member."""
    from app.models import Notification
    from app.services.demo import permit_application
    from tests.helpers import user_named

    start = datetime(2031, 3, 3, 1, 0, tzinfo=UTC)  # a Monday
    with clock.travel_to(start):
        ids = [
            cases.start_case(
                db, user_named(db, "acme"), "construction_permit", permit_application(f"批{i}")
            ).case.id
            for i in range(3)
        ]
        db.commit()
    warn_at = db.scalar(
        select(Timer.due_at).where(Timer.case_id == ids[0], Timer.kind == TimerKind.SLA_WARNING)
    )
    db.rollback()
    with app.app_context(), clock.travel_to(warn_at + timedelta(seconds=1)):
        assert timer_sweep.fire_cases(edge.of(app).database, ids) == 3
    rows = db.execute(
        select(Notification.case_id, User.username)
        .join(User, User.id == Notification.user_id)
        .where(Notification.kind == "reminder", Notification.case_id.in_(ids))
    ).all()
    db.rollback()
    assert sorted(rows) == sorted((i, u) for i in ids for u in ("clerk", "window_chief"))
