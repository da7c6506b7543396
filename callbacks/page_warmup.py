"""New data: compute what the first visit of each analytics page asks for, before anyone asks.

An import or sync bumps the workspace's data version, and every cached answer of its pages is
stale: the next visitor's page load would compute its KPI row and first row of panels at once,
several queries side by side on two cores (at 10M payments each answer took 200-460 ms as the
browser timed it, against 25-115 ms one by one). Computed here in the background, through the
same functions and cache keys as the callbacks, the visit finds them cached: its layout holds
the KPI row and the first row of panels, and the page asks the server for nothing it shows.

What is computed is the view a visitor lands on: the default range (``dashboard.filters.
DEFAULTS``) with no page filter. The rest of a page (panels below the first row, other
ranges) is computed when asked, as before. The work runs on a low-priority background thread
and waits for page callbacks to settle before each query (``dashboard.ops.priority``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta

from callbacks import _analytics as an
from callbacks.common import Scope
from dashboard.accounts import Role, WorkspaceContext
from dashboard.filters import FilterState, today_in
from dashboard.forecast.cards import Runner
from dashboard.services import Services
from data.metrics import MetricError
from data.warehouse import WorkspaceRef

log = logging.getLogger(__name__)

#: one warm-up at a time in the process. Keyed by workspace and data version, at most two per
#: workspace: new data while one runs queues one more, which waits its turn and then reads the
#: newest version (any import after that finds it waiting, and is covered by it).
RUNNER = Runner(workers=1, max_pending=2, name="pb-page-warm-up")


def page_specs() -> list[an.PageSpec]:
    """The analytics pages built from a spec (revenue, campaigns, customers)."""
    from callbacks import campaigns, customers, revenue

    return [revenue.SPEC, campaigns.SPEC, customers.SPEC]


def warm_pages(
    services: Services,
    workspace: WorkspaceRef,
    *,
    today: date | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Compute and cache the default view of every analytics page of ``workspace``; answers computed.

    The overview's KPI row and trend, and for each spec page its KPI row, its first row of
    panels and its page filters' choices. An answer that fails (a metric the data cannot
    answer) is skipped: its panel's callback says why when it is shown. The answers do not
    depend on who asks (the cache is keyed by workspace, data version and parameters, never
    by user or role), so an owner's context stands in for the first visitor. ``stop`` (a server
    shutting down) ends the work between two answers.
    """
    from callbacks.overview import kpi_row_for, trend_for

    ctx = WorkspaceContext(user_id=0, role=Role.OWNER, workspace=workspace)
    scope = Scope(services, ctx, FilterState.from_store(None, today or today_in(workspace.timezone)))
    tasks = [
        ("overview kpis", lambda: kpi_row_for(scope)),
        ("overview trend", lambda: trend_for(scope, "net_revenue")),  # the trend select's default
    ]
    for spec in page_specs():
        items = ([spec.kpis.item] if spec.kpis else []) + an.held_item_names(spec)
        for item in items:
            tasks.append((f"{spec.page} {item}", lambda s=spec, i=item: an.render_panel(s, i, scope, {})))
        if spec.options:
            tasks.append((f"{spec.page} filters", lambda s=spec: s.options(scope)))
    computed = 0
    for name, task in tasks:
        if (stop is not None and stop.is_set()) or services.closing.is_set():
            break
        try:
            task()
            computed += 1
        except (MetricError, OverflowError):  # the panel's callback shows why, as it would have
            log.debug("warm-up of %s skipped for workspace %s", name, workspace.id, exc_info=True)
    return computed


def warm_pages_later(services: Services, workspace: WorkspaceRef) -> bool:
    """Start :func:`warm_pages` on a background thread (never raises); False when too many wait.

    Called after an import or sync, once the new data is in: the job ends when its rows are in,
    not when the pages are warm. A warm-up already running for older data goes on; this one
    runs after it.
    """

    def run() -> None:
        try:
            warm_pages(services, workspace)
        except Exception:  # a failed warm-up only means the first visitor computes the answers
            if services.closing.is_set():  # interrupted by close(): nothing went wrong
                return
            log.warning("could not warm the pages of workspace %s", workspace.id, exc_info=True)

    try:
        version = services.warehouse.scoped(workspace).data_version()
        # keyed by the services too: two apps in one process (tests) share the runner
        key = f"pages:{id(services)}:{workspace.id}:{version}"
        return RUNNER.submit(key, workspace.id, run, owner=services)
    except RuntimeError:  # no thread could be started (interpreter shutting down)
        return False


#: at start-up, the workspaces someone visited within this many days are warmed ...
RECENT_DAYS = 7
#: ... at most this many, the most recently visited first (a host of thousands of workspaces
#: warms the ones in use, not every one)
RECENT_LIMIT = 20


def recently_visited(
    services: Services, *, days: int = RECENT_DAYS, limit: int = RECENT_LIMIT
) -> list[WorkspaceRef]:
    """Workspaces whose members had a session seen within ``days`` days, latest first."""
    from sqlalchemy import func, select

    from dashboard.accounts import to_ref
    from dashboard.models import Membership, UserSession, Workspace

    since = datetime.now(UTC) - timedelta(days=days)
    latest = func.max(UserSession.last_seen_at)
    query = (
        select(Workspace)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .join(UserSession, UserSession.user_id == Membership.user_id)
        .where(UserSession.last_seen_at >= since)
        .group_by(Workspace.id)
        .order_by(latest.desc())
        .limit(limit)
    )
    with services.db.session() as session:
        return [to_ref(workspace) for workspace in session.scalars(query)]


def warm_recent(services: Services, stop: threading.Event | None = None) -> int:
    """At start-up: warm the pages of the recently visited workspaces, one after another; how many.

    After a deploy every cached answer is stale (the cache key holds the code's fingerprint,
    ``dashboard.queries``), so the first visit of each page would compute everything at once.
    Runs on the server's warm-up thread, lowered like any background work; ``stop`` (set when
    the server drains) ends it between two answers, so a shutdown never waits for it.
    """
    from dashboard.ops.priority import lower_this_thread

    lower_this_thread()
    warmed = 0
    for workspace in recently_visited(services):
        if stop is not None and stop.is_set():
            break
        try:
            warm_pages(services, workspace, stop=stop)
            warmed += 1
        except Exception:  # the next workspace still gets its warm-up
            log.warning("could not warm the pages of workspace %s", workspace.id, exc_info=True)
    return warmed
