"""The login guard's own rules, on a real Redis (the test run's database number): budgets per
account-and-address and per address, windows that expire, lock lengths, releases reported once,
and a Redis that is down letting logins through rather than failing them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from app.services.login_guard import Lockout, LockScope, LoginGuard


@pytest.fixture
def client(redis_url: str) -> Iterator[Any]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def address() -> str:
    """An address of this test's own, so counters of other tests never meet it."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().hex[:6]}"


def _fail(guard: LoginGuard, username: str, address: str, times: int) -> list[Lockout]:
    started: list[Lockout] = []
    for _ in range(times):
        started += guard.record_failure(username, address)
    return started


def test_the_fifth_failure_locks_the_account_from_that_address_only(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=5, lockout_seconds=60, address_max_failures=100)
    assert _fail(guard, "clerk", address, 4) == []
    assert guard.locked_for("clerk", address) == 0
    started = guard.record_failure("clerk", address)
    assert started == [Lockout(LockScope.ACCOUNT, "clerk", address, 60)]
    assert started[0].detail() == {"scope": "account", "username": "clerk", "address": address, "seconds": 60}
    assert 55 <= guard.locked_for("clerk", address) <= 60
    assert 55 <= guard.locked_for(" CLERK ", address) <= 60  # case and spaces do not dodge it
    assert guard.locked_for("clerk", address + "-other") == 0  # nobody locks a user out from elsewhere
    assert guard.locked_for("admin", address) == 0
    assert not guard.address_locked(address)
    # The failures counted towards this lock start again from zero.
    assert client.get(f"login-fail:account:clerk|{address}") is None


def test_the_lock_lasts_as_configured_and_its_marker_longer(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=2, lockout_seconds=600, address_max_failures=100)
    _fail(guard, "clerk", address, 2)
    assert 590 <= guard.locked_for("clerk", address) <= 600
    marker = client.ttl(f"login-locked:account:clerk|{address}")
    assert 600 + 7 * 86400 - 10 <= marker <= 600 + 7 * 86400


def test_the_address_budget_locks_every_login_from_it(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=50, lockout_seconds=60, address_max_failures=3)
    assert _fail(guard, "a", address, 1) + _fail(guard, "b", address, 1) == []
    started = guard.record_failure("c", address)
    assert started == [Lockout(LockScope.ADDRESS, None, address, 60)]
    assert guard.address_locked(address)
    assert 55 <= guard.locked_for("anyone", address) <= 60
    assert guard.locked_for("anyone", address + "-other") == 0
    assert not guard.address_locked(address + "-other")


def test_both_budgets_can_end_on_one_failure(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=2, lockout_seconds=30, address_max_failures=2)
    started = _fail(guard, "clerk", address, 2)
    assert [lock.scope for lock in started] == [LockScope.ACCOUNT, LockScope.ADDRESS]


def test_the_window_expires_and_is_not_extended_by_later_failures(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=3, window_seconds=2, lockout_seconds=60, address_max_failures=100)
    _fail(guard, "clerk", address, 1)
    time.sleep(1.1)
    _fail(guard, "clerk", address, 1)
    assert 0 < client.ttl(f"login-fail:account:clerk|{address}") <= 1  # the first failure's window
    time.sleep(1.1)
    assert _fail(guard, "clerk", address, 2) == []  # the window ended: counting starts again
    assert guard.locked_for("clerk", address) == 0
    assert guard.record_failure("clerk", address) != []


def test_an_ended_lock_is_reported_once(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=1, lockout_seconds=1, address_max_failures=100)
    _fail(guard, "clerk", address, 1)
    assert guard.released("clerk", address) == []  # still locked
    time.sleep(1.2)
    assert guard.locked_for("clerk", address) == 0
    assert guard.released("clerk", address) == [Lockout(LockScope.ACCOUNT, "clerk", address, 1)]
    assert guard.released("clerk", address) == []


def test_a_success_resets_the_account_not_the_address(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=2, lockout_seconds=60, address_max_failures=3)
    _fail(guard, "clerk", address, 2)
    guard.reset("Clerk", address)
    assert guard.locked_for("clerk", address) == 0
    assert guard.released("clerk", address) == []  # the reset cleared its marker too
    assert guard.record_failure("clerk", address) == [Lockout(LockScope.ADDRESS, None, address, 60)]


def test_long_names_and_missing_addresses_share_bounded_keys(client: Any) -> None:
    guard = LoginGuard(client, max_failures=1, lockout_seconds=60, address_max_failures=100)
    name = "u" * 150 + uuid.uuid4().hex
    started = guard.record_failure(name, "")
    assert started[0].username == name[:100] and started[0].address == "unknown"
    assert guard.locked_for(name[:100] + "tail", "") > 0
    long_address = "a" * 64 + uuid.uuid4().hex
    assert guard.record_failure("x" + uuid.uuid4().hex, long_address)[0].address == long_address[:64]
    client.delete(f"login-lock:account:{name[:100]}|unknown", f"login-locked:account:{name[:100]}|unknown")


def test_a_redis_that_is_down_lets_logins_through(address: str) -> None:
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    guard = LoginGuard(down)
    assert guard.locked_for("clerk", address) == 0
    assert guard.address_locked(address) is False
    assert guard.record_failure("clerk", address) == []
    assert guard.released("clerk", address) == []
    guard.reset("clerk", address)  # no exception


def test_a_reset_forgets_the_failures_counted_so_far(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=2, lockout_seconds=60, address_max_failures=100)
    _fail(guard, "clerk", address, 1)
    guard.reset("clerk", address)
    assert _fail(guard, "clerk", address, 1) == []  # one failure after the reset, not the second
    assert guard.locked_for("clerk", address) == 0


def test_an_ended_address_lock_is_reported_while_the_account_lock_holds(client: Any, address: str) -> None:
    account = LoginGuard(client, max_failures=1, lockout_seconds=60, address_max_failures=100)
    _fail(account, "clerk", address, 1)  # the account lock: 60 s
    by_address = LoginGuard(client, max_failures=100, lockout_seconds=1, address_max_failures=2)
    _fail(by_address, "other", address, 1)  # with the failure above, the address's budget ends: 1 s
    time.sleep(1.2)
    assert by_address.released("clerk", address) == [Lockout(LockScope.ADDRESS, None, address, 1)]


def test_a_redis_that_is_down_is_logged_with_its_error(address: str, caplog: Any) -> None:
    guard = LoginGuard(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    with caplog.at_level("WARNING", logger="app.services.login_guard"):
        guard.locked_for("clerk", address)
        guard.released("clerk", address)
        guard.reset("clerk", address)
        guard.record_failure("clerk", address)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4 and all("Connection refused" in m or "Error" in m for m in messages), messages
    assert all(m.startswith("login guard unavailable, ") and not m.endswith(": None") for m in messages)


def test_an_address_lock_in_its_last_second_still_holds(client: Any, address: str) -> None:
    guard = LoginGuard(client, max_failures=100, lockout_seconds=1, address_max_failures=1)
    _fail(guard, "clerk", address, 1)
    assert guard.address_locked(address)
