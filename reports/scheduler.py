"""The scheduler loop: every ``interval`` seconds, claim and send what is due.

It runs on a daemon thread of ``pulseboard serve`` (unless ``PULSEBOARD_SCHEDULER=false``) and
in every ``pulseboard worker`` process; the app DB claims make any number of them safe together.
The warehouse is opened only when something was claimed: DuckDB allows one writing process per
file, so a worker beside a running server waits for it and, if it stays busy, gives the claim
back (its lease expires at once) for the server's own scheduler thread to send.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from dashboard.services import Services
from data.warehouse import WarehouseLocked
from reports.delivery import Outcome, claim_due, deliver, purge_expired_files, release, worker_id

log = logging.getLogger("pulseboard.scheduler")

INTERVAL_SECONDS = 30.0
#: how long a claimer waits for another process to let go of the warehouse
WAREHOUSE_WAIT_SECONDS = 60.0


class WarehouseBusy(RuntimeError):
    """Claims were made but another process kept the warehouse; the claims were given back."""


def tick(
    services: Services, now: datetime | None = None, *, wait: float = WAREHOUSE_WAIT_SECONDS
) -> list[Outcome]:
    """One pass: claim what is due at ``now``, open the warehouse if needed, deliver."""
    owner = worker_id()
    now = now or datetime.now(UTC)
    claimed = claim_due(services, now, owner)
    outcomes: list[Outcome] = []
    if claimed:
        _open_warehouse(services, claimed, owner, wait)
        outcomes = [deliver(services, run_id, owner) for run_id in claimed]
    purge_expired_files(services, now)
    return outcomes


def _open_warehouse(services: Services, claimed: list[int], owner: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            services.warehouse  # noqa: B018 - opening it is the point
            return
        except WarehouseLocked as exc:
            if time.monotonic() >= deadline:
                release(services, claimed, owner)
                raise WarehouseBusy(f"{exc}; its scheduler sends the due reports") from None
            time.sleep(0.5)


def run_forever(services: Services, stop: threading.Event, interval: float = INTERVAL_SECONDS) -> None:
    """Tick until ``stop`` is set; an error in one pass is logged and the loop goes on."""
    while not stop.is_set():
        try:
            for outcome in tick(services):
                log.info(
                    "report run %s: %s after %s attempt(s)", outcome.run_id, outcome.status, outcome.attempts
                )
        except WarehouseBusy as exc:
            log.info("%s", exc)
        except Exception:  # the loop must survive a bad pass (the app DB briefly away, say)
            log.exception("scheduler pass failed")
        stop.wait(interval)


def start_thread(services: Services, interval: float = INTERVAL_SECONDS) -> threading.Event:
    """Run the loop on a daemon thread of this process; set the returned event to stop it.

    The thread is the event's ``thread`` attribute, for a caller that waits for it to end.
    """
    stop = threading.Event()
    stop.thread = threading.Thread(
        target=run_forever, args=(services, stop, interval), name="pb-report-scheduler", daemon=True
    )
    stop.thread.start()
    return stop
