"""Counting attempts per client address (or per account) in Redis, to refuse guessing query codes
and floods of submissions.

A fixed window starts at the first counted attempt of an address; once ``limit`` attempts are
counted, every further attempt from that address is refused until the window ends, even one that
would succeed (a right query code after many wrong ones included): otherwise the refusal would tell
a guesser when they hit. Counters live in Redis so every web worker on every machine shares them;
the Redis client is passed in. If Redis is unreachable, attempts are let through (the code is still
checked) and the reason is logged, as the login guard does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis

from app.errors import TooManyRequests

log = logging.getLogger(__name__)

# INCR, and the window's expiry set by the first attempt (later ones do not extend it), as one
# step: a key never stays without expiry, and the returned count is this attempt's place.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


@dataclass
class AttemptLimiter:
    """At most ``limit`` counted attempts per address within ``window_seconds``."""

    client: Any
    name: str
    limit: int
    window_seconds: int

    def _key(self, address: str) -> str:
        return f"rate:{self.name}:{address[:64]}"

    def blocked_for(self, address: str) -> int:
        """Seconds until the address may try again (0: it may try now)."""
        try:
            pipe = self.client.pipeline()
            pipe.get(self._key(address))
            pipe.ttl(self._key(address))
            count, ttl = pipe.execute()
        except redis.RedisError as err:
            log.warning("rate limit %s unavailable, not checking: %s", self.name, err)
            return 0
        if count is None or int(count) < self.limit:
            return 0
        return max(int(ttl), 1)

    def check(self, address: str, message: str) -> None:
        """Raise TooManyRequests (with ``message`` and the seconds to wait) if the address is blocked."""
        wait = self.blocked_for(address)
        if wait:
            self._refuse(message, wait)

    def _count(self, address: str) -> tuple[int, int] | None:
        """Count one attempt in one atomic step: the count so far (this one included) and the
        seconds left in the window; None when Redis is unreachable."""
        try:
            count, ttl = self.client.eval(_COUNT, 1, self._key(address), self.window_seconds)
        except redis.RedisError as err:
            log.warning("rate limit %s unavailable, attempt not counted: %s", self.name, err)
            return None
        return int(count), int(ttl)

    def hit(self, address: str) -> None:
        """Count one attempt of the address."""
        self._count(address)

    def take(self, address: str, message: str) -> None:
        """Count one attempt and raise TooManyRequests when it is beyond the limit.

        Unlike `check` then `hit`, no two concurrent requests can both see the last free attempt:
        the count Redis returns decides, so at most ``limit`` attempts per window get through.
        """
        counted = self._count(address)
        if counted is not None and counted[0] > self.limit:
            self._refuse(message, max(counted[1], 1))

    def _refuse(self, message: str, wait: int) -> None:
        raise TooManyRequests(f"{message}; try again in {max(1, -(-wait // 60))} minute(s)", retry_after=wait)

    def reset(self, address: str) -> None:
        try:
            self.client.delete(self._key(address))
        except redis.RedisError as err:
            log.warning("rate limit %s unavailable, not reset: %s", self.name, err)


LOOKUP_REFUSED = "too many wrong query codes from your address"
SUBMIT_REFUSED = "too many submissions without an account from your address"
VERIFY_REFUSED = "too many certificate verifications from your address"
ACCOUNT_SUBMIT_REFUSED = "too many complaints from your account"


def account_key(user_id: int) -> str:
    """The submission budget of an account, counted beside (and never mixed with) addresses."""
    return f"account:{user_id}"
