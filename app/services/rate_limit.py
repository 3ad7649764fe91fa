"""Counting attempts per client address in Redis, to refuse guessing query codes and floods of
submissions without an account.

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
            raise TooManyRequests(
                f"{message}; try again in {max(1, -(-wait // 60))} minute(s)", retry_after=wait
            )

    def hit(self, address: str) -> None:
        """Count one attempt of the address."""
        key = self._key(address)
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.ttl(key)
            _count, ttl = pipe.execute()
            if int(ttl) < 0:
                # The window starts at the first attempt; later ones do not extend it.
                self.client.expire(key, self.window_seconds)
        except redis.RedisError as err:
            log.warning("rate limit %s unavailable, attempt not counted: %s", self.name, err)

    def reset(self, address: str) -> None:
        try:
            self.client.delete(self._key(address))
        except redis.RedisError as err:
            log.warning("rate limit %s unavailable, not reset: %s", self.name, err)


LOOKUP_REFUSED = "too many wrong query codes from your address"
SUBMIT_REFUSED = "too many submissions without an account from your address"
