"""Locking logins after repeated failures, keyed by account *and* source address, with counters in
Redis.

Two budgets are counted for every failed login: one per (username, address) pair and one per
address across all usernames. Exhausting the pair's budget locks that username *from that address*
only, so nobody can lock a chosen user (``admin``) out from an address of their own; exhausting the
address's budget locks every login from that address, so one address cannot guess without limit by
spreading guesses over many usernames. A successful login clears the pair's counters, never the
address's (else one valid account would refill an attacker's budget).

Counters live in Redis (not in a process) so every web worker on every machine, and every
authentication path (token endpoint, page login), sees the same count. The Redis client is passed
in: services do not open connections of their own. If Redis is unreachable the guard lets logins
through (passwords are still checked) and logs why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any

import redis

log = logging.getLogger(__name__)

# INCR, and the window's expiry set by the first failure (later ones do not extend it), as one
# step, so a counter never stays without expiry.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""

# A marker outlives its lock by this long, so that the lock's end can be noticed (and audited)
# at the next attempt even if that attempt comes well after the lock ran out.
_MARKER_GRACE_SECONDS = 7 * 86400


def _name(username: str) -> str:
    # Case variants of one name share a counter, so "Clerk" cannot be used to dodge the lock.
    return username.strip().lower()[:100]


def _address(address: str) -> str:
    return (address or "unknown")[:64]


class LockScope(Enum):
    """What a lockout covers: one username from one address, or every login from one address."""

    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class Lockout:
    """A lock that started (or ended): its scope, the username (for account locks) and the address."""

    scope: LockScope
    username: str | None
    address: str
    seconds: int

    def detail(self) -> dict[str, Any]:
        """The audit detail of this lockout."""
        return {
            "scope": self.scope.value,
            "username": self.username,
            "address": self.address,
            "seconds": self.seconds,
        }


@dataclass
class LoginGuard:
    """``max_failures`` failed logins of a username from one address within ``window_seconds`` lock
    that pair for ``lockout_seconds``; ``address_max_failures`` failures from one address, whatever
    the usernames, lock the address for as long."""

    client: Any
    max_failures: int = 5
    window_seconds: int = 15 * 60
    lockout_seconds: int = 15 * 60
    address_max_failures: int = 20

    def _keys(self, username: str, address: str) -> dict[LockScope, str]:
        addr = _address(address)
        return {LockScope.ACCOUNT: f"{_name(username)}|{addr}", LockScope.ADDRESS: addr}

    def locked_for(self, username: str, address: str) -> int:
        """Seconds a login of this username from this address stays refused (0: not locked)."""
        keys = self._keys(username, address)
        try:
            pipe = self.client.pipeline()
            for scope, key in keys.items():
                pipe.ttl(f"login-lock:{scope.value}:{key}")
            ttls = [int(v) for v in pipe.execute()]
        except redis.RedisError as err:
            log.warning("login guard unavailable, not checking lockout: %s", err)
            return 0
        return max(0, *ttls)

    def address_locked(self, address: str) -> bool:
        """Whether every login from this address is refused (to say so rather than blame the account)."""
        try:
            return int(self.client.ttl(f"login-lock:address:{_address(address)}")) > 0
        except redis.RedisError:
            return False

    def record_failure(self, username: str, address: str) -> list[Lockout]:
        """Count one failed login; the lockouts this failure started (none, one or both scopes)."""
        started: list[Lockout] = []
        limits = {LockScope.ACCOUNT: self.max_failures, LockScope.ADDRESS: self.address_max_failures}
        try:
            for scope, key in self._keys(username, address).items():
                failures = f"login-fail:{scope.value}:{key}"
                count = int(self.client.eval(_COUNT, 1, failures, self.window_seconds))
                if count < limits[scope]:
                    continue
                pipe = self.client.pipeline()
                pipe.set(f"login-lock:{scope.value}:{key}", 1, ex=self.lockout_seconds)
                marker_seconds = self.lockout_seconds + _MARKER_GRACE_SECONDS
                pipe.set(f"login-locked:{scope.value}:{key}", 1, ex=marker_seconds)
                pipe.delete(failures)
                pipe.execute()
                started.append(self._lockout(scope, username, address))
        except redis.RedisError as err:
            log.warning("login guard unavailable, failure not counted: %s", err)
        return started

    def released(self, username: str, address: str) -> list[Lockout]:
        """The locks on this username and address that have ended since they were last looked at.

        Each ended lock is reported once, to one caller (the marker's DELETE decides who)."""
        ended: list[Lockout] = []
        try:
            for scope, key in self._keys(username, address).items():
                if self.client.exists(f"login-lock:{scope.value}:{key}"):
                    continue
                if self.client.delete(f"login-locked:{scope.value}:{key}"):
                    ended.append(self._lockout(scope, username, address))
        except redis.RedisError as err:
            log.warning("login guard unavailable, releases not checked: %s", err)
        return ended

    def reset(self, username: str, address: str) -> None:
        """Forget the failures of a username from an address (after a successful login)."""
        key = self._keys(username, address)[LockScope.ACCOUNT]
        try:
            self.client.delete(
                f"login-fail:account:{key}", f"login-lock:account:{key}", f"login-locked:account:{key}"
            )
        except redis.RedisError as err:
            log.warning("login guard unavailable, counter not reset: %s", err)

    def _lockout(self, scope: LockScope, username: str, address: str) -> Lockout:
        return Lockout(
            scope=scope,
            username=_name(username) if scope is LockScope.ACCOUNT else None,
            address=_address(address),
            seconds=self.lockout_seconds,
        )
