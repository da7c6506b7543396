"""The KPI cards' period-end projections and goal chances, filled in after the row is drawn.

A KPI row renders at once with an empty projection slot in each summed metric's card and a
``dcc.Interval`` (see :func:`callbacks._analytics.with_projections`). This poll reads the
projections from the cache, starts the missing ones in the background
(:mod:`dashboard.forecast.cards`), and stops once every slot is answered. It never fits a
model itself, so each call costs a few cache reads.

The workspace comes from the session; the metrics (slot ids) and filters (the row's store)
come from the browser and are validated here: unknown or non-summed metrics get nothing.
"""

from __future__ import annotations

import logging
from datetime import date

from dash import ALL, Input, Output, State, callback, no_update

from callbacks import _analytics as an
from callbacks.common import Scope, request_scope
from components import ids
from components.forecast import goal_text, projection_text
from components.formatting import format_value
from components.kpi_card import projecting, projection_lines
from dashboard.accounts import WorkspaceContext
from dashboard.filters import FilterState, today_in
from dashboard.forecast import cards as fc
from dashboard.goals import goal_candidates
from dashboard.goals import period_bounds as goal_period_bounds
from dashboard.services import Services
from data.metrics import CATALOGUE

log = logging.getLogger(__name__)

#: a row never has more summed cards than this; a forged request naming more gets nothing
MAX_SLOTS = 24


def slot_contents(
    scope: Scope, metrics: list, filters: dict, today: date, *, runner: fc.Runner | None = None
) -> tuple[list, bool]:
    """The children of each metric's projection slot, and whether every slot is answered.

    A slot reads "On track for $41.2k this month, 80% range $38k–$44k" and, when the metric
    has a goal for the range whose period is under way, "72% chance to reach $50k". A snapshot
    metric (MRR, ARR) with such a goal gets the chance line alone, from the forecast of its
    value on the goal period's last day. A metric that cannot be projected (too little
    history, neither a sum nor a forecastable snapshot) gets an empty slot.
    """
    f = scope.filters
    period = fc.card_period(f.start, f.end, today)
    goals = (
        {}
        if filters
        else an.matching_goals(goal_candidates(scope.services, scope.ctx, f.end), f.start, f.end)
    )
    currency = scope.ctx.workspace.currency
    out, done = [], True

    def ask(name: str, start: date, end: date):
        where = an.where_for(name, filters)
        return fc.lookup(scope.services, scope.ctx, name, where, start, end, today, runner=runner)

    for name in metrics:
        metric = CATALOGUE.get(name) if isinstance(name, str) else None
        if metric is None or period is None or not (metric.additive or fc.snapshot_goal_metric(metric)):
            out.append([])
            continue
        if not metric.additive:  # MRR, ARR: no period total to project, only a goal's chance
            slot, answered = _snapshot_slot(metric, goals.get(name), today, currency, ask)
            done = done and answered
            out.append(slot)
            continue
        payload = ask(name, period.start, period.end)
        chance = None
        goal = goals.get(name)
        if goal is not None:
            first, last = goal_period_bounds(goal.period, goal.period_start)
            if first <= today <= last:
                same = (first, last) == (period.start, period.end)
                chance = payload if same else ask(name, first, last)
                done = done and chance is not None
        if payload is None:
            done = False
            out.append(projecting())
            continue
        projection = fc.projection_of(payload)
        line = (
            None
            if projection is None
            else projection_text(projection, metric.display_unit, currency, period.word)
        )
        chance_line = None
        goal_projection = fc.projection_of(chance) if chance is not None else None
        if goal is not None and goal_projection is not None:
            probability = fc.goal_probability_of(goal_projection, goal.target, metric.up_is_good)
            target = format_value(goal.target, metric.display_unit, currency, compact=True)
            chance_line = goal_text(
                probability, target, up_is_good=metric.up_is_good, rough=goal_projection.rough
            )
        out.append(projection_lines(line, chance_line))
    return out, done


def _snapshot_slot(metric, goal, today: date, currency: str, ask) -> tuple[list, bool]:
    """A snapshot metric's slot: its goal's chance from the forecast of the period's last day."""
    if goal is None:
        return [], True
    first, last = goal_period_bounds(goal.period, goal.period_start)
    if not first <= today <= last:
        return [], True
    payload = ask(metric.name, first, last)
    if payload is None:
        return projecting(), False
    projection = fc.projection_of(payload)
    if projection is None:
        return [], True
    probability = fc.goal_probability_of(projection, goal.target, metric.up_is_good)
    target = format_value(goal.target, metric.unit, currency, compact=True)
    chance = goal_text(probability, target, up_is_good=metric.up_is_good, rough=projection.rough)
    return projection_lines(None, chance), True


def kpi_row_metrics() -> list[str]:
    """Every metric shown on a page's KPI row (overview, revenue, campaigns, customers), once."""
    from callbacks import campaigns, customers, revenue
    from components.overview import OVERVIEW_KPIS

    return list(
        dict.fromkeys([*OVERVIEW_KPIS, *revenue.KPI_METRICS, *campaigns.KPI_METRICS, *customers.KPI_METRICS])
    )


def warm(
    services: Services, ctx: WorkspaceContext, *, today: date | None = None, runner: fc.Runner | None = None
) -> bool:
    """Queue the projections the KPI rows' first visitor will ask for, after new data arrived.

    An import or sync bumps the workspace's data version, so every cached projection is stale
    and the next visitor's cards would each wait for a fit. This asks, in the background and
    through the same runner the poll uses, for what the rows show on the default range with no
    page filter (each summed metric's period, and its goal's period when they differ). Returns
    whether every projection was already cached. Never raises: new data is in either way.
    """
    try:
        today = today or today_in(ctx.workspace.timezone)
        scope = Scope(services, ctx, FilterState.from_store(None, today))
        _, done = slot_contents(scope, kpi_row_metrics(), {}, today, runner=runner)
        return done
    except Exception:  # a failed warm-up only means the first visitor computes them
        log.warning("could not queue the KPI projections of workspace %s", ctx.workspace.id, exc_info=True)
        return False


@callback(
    Output({"type": ids.KPI_PROJECTION, "metric": ALL}, "children"),
    Output({"type": ids.KPI_PROJECTION_POLL, "page": ALL}, "disabled"),
    Input({"type": ids.KPI_PROJECTION_POLL, "page": ALL}, "n_intervals"),
    State({"type": ids.KPI_PROJECTION_ASK, "page": ALL}, "data"),
    State({"type": ids.KPI_PROJECTION, "metric": ALL}, "id"),
    State(ids.FILTERS_STORE, "data"),
    # Only the poll's ticks ask: a row rendered with every projection has no poll, and a row
    # without them started them when it rendered (callbacks._analytics.filled_from_cache).
    prevent_initial_call=True,
)
def fill_projections(_ticks, asks, slot_ids, filters_data):
    """Fill the KPI cards' projection slots from the cache; stop polling once all are answered."""
    scope = request_scope(filters_data)
    polls = len(_ticks) if isinstance(_ticks, list) else 0
    if not isinstance(slot_ids, list) or not slot_ids or len(slot_ids) > MAX_SLOTS:
        return [no_update] * (len(slot_ids) if isinstance(slot_ids, list) else 0), [True] * polls
    ask = asks[0] if isinstance(asks, list) and asks and isinstance(asks[0], dict) else {}
    filters = an.clean_filters(ask.get("filters"))
    metrics = [i.get("metric") if isinstance(i, dict) else None for i in slot_ids]
    today = today_in(scope.ctx.workspace.timezone)
    contents, done = slot_contents(scope, metrics, filters, today)
    return contents, [done] * polls
