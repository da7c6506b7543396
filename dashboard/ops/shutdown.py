"""Graceful shutdown of ``pulseboard serve``: finish running jobs, start no new ones, then stop.

On the first SIGTERM or SIGINT the server keeps answering requests (users watch their import's
progress; ``/readyz`` says 503 so a load balancer stops sending new visitors) while the job
registry refuses new jobs and the scheduler stops claiming reports. Once no job runs, or after
``grace`` seconds, the main thread is interrupted and the WSGI server's loop ends. A second
signal stops at once. An abandoned import loses nothing: its warehouse transaction rolls back.
"""

from __future__ import annotations

import _thread
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable

from dashboard.jobs import JobRegistry

log = logging.getLogger("pulseboard.shutdown")

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class GracefulShutdown:
    """The signal handler and the drain that follows it (one per ``serve``)."""

    def __init__(
        self,
        registry: JobRegistry,
        grace: float,
        *,
        on_drain: Iterable[Callable[[], object]] = (),
        stop: Callable[[], None] | None = None,
    ):
        self.registry = registry
        self.grace = grace
        self.on_drain = list(on_drain)
        #: ends the server loop; by default it interrupts the main thread (where the loop runs)
        self.stop = stop or (lambda: _thread.interrupt_main(signal.SIGTERM))
        self.draining = threading.Event()
        self.drained = threading.Event()
        #: jobs still running when the drain gave up (empty when every job finished)
        self.abandoned: list = []

    def install(self) -> None:
        """Handle SIGTERM and SIGINT with :meth:`handle` (Python runs signal handlers in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            log.warning("not on the main thread: SIGTERM/SIGINT keep their default behaviour")
            return
        for signum in SIGNALS:
            signal.signal(signum, self.handle)

    def handle(self, signum: int, _frame=None) -> None:
        """First signal: start draining on a thread. After the drain, or on a second signal: stop."""
        if self.drained.is_set():
            raise SystemExit(0)  # the drain's own interrupt: leave the server loop
        if self.draining.is_set():
            self.abandoned = self.registry.running()
            log.warning(
                "second %s: stopping now; %d job(s) abandoned",
                signal.Signals(signum).name,
                len(self.abandoned),
            )
            raise SystemExit(0)
        self.draining.set()
        log.info("%s received: shutting down", signal.Signals(signum).name)
        threading.Thread(target=self.drain, name="pb-shutdown", daemon=True).start()

    def drain(self) -> list:
        """Refuse new jobs, wait up to ``grace`` for running ones, then stop; the abandoned jobs."""
        self.registry.close()
        for hook in self.on_drain:
            try:
                hook()
            except Exception:  # a hook that fails must not keep the process up
                log.warning("shutdown hook %r failed", hook, exc_info=True)
        running = self.registry.running()
        if running:
            log.info(
                "waiting up to %gs for %d running job(s): %s",
                self.grace,
                len(running),
                ", ".join(f"{job.kind} {job.label!r}" for job in running),
            )
        self.abandoned = self.registry.wait_idle(self.grace)
        if self.abandoned:
            log.warning(
                "grace period of %gs is over: stopping with %d job(s) still running: %s",
                self.grace,
                len(self.abandoned),
                ", ".join(f"{job.kind} {job.label!r}" for job in self.abandoned),
            )
        elif running:
            log.info("all %d job(s) finished", len(running))
        self.drained.set()
        self.stop()
        return self.abandoned


def settle(threads: Iterable[threading.Thread], timeout: float) -> list[threading.Thread]:
    """Wait up to ``timeout`` seconds in all for ``threads`` to end; the ones still running.

    The server's own background threads (warm-up, report scheduler) may be inside DuckDB or
    polars when the loop ends. Closing the warehouse, or letting the interpreter finalize,
    under a running native call aborts the process ("terminate called without an active
    exception", exit -6) instead of exiting 0, so ``serve`` waits for them first.
    """
    deadline = time.monotonic() + timeout
    threads = list(threads)
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return [thread for thread in threads if thread.is_alive()]


def exit_now(code: int = 0) -> None:
    """Leave without interpreter finalization: flush the logs and streams, then ``os._exit``.

    Used only when work is still running on other threads (abandoned jobs): finalizing would
    tear native libraries down under those threads and abort the process.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
