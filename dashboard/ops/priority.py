"""Background work yields the CPU to people waiting for a page.

A page load can start work it does not wait for: the Insights panel's generation, the KPI
cards' period-end projections. On a two-core machine that work took the cores the page's own
callbacks needed (at 10M payments, 117 of 196 page callbacks within target with it running,
182 of 196 without). The threads doing such work lower their own scheduling priority, so the
kernel runs them when the cores would otherwise idle.

Two measures, because DuckDB runs part of every query on its own (normal-priority) threads:

- the thread lowers its scheduling priority (Linux schedules threads individually:
  ``setpriority(PRIO_PROCESS, <thread id>, n)`` renices only the calling thread; elsewhere a
  no-op). It cannot raise it back without privileges: only threads that end with their work;
- before each query it runs (``dashboard.queries.cached_call``), it waits until the page
  callbacks have settled (none for ``QUIET_SECONDS``), for at most ``YIELD_MAX_SECONDS`` at a
  time, so that under constant traffic it still advances; and one background query runs at
  a time in the process (``background_query``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

#: the nice value of background threads: a nice-0 thread gets ~10x their CPU share when both run
BACKGROUND_NICE = 10
#: a page load is a burst of callbacks: background queries wait until none came for this long
QUIET_SECONDS = 0.5
#: the longest a background query waits for the pages before it runs anyway (constant traffic)
YIELD_MAX_SECONDS = 5.0

#: the longest an import waits at each break between its steps (data.pacing): under constant
#: page traffic a small import (three breaks) still ends within seconds
IMPORT_STEP_MAX_WAIT_SECONDS = 2.0

#: the longest a background query waits for the one running before it goes ahead anyway
BACKGROUND_QUERY_WAIT_SECONDS = 30.0

_local = threading.local()
#: held while a background thread runs a query (see background_query)
_background_queries = threading.RLock()
#: a page callback still "running" after this long is not waited for (a request whose teardown
#: never came, e.g. a server thread stopped mid-request, must not hold background work back)
PAGE_REQUEST_MAX_SECONDS = 30.0

_pages = threading.Condition()
#: token -> when each page callback that has not ended began (monotonic seconds)
_pages_running: dict[object, float] = {}
_last_page_ended = 0.0


def page_request_started() -> object:
    """A page callback began (request hooks): a token for :func:`page_request_ended`."""
    token = object()
    with _pages:
        _pages_running[token] = time.monotonic()
    return token


def page_request_ended(token: object) -> None:
    """A page callback ended (request teardown, whatever its outcome)."""
    global _last_page_ended
    with _pages:
        _pages_running.pop(token, None)
        _last_page_ended = time.monotonic()
        if not _pages_running:
            _pages.notify_all()


def reset() -> None:
    """Forget every page callback and background query (tests: each starts with a quiet process)."""
    global _last_page_ended, _background_queries
    _background_queries = threading.RLock()  # one an earlier test's stuck thread holds is dropped
    with _pages:
        _pages_running.clear()
        _last_page_ended = 0.0
        _pages.notify_all()


def _pages_busy(now: float) -> bool:
    """Whether a page callback that began less than PAGE_REQUEST_MAX_SECONDS ago is running."""
    for token, began in list(_pages_running.items()):
        if now - began > PAGE_REQUEST_MAX_SECONDS:
            del _pages_running[token]
    return bool(_pages_running)


def yield_to_pages(max_wait: float = YIELD_MAX_SECONDS, quiet: float = QUIET_SECONDS) -> None:
    """On a background thread: wait until no page callback ran for ``quiet`` s (at most ``max_wait``)."""
    if not on_background_thread():
        return
    deadline = time.monotonic() + max_wait
    with _pages:
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            if not _pages_busy(now):
                settled_at = _last_page_ended + quiet
                if now >= settled_at:
                    return
                _pages.wait(min(settled_at, deadline) - now)
            else:
                _pages.wait(min(deadline - now, 1.0))


def pause_between_steps() -> None:
    """Installed as :func:`data.pacing.pause`: an import on a background thread lets pages go first."""
    yield_to_pages(max_wait=IMPORT_STEP_MAX_WAIT_SECONDS)


def on_background_thread() -> bool:
    """True on a thread marked by :func:`lower_this_thread`."""
    return getattr(_local, "background", False)


@contextmanager
def background_query() -> Iterator[None]:
    """On a background thread: run the block as the process's only background query at a time.

    A page load starts an insights job and several projections; side by side their queries
    would take every core from the next page. Reentrant: a query may ask another inside it.
    """
    if not on_background_thread():
        yield
        return
    # Bounded: a background query stuck elsewhere (a warehouse gone away) must not stop the rest
    lock = _background_queries
    acquired = lock.acquire(timeout=BACKGROUND_QUERY_WAIT_SECONDS)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def lower_this_thread(nice: int = BACKGROUND_NICE) -> bool:
    """Mark the calling thread as background work and lower its CPU priority (Linux); True when lowered."""
    _local.background = True
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) >= nice:
            return True
        os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:  # a sandbox that forbids it: the work runs at normal priority
        log.debug("could not lower the priority of a background thread", exc_info=True)
        return False
    return True
