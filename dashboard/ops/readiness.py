"""Is this process ready for traffic? One check per store it needs, named in the answer.

A check answers ``"ok"``, ``"not configured"`` or ``"unreachable (<error class>)"``: the class
name says what kind of failure it was without repeating the error text, which can carry a
host, a file path or a database URL. The full error goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text

from dashboard import jobs
from dashboard.services import Services

log = logging.getLogger("pulseboard.readiness")

OK = "ok"
NOT_CONFIGURED = "not configured"
#: seconds a Redis ping may take before the check fails (a probe must answer quickly)
REDIS_TIMEOUT = 2.0


def check_app_db(services: Services) -> None:
    """``SELECT 1`` on the app DB."""
    with services.db.engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()


def check_warehouse(services: Services) -> None:
    """Open the warehouse if it is not open yet and run ``SELECT 1`` on this thread's cursor."""
    services.warehouse.cursor().execute("SELECT 1").fetchone()


def check_redis(services: Services) -> str | None:
    """Ping Redis when one is configured; ``NOT_CONFIGURED`` otherwise."""
    url = services.settings.redis_url
    if not url:
        return NOT_CONFIGURED
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()
    return None


CHECKS: dict[str, Callable[[Services], str | None]] = {
    "app_db": check_app_db,
    "warehouse": check_warehouse,
    "redis": check_redis,
}


def readiness(services: Services) -> tuple[bool, dict]:
    """(ready, JSON body): every check's state, and ``failing`` naming the ones that failed."""
    checks: dict[str, str] = {}
    failing: list[str] = []
    for name, check in CHECKS.items():
        try:
            checks[name] = check(services) or OK
        except Exception as exc:  # a store that is down must give 503, never a 500
            log.warning("readiness check %s failed: %s", name, exc)
            checks[name] = f"unreachable ({type(exc).__name__})"
            failing.append(name)
    if jobs.REGISTRY.closed:  # shutting down: finish what runs, let the load balancer move on
        checks["shutdown"] = "in progress"
        failing.append("shutdown")
    ready = not failing
    body: dict = {"status": "ready" if ready else "not ready", "checks": checks}
    if failing:
        body["failing"] = failing
    return ready, body
