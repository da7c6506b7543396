"""Period-end projections for KPI cards and goals, computed off the request path.

A KPI row must answer in tens of milliseconds; a projection fits models (half a second or more
per metric). So a row renders at once with an empty projection slot per summed metric, and
asks for the projections here: :func:`lookup` answers from the cache when a projection is
there, and otherwise hands its computation to a small pool of background threads (one at a
time by default: two cores serve everyone's pages) and answers None; the card's poll asks
again a moment later. The answers live in the query cache under the workspace's data version,
so a new import invalidates them like every other number.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING

from dashboard.accounts import WorkspaceContext
from dashboard.forecast.series import ForecastError
from dashboard.goals import period_bounds
from dashboard.ops.priority import lower_this_thread
from dashboard.queries import cache_peek, cached_call
from dashboard.services import Services
from data.metrics import MetricError

if TYPE_CHECKING:  # scipy (behind the projection) loads only when a projection is computed
    from dashboard.forecast.projection import Projection

log = logging.getLogger(__name__)

#: the band a card's projection shows (and the goal chance is read from)
CARD_INTERVAL = 0.8
NAMESPACE = "card-projection"


@dataclass(frozen=True)
class CardPeriod:
    """The unfinished period a card projects, and how the card names it ("this month")."""

    start: date
    end: date
    word: str


def card_period(start: date, end: date, today: date) -> CardPeriod | None:
    """The period a card of the range ``start..end`` projects, or None (nothing unfinished).

    - A range that ends in the future is projected as it stands: "this month" when it is
      exactly a calendar month (quarter, year), else "by 31 Dec".
    - A range that ends today and starts on the first day of today's month, quarter or year
      (month, quarter, year to date) is projected to that period's end.
    - Any other range that ends today (the last 30 days ...) gets this month's projection,
      the question an owner asks ("where will this month land?").
    - A range that is over, or has not started, has nothing to project.
    """
    if end < today or start > today:
        return None
    for kind in ("month", "quarter", "year"):
        first, last = period_bounds(kind, today)
        if end > today and (start, end) == (first, last) or end == today and start == first:
            return CardPeriod(first, last, f"this {kind}")
    if end > today:
        return CardPeriod(start, end, f"by {end.day} {end:%b}")
    first, last = period_bounds("month", today)
    return CardPeriod(first, last, "this month")


def snapshot_goal_metric(metric) -> bool:
    """True for a snapshot metric whose goal chance comes from a forecast (MRR, ARR)."""
    from dashboard.forecast.service import SNAPSHOTS

    return bool(metric.snapshot) and metric.name in SNAPSHOTS


def has_goal_chance(metric) -> bool:
    """True when a goal on ``metric`` gets a probability: a summed metric, or MRR/ARR."""
    return bool(metric.additive) or snapshot_goal_metric(metric)


#: bumped when a cached projection's meaning changes (2: calibrated ranges; 3: calibrated
#: daily bands, a snapshot's rough flag), so none is reused
VERSION = 3


def _params(metric: str, where: dict[str, str], start: date, end: date, today: date) -> dict:
    return {
        "m": metric,
        "w": sorted(where.items()),
        "s": start,
        "e": end,
        "t": today,
        "i": CARD_INTERVAL,
        "v": VERSION,
    }


def _to_payload(projection: Projection | None) -> dict:
    if projection is None:
        return {"ok": False, "reason": "nothing to project"}
    return {"ok": True, **asdict(projection)}


def projection_of(payload: dict | None) -> Projection | None:
    """The Projection a cached payload holds (None for a refusal or a miss)."""
    from dashboard.forecast.projection import Projection

    if not payload or not payload.get("ok"):
        return None
    return Projection(**{k: v for k, v in payload.items() if k != "ok"})


def goal_probability_of(projection: Projection, target: float, up_is_good: bool) -> float:
    """The chance (0..1) that the projected period reaches ``target`` (stays within it for a budget)."""
    from dashboard.forecast.projection import goal_probability

    chance = goal_probability(projection, target, up_is_good=up_is_good)
    if projection.upper > projection.lower:  # an unsettled period is never certain, however far the target
        chance = min(max(chance, 1e-4), 1 - 1e-4)
    return chance


def compute(
    services: Services,
    ctx: WorkspaceContext,
    metric: str,
    where: dict[str, str],
    start: date,
    end: date,
    today: date,
) -> dict:
    """The projection's payload, through the cache: ``{"ok": True, ...Projection}`` or a refusal.

    A refusal (too little history, a metric the warehouse cannot answer) is cached too, so a
    card stops asking until new data arrives.
    """
    from dashboard.forecast.service import period_projection

    def work(_scoped) -> dict:
        try:
            projection = period_projection(
                services,
                ctx,
                metric,
                start,
                end,
                interval=CARD_INTERVAL,
                where=where,
                today=today,
                # However the days' bands are added up, the month's range missed in backtests
                # (the "level" sum held 89-100% of demo months at widths of 0.3-8x the total):
                # the range comes from the projection's own errors on earlier months instead.
                errors="calibrated",
            )
        except (ForecastError, MetricError) as exc:
            return {"ok": False, "reason": str(exc)}
        except Exception:  # a model that blew up must not leave the card waiting for ever
            if services.closing.is_set():  # interrupted by close(): an answer for nobody, not cached
                raise
            log.exception("projection of %s for workspace %s failed", metric, ctx.workspace.id)
            return {"ok": False, "reason": "the projection could not be computed"}
        return _to_payload(projection)

    return cached_call(services, ctx.workspace, NAMESPACE, _params(metric, where, start, end, today), work)


def lookup(
    services: Services,
    ctx: WorkspaceContext,
    metric: str,
    where: dict[str, str],
    start: date,
    end: date,
    today: date,
    *,
    runner: Runner | None = None,
) -> dict | None:
    """The cached projection payload, or None after starting its computation in the background."""
    hit = cache_peek(services, ctx.workspace, NAMESPACE, _params(metric, where, start, end, today))
    if hit is not None:
        return hit
    key = f"{id(services)}|{ctx.workspace.id}|{metric}|{sorted(where.items())}|{start}|{end}|{today}"
    (runner or RUNNER).submit(
        key,
        ctx.workspace.id,
        lambda: compute(services, ctx, metric, where, start, end, today),
        owner=services,
    )
    return None


class Runner:
    """Background threads computing projections, at most ``workers`` at once, each key once.

    Also runs the pages' warm-up after new data (``callbacks.page_warmup``, its own instance).

    A thread per task (started on demand, gone when done) rather than a long-lived pool: a
    worker stopped from outside could not take a queued task down with it. ``max_pending``
    bounds the tasks a workspace may have waiting, so forged requests naming many filter
    values cannot queue unbounded work.
    """

    def __init__(self, workers: int = 1, max_pending: int = 48, name: str = "pb-projection"):
        self.name = name  # its threads' name (thread dumps, logs)
        self._slots = threading.BoundedSemaphore(workers)
        self._pending: dict[str, tuple[int, threading.Thread]] = {}
        self._lock = threading.Lock()
        self.max_pending = max_pending

    def submit(
        self, key: str, workspace_id: int, fn: Callable[[], object], *, owner: Services | None = None
    ) -> bool:
        """Run ``fn`` in the background unless ``key`` is already running; False when too busy.

        ``fn`` reads ``owner``'s stores: it runs inside ``owner.background_work()``, so closing
        those services waits for it (or it is skipped when they are closing already).
        """
        with self._lock:
            running = self._pending.get(key)
            if running is not None and running[1].is_alive():
                return True
            waiting = sum(1 for ws, t in self._pending.values() if ws == workspace_id and t.is_alive())
            if waiting >= self.max_pending:
                return False
            thread = threading.Thread(target=self._run, args=(key, fn, owner), name=self.name, daemon=True)
            self._pending[key] = (workspace_id, thread)
        thread.start()
        return True

    def pending(self) -> int:
        """How many tasks are waiting or running."""
        with self._lock:
            return sum(1 for _, t in self._pending.values() if t.is_alive())

    def _run(self, key: str, fn: Callable[[], object], owner: Services | None) -> None:
        lower_this_thread()  # a projection is an extra: the page's own callbacks go first
        try:
            inside_stores = owner.background_work() if owner is not None else nullcontext(True)
            with self._slots, inside_stores as alive:
                if alive:
                    fn()
        except Exception:  # compute() catches its own; anything else is logged, and retried later
            if owner is not None and owner.closing.is_set():
                log.debug("background task %s stopped: its services closed", key, exc_info=True)
            else:
                log.exception("background projection %s failed", key)
        finally:
            with self._lock:
                current = self._pending.get(key)
                if current is not None and current[1] is threading.current_thread():
                    del self._pending[key]


#: the process's projection runner (projections read this process's warehouse handle)
RUNNER = Runner()
