"""A page's layout brings its first screen: cached answers at once, uncached ones within a budget.

A page opened at a range nobody asked for yet had its layout hold nothing: the browser drew the
empty page, then asked one callback per panel, all at once. On two cores those requests shared
the CPU with each other and with the browser drawing the answers that came first: at 10M
payments the Revenue page's three first-screen callbacks (about 90 ms of work one after
another) took 130-450 ms as the browser timed them, and the page settled after ~0.9 s.

The layout now computes the missing answers itself, side by side, while the browser is still
loading the page's scripts, and waits for them up to :data:`BUDGET_SECONDS`. What is done by then
is in the layout; what is not goes on computing into the query cache, where its panel's
callback finds it (or waits for it: ``dashboard.queries.cached_call`` runs each query once).
A slow query therefore never holds the whole page back by more than the budget.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from typing import Any

from dashboard.queries import CacheMiss, peek_only
from dashboard.services import Services

log = logging.getLogger(__name__)

#: At most this many first-screen answers compute at once in the process (two pages' worth). The
#: work outlives its request: without a bound, a client asking layout after layout for new ranges
#: would pile up computations beyond the server's request threads. Past it, a panel's callback
#: computes the answer, as before.
MAX_RUNNING = 8
_running = threading.BoundedSemaphore(MAX_RUNNING)

#: The longest a layout waits for its first screen's uncached answers. Above the 100-300 ms a cold
#: 90-day Revenue page takes at 10M payments on 2 cores beside the browser (with 0.08 s the
#: callbacks still ran, at 125-364 ms p95), well below the 1.5 s a first visit may take.
BUDGET_SECONDS = 0.4


def first_screen(
    services: Services,
    tasks: dict[str, Callable[[], Any]],
    *,
    expected: tuple[type[Exception], ...] = (),
    budget: float | None = None,
) -> dict[str, Any]:
    """Each task's answer by name: from the cache, or computed within ``budget`` seconds.

    ``budget`` defaults to :data:`BUDGET_SECONDS`. A task raising one of ``expected`` (a metric
    the data cannot answer) maps to the exception itself, for the caller to show as its callback
    would. Any other failure is logged and left out: the panel's callback asks again and reports
    it. Tasks must not read Flask's request (they run on their own threads, in a copy of this
    context: the number locale goes along).
    """
    out: dict[str, Any] = {}
    missing: dict[str, Callable[[], Any]] = {}
    for name, task in tasks.items():
        try:
            with peek_only():
                out[name] = task()
        except CacheMiss:
            missing[name] = task
        except expected as exc:
            out[name] = exc
        except Exception:  # the page still opens; the panel's callback asks again and reports it
            log.warning("first-screen answer %s failed", name, exc_info=True)
    if not missing:
        return out
    done: dict[str, Any] = {}
    finished = threading.Condition()

    def run(name: str, task: Callable[[], Any]) -> None:
        try:
            compute(name, task)
        finally:
            _running.release()

    def compute(name: str, task: Callable[[], Any]) -> None:
        # Inside the stores' background work: a server closing waits for it (Services.close).
        with services.background_work() as alive:
            value: Any = _FAILED  # closing: nothing to compute
            if alive:
                try:
                    value = task()
                except expected as exc:
                    value = exc
                except Exception:  # the panel's callback asks again and shows the error
                    log.warning("first-screen answer %s failed", name, exc_info=True)
            with finished:
                done[name] = value
                finished.notify_all()

    started = 0
    for name, task in missing.items():
        if not _running.acquire(blocking=False):
            break  # busy: the rest is left to the panels' callbacks
        context = contextvars.copy_context()
        try:
            threading.Thread(
                target=context.run, args=(run, name, task), name=f"pb-first-screen-{name}", daemon=True
            ).start()
        except RuntimeError:  # no thread could be started (interpreter shutting down)
            _running.release()
            break
        started += 1
    with finished:
        finished.wait_for(lambda: len(done) == started, timeout=BUDGET_SECONDS if budget is None else budget)
        out.update((name, value) for name, value in done.items() if value is not _FAILED)
    return out


#: marks a task that failed unexpectedly (left out of the answers)
_FAILED = object()
