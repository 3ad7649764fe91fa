"""The attempt limiter on a real Redis: a fixed window from the first attempt, refusals past the
limit (even of attempts that would succeed), one counter per address and per account, and
attempts let through, with the reason logged, when Redis cannot be reached."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from app.errors import TooManyRequests
from app.services.rate_limit import AttemptLimiter, account_key

WINDOW = 600
ADDRESS = "203.0.113.7"


@pytest.fixture
def client(redis_url: str) -> Iterator[Any]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def limiter(client: Any) -> Iterator[AttemptLimiter]:
    """A limit of 3 per 10 minutes under a name of this test's own."""
    name = f"t{uuid.uuid4().hex[:8]}"
    yield AttemptLimiter(client, name, limit=3, window_seconds=WINDOW)
    keys = list(client.scan_iter(f"rate:{name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def unreachable() -> Iterator[Any]:
    """A client of a Redis that is not there (nothing listens on port 1 of this machine)."""
    connection = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    yield connection
    connection.close()


def _refusal(limiter: AttemptLimiter, address: str = ADDRESS) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as refused:
        limiter.take(address, "too many tries")
    return refused.value


def test_take_lets_the_limit_through_then_refuses_until_the_window_ends(
    limiter: AttemptLimiter, client: Any
) -> None:
    for _ in range(3):
        limiter.take(ADDRESS, "too many tries")
    for _ in range(2):  # every further attempt is refused, and counted
        refused = _refusal(limiter)
        assert WINDOW - 2 <= refused.retry_after <= WINDOW
        assert str(refused) == "too many tries; try again in 10 minute(s)"
    key = f"rate:{limiter.name}:{ADDRESS}"
    assert int(client.get(key)) == 5
    assert WINDOW - 2 <= client.ttl(key) <= WINDOW
    # When the window ends, the address starts afresh.
    client.delete(key)
    limiter.take(ADDRESS, "too many tries")


def test_the_window_starts_at_the_first_attempt_and_later_ones_do_not_extend_it(
    limiter: AttemptLimiter, client: Any
) -> None:
    key = f"rate:{limiter.name}:{ADDRESS}"
    limiter.hit(ADDRESS)
    assert WINDOW - 2 <= client.ttl(key) <= WINDOW
    client.expire(key, 100)  # time passes
    limiter.hit(ADDRESS)
    limiter.take(ADDRESS, "x")
    assert 98 <= client.ttl(key) <= 100
    assert int(client.get(key)) == 3
    # A counter left without an expiry (never written so by this module) gets the window.
    client.persist(key)
    limiter.hit(ADDRESS)
    assert WINDOW - 2 <= client.ttl(key) <= WINDOW


def test_check_refuses_only_once_the_limit_is_counted(limiter: AttemptLimiter) -> None:
    assert limiter.blocked_for(ADDRESS) == 0  # never seen
    limiter.check(ADDRESS, "blocked")
    for _ in range(2):
        limiter.hit(ADDRESS)
    assert limiter.blocked_for(ADDRESS) == 0
    limiter.check(ADDRESS, "blocked")  # checking counts nothing
    limiter.hit(ADDRESS)
    assert WINDOW - 2 <= limiter.blocked_for(ADDRESS) <= WINDOW
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(ADDRESS, "blocked")
    assert WINDOW - 2 <= refused.value.retry_after <= WINDOW
    assert str(refused.value) == "blocked; try again in 10 minute(s)"
    limiter.reset(ADDRESS)
    assert limiter.blocked_for(ADDRESS) == 0
    limiter.check(ADDRESS, "blocked")


@pytest.mark.parametrize(
    ("seconds_left", "minutes"),
    # Minutes are rounded up, and never fewer than one (TTLs read a second apart give the same).
    [(30, 1), (90, 2), (605, 11)],
)
def test_the_refusal_says_how_many_minutes_to_wait(
    limiter: AttemptLimiter, client: Any, seconds_left: int, minutes: int
) -> None:
    key = f"rate:{limiter.name}:{ADDRESS}"
    client.set(key, 3, ex=seconds_left)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(ADDRESS, "wait")
    assert seconds_left - 2 <= refused.value.retry_after <= seconds_left
    assert str(refused.value) == f"wait; try again in {minutes} minute(s)"
    refused_take = _refusal(limiter)
    assert seconds_left - 2 <= refused_take.retry_after <= seconds_left
    assert str(refused_take) == f"too many tries; try again in {minutes} minute(s)"


def test_a_blocked_counter_without_expiry_still_asks_to_wait(limiter: AttemptLimiter, client: Any) -> None:
    client.set(f"rate:{limiter.name}:{ADDRESS}", 3)  # no TTL: Redis answers -1
    assert limiter.blocked_for(ADDRESS) == 1
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(ADDRESS, "wait")
    assert refused.value.retry_after == 1
    assert str(refused.value) == "wait; try again in 1 minute(s)"


def test_addresses_and_accounts_have_counters_of_their_own(limiter: AttemptLimiter, client: Any) -> None:
    for _ in range(3):
        limiter.hit(ADDRESS)
    assert limiter.blocked_for(ADDRESS) > 0
    assert limiter.blocked_for("203.0.113.8") == 0
    assert account_key(42) == "account:42"
    for _ in range(3):
        limiter.take(account_key(42), "account")
    _refusal(limiter, account_key(42))
    limiter.take(account_key(43), "account")
    limiter.take("42", "account")  # an address that looks like the id is another counter
    assert sorted(k.decode() for k in client.scan_iter(f"rate:{limiter.name}:*")) == [
        f"rate:{limiter.name}:203.0.113.7",
        f"rate:{limiter.name}:42",
        f"rate:{limiter.name}:account:42",
        f"rate:{limiter.name}:account:43",
    ]
    # Two limiters of different names never share a counter.
    other = AttemptLimiter(client, limiter.name + "x", limit=3, window_seconds=WINDOW)
    assert other.blocked_for(ADDRESS) == 0
    other.reset(ADDRESS)
    assert limiter.blocked_for(ADDRESS) > 0


def test_an_address_is_kept_to_64_characters_in_its_key(limiter: AttemptLimiter, client: Any) -> None:
    long = "a" * 64
    for tail in "bcd":
        limiter.take(long + tail, "long")
    _refusal(limiter, long + "e")  # all share the counter of their first 64 characters
    assert [k.decode() for k in client.scan_iter(f"rate:{limiter.name}:*")] == [f"rate:{limiter.name}:{long}"]
    limiter.reset(long + "z")
    assert limiter.blocked_for(long) == 0


def test_without_redis_attempts_are_let_through_and_the_reason_is_logged(
    unreachable: Any, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = AttemptLimiter(unreachable, "down", limit=1, window_seconds=WINDOW)
    with caplog.at_level(logging.WARNING, logger="app.services.rate_limit"):
        assert limiter.blocked_for(ADDRESS) == 0
        limiter.check(ADDRESS, "never")
        for _ in range(3):
            limiter.take(ADDRESS, "never")
        limiter.hit(ADDRESS)
        limiter.reset(ADDRESS)
    messages = [r.getMessage() for r in caplog.records if r.name == "app.services.rate_limit"]
    prefixes = [m.split(": ", 1)[0] for m in messages]
    assert prefixes == [
        "rate limit down unavailable, not checking",
        "rate limit down unavailable, not checking",
        *["rate limit down unavailable, attempt not counted"] * 4,
        "rate limit down unavailable, not reset",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert all("Connection refused" in m or "Error" in m for m in messages)


def test_a_window_about_to_end_still_asks_to_wait_a_second(limiter: AttemptLimiter, client: Any) -> None:
    """Redis rounds a TTL under half a second down to 0: the refusal still says 1 second."""
    key = f"rate:{limiter.name}:{ADDRESS}"
    client.set(key, 3, px=400)
    refused = _refusal(limiter)
    assert refused.retry_after == 1
    assert client.pttl(key) <= 400  # and the window was not extended
