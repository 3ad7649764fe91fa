"""Structured log lines (PERMITFLOW_LOG_FORMAT=json): one JSON object a line per request with its
request id, user, case number, route, status and duration; failed logins and refusals as warnings
with the source address; a worker's job lines with the job's id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rq.job import Job
from sqlalchemy import select

from app import log_format
from app.jobs import job_log
from app.models import User


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The process's log lines in JSON, as wsgi.py and worker.py configure them."""
    stream = io.StringIO()
    root, spiff, gunicorn = (logging.getLogger(n) for n in ("", "spiff", "gunicorn.error"))
    kept = (list(root.handlers), root.level, spiff.level, list(gunicorn.handlers), gunicorn.propagate)
    log_format.configure("json", stream=stream)
    yield stream
    root.handlers[:], gunicorn.handlers[:] = kept[0], kept[3]
    root.setLevel(kept[1])
    spiff.setLevel(kept[2])
    gunicorn.propagate = kept[4]


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _requests(stream: io.StringIO, route: str) -> list[dict[str, Any]]:
    return [
        line for line in _lines(stream) if line["logger"] == "permitflow.request" and line["route"] == route
    ]


def test_a_failed_login_is_logged_with_its_source_address(client: Any, captured: io.StringIO) -> None:
    response = client.post(
        "/api/v1/auth/token",
        json={"username": "planner", "password": "not-the-password"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 401
    failed = [line for line in _lines(captured) if line.get("event") == "login.failed"]
    assert len(failed) == 1
    assert failed[0]["username"] == "planner" and failed[0]["source_address"] == "10.9.8.7"
    assert failed[0]["level"] == "warning"
    (line,) = _requests(captured, "/api/v1/auth/token")
    assert line["event"] == "request.refused" and line["status"] == 401 and line["level"] == "warning"
    assert line["source_address"] == "10.9.8.7"
    assert line["request_id"] == failed[0]["request_id"] == response.headers["X-Request-Id"]


def test_a_refusal_names_the_request_id_user_route_status_and_duration(
    api: Any, db: Any, captured: io.StringIO
) -> None:
    planner = db.scalar(select(User.id).where(User.username == "planner"))
    db.rollback()
    response = api.get(
        "/api/v1/stats", "planner", headers={**api.headers("planner"), "X-Request-Id": "lb-42"}
    )
    assert response.status_code == 403
    assert response.headers["X-Request-Id"] == "lb-42"  # the load balancer's id carried through
    (line,) = _requests(captured, "/api/v1/stats")
    assert line["event"] == "request.refused" and line["level"] == "warning"
    assert line["request_id"] == "lb-42" and line["user_id"] == planner
    assert line["status"] == 403 and line["method"] == "GET" and line["source_address"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")


def test_a_request_about_a_case_names_its_number(api: Any, captured: io.StringIO) -> None:
    response = api.get(
        "/api/v1/cases/SG-2031-000999",
        "planner",
        headers={**api.headers("planner"), "X-Request-Id": "bad id!"},
    )
    assert response.status_code == 404
    (line,) = _requests(captured, "/api/v1/cases/<string:number>")
    assert line["case_number"] == "SG-2031-000999" and line["event"] == "request"
    assert line["request_id"] != "bad id!" and len(line["request_id"]) == 32  # not a sane id: a new one


def test_a_page_request_names_the_logged_in_user(pages: Any, db: Any, captured: io.StringIO) -> None:
    browser = pages("clerk")
    clerk = db.scalar(select(User.id).where(User.username == "clerk"))
    db.rollback()
    assert browser.get("/inbox").status_code == 200
    (line,) = _requests(captured, "/inbox")
    assert line["user_id"] == clerk and line["status"] == 200 and line["level"] == "info"


def test_a_workers_job_line_names_the_job(captured: io.StringIO, redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    job = Job.create("app.jobs.timers.sweep", id="sweep-log-test", connection=connection)
    try:
        with job_log.observed(job):
            logging.getLogger("app.timer_sweep").info("inside the job")
    finally:
        connection.close()
    lines = _lines(captured)
    inside = next(line for line in lines if line["message"] == "inside the job")
    assert inside["job_id"] == "sweep-log-test" and inside["function"] == "app.jobs.timers.sweep"
    done = next(line for line in lines if line.get("event") == "job")
    assert done["job_id"] == "sweep-log-test" and done["outcome"] == "finished"
    assert "duration_ms" in done


def test_text_leaves_logging_as_it_was(captured: io.StringIO) -> None:
    root = logging.getLogger()
    handlers = list(root.handlers)
    assert log_format.configure("text", stream=io.StringIO()) is None
    assert root.handlers == handlers  # the JSON handler stays the one installed, not doubled
    logging.getLogger("permitflow.test").warning("plain words")
    assert json.loads(captured.getvalue().splitlines()[-1])["message"] == "plain words"


def test_spiffworkflows_task_chatter_stays_out_of_the_json_lines(captured: io.StringIO) -> None:
    logging.getLogger("spiff.task").info("task state changed")
    logging.getLogger("spiff.task").warning("a task failed")
    messages = [line["message"] for line in _lines(captured)]
    assert messages == ["a task failed"]
