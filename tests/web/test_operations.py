"""The operations endpoints (API.md "Operations"): `/healthz`, `/readyz` naming what is down, and
`/metrics` finding a timer that fired late on purpose (the clock moved through app.clock), the
timers still due and unfired, request latency by route template, and the queue's figures."""

from __future__ import annotations

import socket
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from app import clock, edge, metrics_scrape, readiness, timer_sweep
from app.models import HumanTask, User
from app.services import cases, processes, timers
from tests.conftest import make_app
from tests.engine.bpmn_factory import boundary_timer_process, write
from tests.helpers import change_settings

START = datetime(2031, 3, 3, 1, 0, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
DUE = START + timedelta(seconds=30)  # the boundary timer's "PT30S"
LATE = timedelta(seconds=95)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the probe closes


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return _samples(response.get_data(as_text=True))


def _lag(samples: dict[Any, float], suffix: str, **labels: str) -> float:
    key = tuple(sorted({"kind": "bpmn", **labels}.items()))
    return samples.get((f"permitflow_timer_lag_seconds{suffix}", key), 0.0)


def test_healthz_answers_while_the_process_runs(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_database_redis_and_storage_answer(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "storage": "ok"},
        "unavailable": [],
    }


def test_readyz_answers_503_naming_an_unreachable_database(tmp_path: Path, redis_url: str) -> None:
    url = f"postgresql+psycopg://permitflow@127.0.0.1:{_closed_port()}/permitflow?connect_timeout=2"
    application = make_app(url, tmp_path, redis_url)
    try:
        client = application.test_client()
        assert client.get("/healthz").status_code == 200  # the process is up all the same
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json
        assert body["status"] == "unavailable"
        # The stored files live in the database by default: they are down with it.
        assert body["unavailable"] == ["database", "storage"]
        assert body["checks"]["redis"] == "ok"
        assert body["checks"]["database"].startswith("unavailable: ")
        assert "127.0.0.1" not in response.get_data(as_text=True)  # no connection details leak
    finally:
        edge.of(application).database.dispose()


def test_readyz_names_an_unreachable_redis(app: Any, tmp_path: Path) -> None:
    settings = edge.of(app).settings
    application = make_app(settings.database_url, tmp_path, f"redis://127.0.0.1:{_closed_port()}/0")
    try:
        response = application.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["unavailable"] == ["redis"]
        assert response.json["checks"]["database"] == "ok"
    finally:
        edge.of(application).database.dispose()


def _cases_left_late(app: Any, db: Any, tmp_path: Path, key: str, n: int) -> list[int]:
    """``n`` cases whose timer fell due at DUE, with the clock frozen 95 s later: no worker ran."""
    with app.app_context():
        processes.deploy_processes(db, None, [write(tmp_path, key, boundary_timer_process(key, '"PT30S"'))])
        db.commit()
    acme = db.scalar(select(User).where(User.username == "acme"))
    with clock.travel_to(START):
        ids = [cases.start_case(db, acme, key, {}).case.id for _ in range(n)]
        db.commit()
    clock.freeze(DUE + LATE)
    return ids


def test_metrics_show_a_late_timer_and_the_due_timers_not_fired_yet(
    app: Any, db: Any, client: Any, tmp_path: Path
) -> None:
    first, _second = _cases_left_late(app, db, tmp_path, "metrics_lag", 2)
    before = _scrape(client)
    assert before[("permitflow_timers_due_unfired", ())] == 2
    assert before[("permitflow_timers_oldest_due_unfired_seconds", ())] == LATE.total_seconds()

    assert timer_sweep.fire_case_timers(edge.of(app).database, first) == 1
    after = _scrape(client)
    assert after[("permitflow_timers_due_unfired", ())] == 1  # the other case still waits
    # The lag observed: fired_at - due_at = 95 s, in the (60, 120] bucket of the histogram.
    assert _lag(after, "_count") - _lag(before, "_count") == 1
    assert _lag(after, "_sum") - _lag(before, "_sum") == pytest.approx(LATE.total_seconds())
    assert _lag(after, "_bucket", le="60.0") == _lag(before, "_bucket", le="60.0")
    assert _lag(after, "_bucket", le="120.0") - _lag(before, "_bucket", le="120.0") == 1
    assert after[("permitflow_dependency_up", (("dependency", "database"),))] == 1


def test_a_rolled_back_firing_is_not_counted(app: Any, db: Any, client: Any, tmp_path: Path) -> None:
    (case_id,) = _cases_left_late(app, db, tmp_path, "metrics_rollback", 1)
    before = _scrape(client)
    assert timers.fire_due(db, case_id) == 1
    db.rollback()
    after = _scrape(client)
    assert _lag(after, "_count") == _lag(before, "_count")
    assert after[("permitflow_timers_due_unfired", ())] == 1


def test_request_latency_is_labelled_by_route_template(client: Any) -> None:
    for number in ("SG-NOPE-1", "SG-NOPE-2"):
        client.get(f"/track/{number}")
    samples = _scrape(client)
    routes = {dict(labels).get("route") for name, labels in samples if name.startswith("permitflow_http")}
    assert "/track/<number>" in routes
    assert not any("SG-NOPE" in (route or "") for route in routes)
    queue_labels = (("queue", edge.of(client.application).settings.queue_name),)
    for figure in ("queued", "failed", "scheduled", "started"):
        assert (f"permitflow_rq_jobs_{figure}", queue_labels) in samples


def test_metrics_are_for_this_machine_only_by_default(client: Any) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


def test_metrics_are_refused_outside_the_allowed_networks(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    change_settings(monkeypatch, app, metrics_allow="127.0.0.0/8,::1,10.0.0.0/8")
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert outside.status_code == 404
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert inside.status_code == 200
    # The load balancer's address is private, but what it forwards comes from the public.
    proxied = client.get(
        "/metrics", environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"X-Forwarded-For": "198.51.100.4"}
    )
    assert proxied.status_code == 404


def test_a_workers_exporter_serves_the_same_figures_over_http(app: Any) -> None:
    state = edge.of(app)
    registry = metrics_scrape.scrape_registry(state.database, state.redis, state.settings.queue_name)
    port = _closed_port()
    server = metrics_scrape.serve(registry, port, address="127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:  # noqa: S310
            text = answer.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    samples = _samples(text)
    assert ("permitflow_timers_due_unfired", ()) in samples
    assert ("permitflow_dependency_up", (("dependency", "redis"),)) in samples


def test_a_completed_task_is_counted_once_its_step_commits(
    app: Any, db: Any, api: Any, tmp_path: Path
) -> None:
    (case_id,) = _cases_left_late(app, db, tmp_path, "metrics_tasks", 1)
    clock.unfreeze()
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id))
    db.rollback()
    label = (("process", "metrics_tasks"),)
    before = _scrape(api.client).get(("permitflow_tasks_completed_total", label), 0.0)
    done = api.post(f"/api/v1/tasks/{task_id}/complete", "clerk", json={"data": {}})
    assert done.status_code == 200, done.get_json()
    again = api.post(f"/api/v1/tasks/{task_id}/complete", "clerk", json={"data": {}})
    assert again.status_code == 409  # refused: nothing committed, nothing counted
    assert _scrape(api.client)[("permitflow_tasks_completed_total", label)] == before + 1


def test_readyz_answers_in_seconds_when_redis_accepts_but_never_replies(
    app: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(readiness, "TIMEOUT", 0.5)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever answers
    port = silent.getsockname()[1]
    settings = edge.of(app).settings
    application = make_app(settings.database_url, tmp_path, f"redis://127.0.0.1:{port}/0")
    try:
        started = time.monotonic()
        response = application.test_client().get("/readyz")
        assert time.monotonic() - started < 10
        assert response.status_code == 503 and response.json["unavailable"] == ["redis"]
        assert response.json["checks"]["redis"] == "unavailable: TimeoutError"
    finally:
        edge.of(application).database.dispose()
        silent.close()
