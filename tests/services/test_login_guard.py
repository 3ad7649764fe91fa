"""Locking a username after repeated failed logins, on a real Redis: the window starts at the
first failure, the lock lasts its own time, case variants share a counter, and logins are let
through (with the reason logged) when Redis cannot be reached."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from app.services.login_guard import LoginGuard

WINDOW = 600
LOCKOUT = 900


@pytest.fixture
def client(redis_url: str) -> Iterator[Any]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def guard(client: Any) -> LoginGuard:
    return LoginGuard(client, max_failures=3, window_seconds=WINDOW, lockout_seconds=LOCKOUT)


@pytest.fixture
def name(client: Any) -> Iterator[str]:
    """A username of this test's own (its counters are removed afterwards)."""
    own = f"user-{uuid.uuid4().hex[:8]}"
    yield own
    keys = list(client.scan_iter(f"login-*:{own}*"))
    if keys:
        client.delete(*keys)


def test_the_last_allowed_failure_locks_the_name_for_the_lockout(
    guard: LoginGuard, client: Any, name: str
) -> None:
    assert guard.locked_for(name) == 0
    assert guard.record_failure(name) is False
    assert guard.record_failure(name) is False
    assert guard.locked_for(name) == 0
    assert int(client.get(f"login-fail:{name}")) == 2
    assert guard.record_failure(name) is True
    assert LOCKOUT - 2 <= guard.locked_for(name) <= LOCKOUT
    assert LOCKOUT - 2 <= client.ttl(f"login-lock:{name}") <= LOCKOUT
    # The count starts again: the failures that locked the name are forgotten.
    assert client.exists(f"login-fail:{name}") == 0
    assert guard.record_failure(name) is False
    assert int(client.get(f"login-fail:{name}")) == 1


def test_the_window_starts_at_the_first_failure_and_later_ones_do_not_extend_it(
    guard: LoginGuard, client: Any, name: str
) -> None:
    key = f"login-fail:{name}"
    guard.record_failure(name)
    assert WINDOW - 2 <= client.ttl(key) <= WINDOW
    client.expire(key, 100)  # time passes
    guard.record_failure(name)
    assert 98 <= client.ttl(key) <= 100
    # When the window ends, the failures in it are forgotten.
    client.delete(key)
    assert guard.record_failure(name) is False
    assert guard.record_failure(name) is False
    assert guard.locked_for(name) == 0


def test_the_default_limits() -> None:
    guard = LoginGuard(client=None)
    assert (guard.max_failures, guard.window_seconds, guard.lockout_seconds) == (5, 15 * 60, 15 * 60)


def test_case_and_spaces_do_not_dodge_the_lock(guard: LoginGuard, client: Any, name: str) -> None:
    guard.record_failure(name.upper())
    guard.record_failure(f"  {name} ")
    assert guard.record_failure(name.title()) is True
    assert guard.locked_for(name) > 0
    assert guard.locked_for(f" {name.upper()}") > 0
    assert guard.locked_for(name + "x") == 0  # another name
    assert client.exists(f"login-lock:{name}") == 1


def test_a_name_is_kept_to_100_characters(guard: LoginGuard, client: Any, name: str) -> None:
    long = (name * 20)[:100]
    for tail in "abc":
        guard.record_failure(long + tail)
    assert guard.locked_for(long) > 0
    assert guard.locked_for(long + "z") > 0
    assert client.exists(f"login-lock:{long}") == 1


def test_reset_forgets_failures_and_lock(guard: LoginGuard, client: Any, name: str) -> None:
    other = name + "-other"
    for _ in range(3):
        guard.record_failure(name)
    guard.record_failure(name)
    guard.record_failure(other)
    guard.reset(f" {name.upper()}")
    assert guard.locked_for(name) == 0
    assert client.exists(f"login-fail:{name}", f"login-lock:{name}") == 0
    assert guard.record_failure(name) is False
    assert int(client.get(f"login-fail:{other}")) == 1  # others keep their count


def test_without_redis_logins_are_let_through_and_the_reason_is_logged(
    caplog: pytest.LogCaptureFixture, name: str
) -> None:
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    guard = LoginGuard(unreachable, max_failures=1)
    with caplog.at_level(logging.WARNING, logger="app.services.login_guard"):
        assert guard.locked_for(name) == 0
        assert guard.record_failure(name) is False
        assert guard.record_failure(name) is False
        guard.reset(name)
    unreachable.close()
    messages = [r.getMessage() for r in caplog.records if r.name == "app.services.login_guard"]
    assert [m.split(": ", 1)[0] for m in messages] == [
        "login guard unavailable, not checking lockout",
        "login guard unavailable, failure not counted",
        "login guard unavailable, failure not counted",
        "login guard unavailable, counter not reset",
    ]
    assert all("Connection refused" in m or "Error" in m for m in messages)


def test_a_window_about_to_end_is_not_extended(guard: LoginGuard, client: Any, name: str) -> None:
    """Redis rounds a TTL under half a second down to 0; that window still ends on time."""
    key = f"login-fail:{name}"
    client.set(key, 1, px=400)
    assert guard.record_failure(name) is False
    assert 0 < client.pttl(key) <= 400
