"""One sweep leader among any number of `worker.py --cron` processes: a Redis lease with a
fencing token.

Why Redis and not a PostgreSQL advisory lock: the cron process holds no database connection
otherwise, and a session advisory lock lives as long as its connection — behind a transaction
pooler (pgbouncer) it is not held at all, and a half-dead TCP connection keeps it until the
server's keepalive gives up. A lease in Redis (which rq needs anyway) expires on its own
``lease`` seconds after the leader last renewed it, however the leader died.

A lease alone is not enough: a leader paused past its lease (a long GC, a frozen VM) wakes up
still believing it leads, while another has taken over. So each new leader takes the next number
of a counter (the fencing token), every sweep job it queues carries that number, and a sweep
whose number is no longer the current one does nothing (``fence_is_current``)."""

from __future__ import annotations

import os
import socket
import uuid

from redis import Redis

# Take the lease when free and hand out the next fencing token with it, in one step, so two
# candidates can never both hold it or share a token.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    local token = redis.call('INCR', KEYS[2])
    redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
    return token
end
return false
"""
# Renew (or release) only while the lease is still ours: it may have lapsed and been taken.
_RENEW = """
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def lease_key(queue_name: str) -> str:
    return f"permitflow:{queue_name}:sweep-leader"


def fence_key(queue_name: str) -> str:
    return f"permitflow:{queue_name}:sweep-fence"


class SweepLeader:
    """This process's candidacy: ``hold`` takes or keeps the lease and answers the fencing token
    while this process leads, None while another one does."""

    def __init__(self, connection: Redis, queue_name: str, lease_seconds: float) -> None:
        self.connection = connection
        self.keys = [lease_key(queue_name), fence_key(queue_name)]
        self.lease_ms = max(1, int(lease_seconds * 1000))
        # Who holds the lease, as operators read it with `redis-cli GET`.
        self.me = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.token: int | None = None

    def hold(self) -> int | None:
        if self.token is not None and not self._call(_RENEW):
            self.token = None  # lapsed (this process stalled past its lease); maybe taken
        if self.token is None:
            taken = self._call(_ACQUIRE)
            self.token = int(str(taken)) if taken else None
        return self.token

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so another takes over without waiting."""
        if self.token is not None:
            self._call(_RELEASE)
            self.token = None

    def _call(self, script: str) -> object:
        return self.connection.eval(script, 2, *self.keys, self.me, str(self.lease_ms))


def fence_is_current(connection: Redis, queue_name: str, token: int) -> bool:
    """Whether ``token`` is the newest leader's: a sweep queued by an older leader must not run."""
    current = connection.get(fence_key(queue_name))
    return isinstance(current, bytes | str) and int(current) == token
