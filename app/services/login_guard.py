"""Locking a username after repeated failed logins, with counters kept in Redis.

Counters live in Redis (not in a process) so every web worker on every machine sees the same
count. The Redis client is passed in: services do not open connections of their own. If Redis is
unreachable the guard lets logins through (passwords are still checked) and logs why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis

log = logging.getLogger(__name__)


def _name(username: str) -> str:
    # Case variants of one name share a counter, so "Clerk" cannot be used to dodge the lock.
    return username.strip().lower()[:100]


@dataclass
class LoginGuard:
    """``max_failures`` failed logins within ``window_seconds`` lock a username for ``lockout_seconds``."""

    client: Any
    max_failures: int = 5
    window_seconds: int = 15 * 60
    lockout_seconds: int = 15 * 60

    def locked_for(self, username: str) -> int:
        """Seconds the username stays locked (0: not locked)."""
        try:
            ttl = int(self.client.ttl(f"login-lock:{_name(username)}"))
        except redis.RedisError as err:
            log.warning("login guard unavailable, not checking lockout: %s", err)
            return 0
        return max(ttl, 0)

    def record_failure(self, username: str) -> bool:
        """Count one failure; True when this failure locked the username."""
        key = f"login-fail:{_name(username)}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.ttl(key)
            count, ttl = (int(v) for v in pipe.execute())
            if ttl < 0:
                # The window starts at the first failure; later failures do not extend it.
                # (EXPIRE NX would say this in one call, but the embedded Redis 6.2 lacks it.)
                self.client.expire(key, self.window_seconds)
            if count >= self.max_failures:
                self.client.set(f"login-lock:{_name(username)}", 1, ex=self.lockout_seconds)
                self.client.delete(key)
                return True
        except redis.RedisError as err:
            log.warning("login guard unavailable, failure not counted: %s", err)
        return False

    def reset(self, username: str) -> None:
        """Forget the failures of a username (after a successful login)."""
        try:
            self.client.delete(f"login-fail:{_name(username)}", f"login-lock:{_name(username)}")
        except redis.RedisError as err:
            log.warning("login guard unavailable, counter not reset: %s", err)
