"""Login throttling and lockout, per account and per client address.

Built on ``limits`` (the engine under flask-limiter) with the same storage as the API's rate
limits: in memory for one process, Redis (``PULSEBOARD_REDIS_URL``) when several processes
must share the counts. Only failures count: a user who types the right password is never
slowed down by their own successful log-ins, while a guesser is stopped after a few tries.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

#: Where the server keeps the throttle of API requests with wrong tokens (``server.extensions``).
API_THROTTLE_KEY = "pulseboard.api_auth_throttle"


def storage_for(redis_url: str | None) -> Storage:
    """The counter storage: Redis when configured, else this process's memory."""
    return storage_from_string(redis_url or "memory://")


class LoginThrottle:
    """Counts failed log-ins and says when an account or an address must wait."""

    def __init__(self, storage: Storage, per_account: str, per_ip: str, *, namespace: str = "login"):
        """``namespace`` keeps separate counts for another form under the same limits (e.g. "reset")."""
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_account = parse(per_account)
        self._per_ip = parse(per_ip)
        self._account_ns = f"{namespace}-account"
        self._ip_ns = f"{namespace}-ip"

    def wait_seconds(self, email: str | None, ip: str) -> int:
        """Seconds until the next attempt may be made (0: go ahead); ``email`` None: the address only."""
        waits = [self._wait(self._per_ip, self._ip_ns, ip)]
        if email is not None:
            waits.append(self._wait(self._per_account, self._account_ns, email))
        return max(waits)

    def failed(self, email: str | None, ip: str) -> None:
        """Count one failed attempt against the account (unless None) and the address."""
        if email is not None:
            self._limiter.hit(self._per_account, self._account_ns, email)
        self._limiter.hit(self._per_ip, self._ip_ns, ip)

    def succeeded(self, email: str) -> None:
        """Forget the account's failures (its owner got in); the address keeps its count."""
        self._limiter.clear(self._per_account, self._account_ns, email)

    def _wait(self, item, namespace: str, key: str) -> int:
        if self._limiter.test(item, namespace, key):
            return 0
        reset_at = self._limiter.get_window_stats(item, namespace, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
