"""One sweep leader among many `worker.py --cron` processes: the Redis lease with its fencing token,
and two real cron processes on a real Redis (the other one stands by while the leader lives and
takes over when it dies)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from app import edge
from app.jobs.sweep_leader import SweepLeader, fence_is_current, lease_key
from tests.ci_guard import not_applicable
from tests.conftest import ROOT


def test_one_candidate_holds_the_lease_and_a_lapsed_one_is_fenced_off(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    queue = f"lease-{uuid.uuid4().hex[:8]}"
    first, second = SweepLeader(connection, queue, 0.3), SweepLeader(connection, queue, 0.3)
    token = first.hold()
    assert token is not None
    assert second.hold() is None
    assert first.hold() == token  # renewed, same token
    time.sleep(0.15)
    assert first.hold() == token and second.hold() is None  # the renewal pushed the lease on

    time.sleep(0.4)  # the first stalls past its lease: the second takes over with a newer token
    taken = second.hold()
    assert taken is not None and taken > token
    assert fence_is_current(connection, queue, taken) and not fence_is_current(connection, queue, token)
    assert first.hold() is None  # it woke up: its renewal fails and the lease is not free

    second.release()  # a clean stop hands over at once
    assert first.hold() == taken + 1


def test_a_sweep_queued_by_a_replaced_leader_does_nothing(
    app: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.jobs import timers

    settings = edge.of(app).settings
    connection = redis.Redis.from_url(redis_url)
    old = SweepLeader(connection, settings.queue_name, 0.1)
    token = old.hold()
    assert token is not None
    old.release()
    new = SweepLeader(connection, settings.queue_name, 0.1).hold()
    assert new == token + 1
    calls: list[int] = []
    monkeypatch.setattr(timers, "sweep_due_timers", lambda database: calls.append(1) or 7)
    with app.app_context():
        assert timers.sweep(fence=token) == 0
        assert timers.sweep(fence=new) == 7
    assert calls == [1]


def _cron(app: Any, redis_url: str, queue: str, instance: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": edge.of(app).database.url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": edge.of(app).settings.secret_key,
        "PERMITFLOW_INSTANCE": str(instance),
        "PERMITFLOW_QUEUE": queue,
        "PERMITFLOW_SWEEP_INTERVAL": "1",
        "PERMITFLOW_SWEEP_LEASE": "1",
    }
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "worker.py", "--cron"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _sweeps(connection: redis.Redis, queue: str) -> list[tuple[float, int]]:
    """(queued at, token) of every sweep job queued so far."""
    jobs = Queue(queue, connection=connection).get_jobs()
    return sorted(
        (job.enqueued_at.timestamp(), int(job.kwargs["fence"]))
        for job in jobs
        if job.func_name == "app.jobs.timers.sweep" and job.enqueued_at is not None
    )


def _holder(connection: redis.Redis, queue: str) -> int | None:
    held = connection.get(lease_key(queue))
    return int(held.decode().split("/")[1]) if held else None


@pytest.mark.slow
def test_two_cron_processes_sweep_one_at_a_time_and_the_other_takes_over(
    app: Any, redis_url: str, tmp_path: Path
) -> None:
    if edge.of(app).database.engine.dialect.name != "postgresql":
        not_applicable("the cron processes need a database both can open; one run is enough")
    connection = redis.Redis.from_url(redis_url)
    queue = f"cron-{uuid.uuid4().hex[:8]}"
    crons = [_cron(app, redis_url, queue, tmp_path / f"i{n}", tmp_path / f"cron{n}.log") for n in (1, 2)]
    try:
        deadline = time.monotonic() + 60
        while _holder(connection, queue) is None or len(_sweeps(connection, queue)) < 3:
            assert time.monotonic() < deadline, [p.read_text() for p in tmp_path.glob("cron*.log")]
            assert all(c.poll() is None for c in crons), [p.read_text() for p in tmp_path.glob("*.log")]
            time.sleep(0.1)
        time.sleep(2)  # both live for two more intervals: still one leader, one token
        leader_pid = _holder(connection, queue)
        before = _sweeps(connection, queue)
        assert {token for _, token in before} == {before[0][1]}, before
        assert 3 <= len(before) <= 7, before  # one a second, not two
        leader = next(c for c in crons if c.pid == leader_pid)
        other = next(c for c in crons if c.pid != leader_pid)

        os.killpg(leader.pid, signal.SIGKILL)  # no clean release: the lease has to lapse
        leader.wait(timeout=10)
        killed_at = time.time()
        while _holder(connection, queue) != other.pid:
            assert time.monotonic() < deadline + 30, (tmp_path / "cron2.log").read_text()
            time.sleep(0.1)
        time.sleep(1.5)
        after = [s for s in _sweeps(connection, queue) if s not in before]
        assert after and {token for _, token in after} == {before[0][1] + 1}, after
        # The lease lapsed before the other swept: no overlap with the dead leader's last sweep.
        assert after[0][0] >= killed_at
        assert other.poll() is None
    finally:
        for cron in crons:
            if cron.poll() is None:
                os.killpg(cron.pid, signal.SIGTERM)
                cron.wait(timeout=10)
        Queue(queue, connection=connection).delete(delete_jobs=True)
        connection.delete(lease_key(queue))
