"""Machinery the three analytics pages share (no callbacks of its own; each page registers its set).

Every callback resolves the workspace from the session (``request_scope``); the stores the
browser sends (global filters, page filters, cross-filter, drill-down) are validated here and
only ever select *within* that workspace.
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode

import polars as pl
from dash import ALL, MATCH, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.development.base_component import Component
from plotly.io.json import to_json_plotly

from callbacks.common import PAGE_FILTERS_GATE_JS, Scope, layout_scope, request_scope
from components import ids
from components.analytics import chips, empty_state, filter_note
from components.formatting import needs_compact
from components.grids import PAGE_SIZE, page_of, paged_grid
from components.kpi_card import GoalView, kpi_card
from dashboard import audit
from dashboard.auth import PermissionDenied, current_context, require_role
from dashboard.csv_safe import safe_frame
from dashboard.filters import today_in
from dashboard.forecast.cards import card_period, snapshot_goal_metric
from dashboard.goals import PERIODS as GOAL_PERIODS
from dashboard.goals import GoalProgress, goal_candidates, progress
from dashboard.goals import period_bounds as goal_period_bounds
from dashboard.models import Role
from dashboard.ops.priority import on_background_thread
from dashboard.queries import CacheMiss, cached_call, metric_frame, metric_frames, peek_only, peeking
from data.analytics import CHANNEL_OF_PLATFORM
from data.metrics import (
    CATALOGUE,
    NONE_LABEL,
    MetricError,
    dimension_values,
    get_metric,
    metric_family,
    value_text,
)

FILTER_KEYS = ("channel", "campaign", "product", "country", "platform")
_MAX_VALUE = 200
#: Options a page filter's dropdown receives at once; typing searches the rest on the server.
MAX_OPTIONS = 200
#: A filter value no row has: what a metric gets when the page's filters contradict each other.
NO_MATCH = "(no matching rows)"


def clean_filters(data, keys=FILTER_KEYS) -> dict[str, str]:
    """Page filters / cross-filter values from the browser: known keys, short strings, nothing else."""
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in keys and isinstance(v, str) and 0 < len(v) <= _MAX_VALUE}


def clean_crossfilter(data, keys=FILTER_KEYS) -> dict[str, str] | None:
    """A cross-filter ``{"key": ..., "value": ...}`` whose key is one of ``keys``, or None."""
    if not isinstance(data, dict):
        return None
    pair = clean_filters(
        {data.get("key"): data.get("value")} if isinstance(data.get("key"), str) else {}, keys
    )
    return {"key": next(iter(pair)), "value": next(iter(pair.values()))} if pair else None


def combined(page_filters: dict, crossfilter: dict | None) -> dict[str, str]:
    """Page filters plus the cross-filter (which wins on the same key)."""
    out = dict(page_filters)
    if crossfilter:
        out[crossfilter["key"]] = crossfilter["value"]
    return out


def where_for(metric_name: str, filters: dict[str, str]) -> dict[str, str]:
    """The filters a metric can apply, mapped to its dimensions.

    ``product`` filters subscription metrics by plan. Ad spend and web/payment channels meet
    through :data:`~data.analytics.CHANNEL_OF_PLATFORM`: ``channel`` filters ad metrics to the
    platforms that buy that channel, and ``platform`` filters channel metrics to the channel the
    platform buys. When two filters contradict each other (channel Email with platform
    google_ads) the metric gets :data:`NO_MATCH`, which no row equals: the honest answer is zero.
    """
    dims = get_metric(metric_name).dimensions
    where: dict[str, str] = {}
    for key, value in filters.items():
        if key in dims:
            where[key] = value
        elif key == "product" and "plan" in dims:
            where["plan"] = value
    if "platform" in dims and "channel" not in dims and "channel" in filters:
        bought = [p for p, c in CHANNEL_OF_PLATFORM.items() if c == filters["channel"]]
        wanted = where.get("platform")
        where["platform"] = (
            (wanted if wanted in bought else NO_MATCH) if wanted else (bought or [NO_MATCH])[0]
        )
    if "channel" in dims and "platform" not in dims and "platform" in filters:
        channel = CHANNEL_OF_PLATFORM.get(filters["platform"], NO_MATCH)
        where["channel"] = channel if where.get("channel", channel) == channel else NO_MATCH
    return where


def unapplied(metric_name: str, filters: dict[str, str]) -> list[str]:
    """The filter keys :func:`where_for` cannot apply to ``metric_name`` (shown as a note)."""
    dims = get_metric(metric_name).dimensions
    mapped = {"product": "plan", "channel": "platform", "platform": "channel"}
    return [k for k in filters if k not in dims and mapped.get(k) not in dims]


def cached(scope: Scope, name: str, params: dict, fn: Callable):
    """``fn(scoped)`` through the query cache, keyed by workspace, data version, name and params."""
    return cached_call(scope.services, scope.ctx.workspace, f"an:{name}", params, fn)


#: Threads that run a KPI row's independent queries side by side. DuckDB and polars release the
#: GIL, so on 2 cores a row of a dozen small metric queries answers in about half the time.
#: Three measured a little faster than four on 2 cores (less switching between Python parts).
_POOL_PREFIX = "pb-kpi"
_POOL_WORKERS = 3


def gather(*calls: Callable[[], Any]) -> list:
    """Run independent calls (queries through the cache) concurrently; results in call order.

    Each call must take everything it needs as arguments (no Flask request globals: the
    workspace is already resolved in ``scope``). The first exception is raised here, as if the
    calls had run one after another. Called from a pool thread it runs them in turn, so a
    nested gather can never wait on the pool it occupies.

    The threads live only for this call. A process-wide pool kept idle workers between
    requests, and a worker that something outside stopped (dash's test server raises
    SystemExit in every thread it started when it shuts down) took a task with it and left
    the request waiting for ever. Starting three threads costs well under a millisecond.
    """
    # Background work (insights, projections) runs one query at a time behind the pages
    # (dashboard.ops.priority): fanned out, its pool threads would escape that, being neither
    # lowered nor marked as background.
    if len(calls) < 2 or on_background_thread() or threading.current_thread().name.startswith(_POOL_PREFIX):
        return [call() for call in calls]
    # What the cache holds is read here, in turn: a warm page's row needs no thread (starting
    # and joining them cost more than its cached answers). Only the misses fan out.
    results: list[Any] = [None] * len(calls)
    missing: list[int] = []
    for i, call in enumerate(calls):
        try:
            with peek_only():
                results[i] = call()
        except CacheMiss:
            if peeking():  # the caller only peeks: a miss is its answer, no thread can help
                raise
            missing.append(i)
    if len(missing) < 2:
        for i in missing:
            results[i] = calls[i]()
        return results
    workers = min(_POOL_WORKERS, len(missing))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=_POOL_PREFIX) as pool:
        # each call in a copy of this context: the request's number locale (and log id) go along
        futures = {i: pool.submit(contextvars.copy_context().run, calls[i]) for i in missing}
        for i, future in futures.items():
            results[i] = future.result()
    return results


def rendered(scope: Scope, name: str, params: dict, build: Callable[[], Any]) -> dict:
    """``build()``'s component as Dash's JSON, through the query cache.

    Building Plotly figures and grids costs more than reading a cached query (tens of ms per
    figure), so a panel's output is kept too, under the same workspace + data-version key
    plus everything the view reads (``params``). Dash renders such a dict like the component.
    """
    return cached(scope, "view:" + name, params, lambda _s: json.loads(to_json_plotly(build())))


def metric(
    scope: Scope,
    name: str,
    start: date,
    end: date,
    *,
    filters: dict | None = None,
    grain="total",
    by=None,
    compare=None,
) -> pl.DataFrame:
    """A catalogue metric with the page's filters that apply to it (dashboard.queries.metric_frame)."""
    where = where_for(name, filters or {}) or None
    return metric_frame(
        scope.services, scope.ctx, name, start, end, grain=grain, by=by, compare=compare, where=where
    )


def split_frame(scope: Scope, name: str, filters: dict, by: str) -> pl.DataFrame:
    """``name`` split by ``by``, largest first, without empty bars, rows without a value last.

    The split's own filter is dropped (it would leave a single bar; the view highlights the
    selected one instead); the page's other filters apply. Rows without a ``by`` value
    (``(none)``) are not a country or channel: they come last whatever their size (the bar
    charts call them "Unknown").
    """
    f = scope.filters
    kept = {k: v for k, v in filters.items() if k != by}
    frame = metric(scope, name, f.start, f.end, filters=kept, by=by).drop("period", strict=False)
    unknown = pl.col(by).cast(pl.Utf8) == NONE_LABEL
    return frame.filter(pl.col("value").is_not_null() & (pl.col("value") != 0)).sort(
        [unknown, "value", by], descending=[False, True, False]
    )


def payment_options(scope: Scope, keys: tuple[str, ...]) -> dict[str, list[str]]:
    """Filter choices from the revenue rollup: every value of ``keys`` seen in the last five years.

    One DISTINCT scan of ``payments_daily`` (tens of ms) rather than fetching five years of its
    rows to find a few dozen names (~1 s at 10M payments).
    """
    f = scope.filters
    since = date(f.end.year - 5, 1, 1)
    return cached(
        scope,
        "revenue_options",
        {"e": f.end.year, "k": keys},
        lambda s: dimension_values(s, "payments_daily", keys, since, f.end),
    )


def metric_kpis(scope: Scope, names, filters: dict) -> dict[str, dict]:
    """Value, comparison and sparkline series of catalogue metrics for KPI cards: name -> KPI dict.

    See :func:`kpi_calls` for how the queries are shared.
    """
    calls, assemble = kpi_calls(scope, names, filters)
    return assemble(gather(*calls))


def kpi_calls(scope: Scope, names, filters: dict) -> tuple[list[Callable[[], Any]], Callable[[list], dict]]:
    """The queries behind the KPI cards of ``names``, and how to turn their answers into cards.

    Metrics of one family (summed from the same table, with the same filters applying) are
    asked together: a row of ten ad metrics is two scans (the range with its comparison, and
    the sparkline series) instead of twenty. A KPI row runs the calls with :func:`gather`,
    next to any other query it needs, then ``assemble(answers)`` gives name -> KPI dict.
    """
    f = scope.filters
    groups: dict[tuple, list[str]] = {}
    for name in names:
        where = tuple(sorted(where_for(name, filters).items()))
        groups.setdefault((where, metric_family(get_metric(name), by=None)), []).append(name)
    calls: list[Callable[[], Any]] = []
    for (where, _family), group in groups.items():
        asked = {"where": dict(where) or None}
        calls.append(
            lambda g=group, a=asked: metric_frames(
                scope.services, scope.ctx, g, f.start, f.end, compare=f.compare, **a
            )
        )
        calls.append(
            lambda g=group, a=asked: metric_frames(
                scope.services, scope.ctx, g, f.start, f.end, grain=f.grain, **a
            )
        )

    def assemble(answers: list) -> dict[str, dict]:
        totals = {k: v for frames in answers[0::2] for k, v in frames.items()}
        series = {k: v for frames in answers[1::2] for k, v in frames.items()}
        out = {}
        for name in names:
            m = get_metric(name)
            out[name] = {
                "metric": name,
                "label": m.label,
                "unit": m.display_unit,
                "value": totals[name]["value"][0],
                "compare_value": totals[name]["compare_value"][0],
                "up_is_good": m.up_is_good,
                "series": series[name]["value"].to_list(),
                "description": m.description,
            }
        return out

    return calls, assemble


def card(scope: Scope, kpi: dict, goal: GoalProgress | None = None, *, compact: bool = True):
    """A KPI card, with goal progress inside it when the metric has a goal for the selected range.

    A card without a goal is kept in the cache as Dash JSON (its sparkline figure costs more to
    build than the cached query behind it); a goal reads the app DB, so that card is built fresh.
    A summed metric's card over an unfinished period gets an empty projection slot, which
    :mod:`callbacks.kpi_projections` fills once the projection is computed (never here).
    """
    f = scope.filters
    compare_label = f.compare_label if f.compare else None
    currency = scope.ctx.workspace.currency
    slot = projectable(scope, kpi["metric"]) or goal_chance_slot(scope, kpi["metric"], goal)

    def build(goal_view: GoalView | None = None):
        return kpi_card(
            metric=kpi["metric"],
            label=kpi["label"],
            unit=kpi["unit"],
            currency=currency,
            value=kpi["value"],
            compare_value=kpi.get("compare_value"),
            up_is_good=kpi["up_is_good"],
            series=kpi.get("series") or [],
            compare_label=compare_label,
            description=kpi.get("description", ""),
            compact=compact,
            goal=goal_view,
            projection=slot,
        )

    if goal is None:
        params = {"k": kpi, "c": currency, "l": compare_label, "z": compact, "p": slot}
        return rendered(scope, "kpi_card", params, build)
    today = today_in(scope.ctx.workspace.timezone)
    view = GoalView(goal.period, goal.target, goal.actual, goal.on_pace, finished=today > goal.period_end)
    return build(view)


def cards(scope: Scope, kpis: list[dict], goals: dict[str, GoalProgress] | None = None) -> list:
    """A row's KPI cards in one notation: compact on every card when one value needs it."""
    compact = needs_compact([(k["value"], k["unit"]) for k in kpis], scope.ctx.workspace.currency)
    return [card(scope, k, (goals or {}).get(k["metric"]), compact=compact) for k in kpis]


def projectable(scope: Scope, name: str) -> bool:
    """True when the card of ``name`` shows a period-end projection: a sum, over an unfinished period."""
    metric = CATALOGUE.get(name)
    if metric is None or not metric.additive:
        return False
    f = scope.filters
    return card_period(f.start, f.end, today_in(scope.ctx.workspace.timezone)) is not None


def goal_chance_slot(scope: Scope, name: str, goal: GoalProgress | None) -> bool:
    """True when a snapshot metric's card (MRR, ARR) shows its goal's chance: the goal's period is under way."""
    metric = CATALOGUE.get(name)
    if goal is None or metric is None or not snapshot_goal_metric(metric):
        return False
    today = today_in(scope.ctx.workspace.timezone)
    f = scope.filters
    return goal.period_start <= today <= goal.period_end and card_period(f.start, f.end, today) is not None


#: how often a KPI row asks for its projections, and for how long at most (2 minutes)
PROJECTION_POLL_MS = 1000
PROJECTION_POLL_MAX = 120


def with_projections(scope: Scope, row, page: str, kpis: list[dict], filters: dict | None = None):
    """``row`` plus the poll that fills its cards' projection slots (just ``row`` when none has one).

    The store holds the page filters the cards were computed with; the poll re-validates them
    and takes the workspace from the session, like every callback.
    """
    if not any(projectable(scope, k["metric"]) for k in kpis):
        return row
    # A revisit finds every projection cached: the row carries them and no poll follows it (its
    # first answer came only after the row had rendered: one more round trip per page load).
    filled = filled_from_cache(scope, row, dict(filters or {}))
    if filled is not None:
        return filled
    return html.Div(
        [
            row,
            dcc.Store(id=ids.kpi_projection_ask(page), data={"filters": dict(filters or {})}),
            dcc.Interval(
                id=ids.kpi_projection_poll(page),
                interval=PROJECTION_POLL_MS,
                max_intervals=PROJECTION_POLL_MAX,
            ),
        ]
    )


def filled_from_cache(scope: Scope, row, filters: dict):
    """``row`` with every projection slot filled when all are cached, else None (the poll fills them).

    Reads the cache as the poll does (:func:`callbacks.kpi_projections.slot_contents`) and, like
    the poll, starts the missing projections in the background: the poll's first tick comes a
    second after the row renders, and it no longer runs on render (one request fewer on every
    page load). The cards inside ``row`` may be cached Dash JSON: the path to each slot is
    copied, never changed in place.
    """
    from callbacks.kpi_projections import MAX_SLOTS, slot_contents  # that module builds on this one

    metrics: list[str] = []
    _fill_slots(row, metrics.append)
    if not metrics or len(metrics) > MAX_SLOTS:
        return None
    today = today_in(scope.ctx.workspace.timezone)
    contents, done = slot_contents(scope, metrics, filters, today)
    if not done:
        return None
    found = dict(zip(metrics, contents, strict=True))
    return _fill_slots(row, lambda metric: None, found)


def _fill_slots(node, seen: Callable[[str], Any], contents: dict | None = None):
    """Walk a component tree (components, or their Dash JSON) for projection slots.

    Each slot's metric goes to ``seen``; with ``contents``, the tree comes back with those
    slots' children set.
    """
    if isinstance(node, list | tuple):
        return [_fill_slots(n, seen, contents) for n in node]
    if isinstance(node, dict):
        props = node.get("props")
        if not isinstance(props, dict):
            return node
        slot = props.get("id")
        if isinstance(slot, dict) and slot.get("type") == ids.KPI_PROJECTION:
            seen(slot.get("metric"))
            return (
                {**node, "props": {**props, "children": contents[slot.get("metric")]}} if contents else node
            )
        if "children" in props:
            return {**node, "props": {**props, "children": _fill_slots(props["children"], seen, contents)}}
        return node
    if isinstance(node, Component):
        slot = getattr(node, "id", None)
        if isinstance(slot, dict) and slot.get("type") == ids.KPI_PROJECTION:
            seen(slot.get("metric"))
            if contents:
                node.children = contents[slot.get("metric")]
            return node
        children = getattr(node, "children", None)
        if children is not None:
            filled = _fill_slots(children, seen, contents)
            if contents:
                node.children = filled
        return node
    return node


def range_goals(scope: Scope, names, filters: dict | None = None) -> dict[str, GoalProgress]:
    """Goal progress of the metrics ``names`` for the goals that match the selected range.

    A goal matches when its month, quarter or year holds the whole range (an October range
    shows an October, Q4 or yearly goal, never December's); the shortest such period wins.
    A page filter narrows the numbers below what a workspace goal counts, so none show then.
    """
    if filters:
        return {}
    f = scope.filters
    found = matching_goals(goal_candidates(scope.services, scope.ctx, f.end), f.start, f.end)
    today = today_in(scope.ctx.workspace.timezone)
    return {name: progress(scope.services, scope.ctx, found[name], today) for name in names if name in found}


#: A range this short that crosses a period edge (the last 7 days on the 2nd) still shows the
#: goal of the period it ends in: it is about "now", and no goal period holds it whole.
SHORT_RANGE_DAYS = 31


def matching_goals(goals: list, start: date, end: date) -> dict:
    """Per metric, the goal whose period matches ``start``..``end`` (pure).

    ``goals`` are the goals whose period contains ``end``. The shortest period holding the whole
    range wins (October -> October's goal, Q4 or the year's; never December's); a short range
    that crosses a period edge takes the shortest period it ends in.
    """
    out: dict = {}
    by_length = sorted(goals, key=lambda g: GOAL_PERIODS.index(g.period))
    for goal in by_length:
        first, last = goal_period_bounds(goal.period, goal.period_start)
        if first <= start and end <= last:
            out.setdefault(goal.metric, goal)
    if (end - start).days < SHORT_RANGE_DAYS:
        for goal in by_length:
            first, last = goal_period_bounds(goal.period, goal.period_start)
            if first <= end <= last:
                out.setdefault(goal.metric, goal)
    return out


def last_period_unfinished(scope: Scope, frame: pl.DataFrame, grain: str | None = None) -> bool:
    """Whether the last period of a by-grain ``frame`` is not over (yet, or within the range).

    A month of which two days have passed, or a range that stops mid-month, holds less than a
    whole period: charts mark it "to date" instead of showing it as a drop.
    """
    grain = grain or scope.filters.grain
    if frame.height == 0 or "period" not in frame.columns or grain not in ("day", "week", "month"):
        return False
    last = frame["period"][-1]
    try:
        last = last if isinstance(last, date) else date.fromisoformat(str(last)[:10])
    except ValueError:  # "Range" or another label: not a period
        return False
    today = today_in(scope.ctx.workspace.timezone)
    natural_end = period_end(last, grain)
    return natural_end >= today or scope.filters.end < natural_end


def period_end(start: date, grain: str) -> date:
    """The last day of the ``grain`` period that starts on ``start``."""
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def csv_of(frame: pl.DataFrame) -> str:
    """CSV text of a frame (dates ISO, no index), text cells escaped against formula injection."""
    return safe_frame(frame).write_csv()


def row_counts(scope: Scope) -> dict[str, int]:
    """Rows per warehouse table of the caller's workspace (cached per data version)."""
    return cached(scope, "row_counts", {}, lambda s: s.row_counts())


def page_filters_of(spec: PageSpec, page_filters, crossfilter) -> dict[str, str]:
    """The page's validated filters plus the cross-filter (browser input: cleaned, never trusted)."""
    # A cross-filter may only name what this page's charts set (or its own filters): a forged
    # {"key": "campaign"} on the revenue page used to reach the metrics and fail there.
    keys = tuple(spec.filter_keys) + tuple(spec.crossfilter_items.values())
    return combined(clean_filters(page_filters, spec.filter_keys), clean_crossfilter(crossfilter, keys))


# -- the page spec: one Panel per chart / grid / KPI row ------------------------------------------


@dataclass(frozen=True)
class Panel:
    """One element of an analytics page, computed by its own callback.

    ``frame(scope, filters)`` is exactly the data behind it (what "Download CSV" and server
    paging serve) and ``view(scope, filters, frame)`` builds the component. The shared code
    around them gives every panel the same empty state when no source feeds it (``needs``,
    ``source``), drops the filters that mean nothing for its data (``ignores``) and says so in
    the panel, notes filters that apply only in part (``partial``) and shows ``excludes``'s
    reason instead of the data when the filters rule the whole panel out.
    """

    item: str
    view: Callable[[Scope, dict, Any], Any]
    frame: Callable[[Scope, dict], pl.DataFrame] | None = None
    #: the card's heading and the note beside it (the page's layout is built from the spec)
    title: str = ""
    subtitle: str | None = None
    #: a component under the card (the revenue trend's Forecast switch)
    footer: Callable[[], Any] | None = None
    needs: tuple[str, ...] = ()
    source: str = "data source"
    ignores: dict[str, str] = field(default_factory=dict)
    partial: dict[str, str] = field(default_factory=dict)
    excludes: Callable[[dict], str | None] | None = None
    #: a grid whose rows the browser pages through from the server (see :func:`grid_page`)
    paged: bool = False
    #: keep the built view in the cache (off when it reads state outside the warehouse, e.g. goals)
    cache_view: bool = True


@dataclass(frozen=True)
class Drill:
    """A drill-down source: ``build(scope, filters, clicked value) -> (title, frame)``."""

    build: Callable[[Scope, dict, str], tuple[str, pl.DataFrame]]
    ignores: dict[str, str] = field(default_factory=dict)


@dataclass
class PageSpec:
    """How one analytics page plugs into the shared callbacks."""

    page: str
    ids: dict[str, str]
    filter_keys: tuple[str, ...]
    #: the page's heading and the line under it
    title: str = ""
    subtitle: str = ""
    #: the page's rows, top to bottom: (panel item, column width of 12 on a laptop) per column;
    #: "drill" is the drill-down panel (see ``drill_subtitle``)
    layout: tuple[tuple[tuple[str, int], ...], ...] = ()
    #: placeholders the KPI row shows until its callback answers
    kpi_count: int = 0
    #: every chart/grid of the page, one callback each
    panels: tuple[Panel, ...] = ()
    #: the KPI row (its own callback too); ``item`` is "kpis"
    kpis: Panel | None = None
    #: chart item -> the filter key a click sets (cross-filter)
    crossfilter_items: dict[str, str] = field(default_factory=dict)
    #: chart/grid item -> drill-down source
    drill_items: dict[str, Drill] = field(default_factory=dict)
    #: filter key -> (scope) -> option values
    options: Callable[[Scope], dict[str, list[str]]] | None = None
    #: drill-down grid: units and labels of its columns
    drill_units: dict[str, str] = field(default_factory=dict)
    #: what the drill-down panel says before anything is clicked
    drill_hint: str = "Click a period or a campaign to see the rows behind it."
    #: the note beside the drill-down panel's "Details" heading
    drill_subtitle: str = "rows behind the clicked item"

    def panel(self, item) -> Panel | None:
        """The panel named ``item`` (None for unknown names: they come from the browser)."""
        return next((p for p in self.panels if p.item == item), None)


def applied_filters(panel: Panel | Drill, filters: dict) -> dict:
    """The filters a panel uses (the ones it ignores removed)."""
    return {k: v for k, v in filters.items() if k not in panel.ignores}


def notes_for(panel: Panel | Drill, filters: dict) -> list[str]:
    """The muted notes under a panel's title for active filters it ignores or applies in part."""
    out = []
    for key in filters:
        reason = panel.ignores.get(key) or getattr(panel, "partial", {}).get(key)
        if reason:
            out.append(reason)
    return list(dict.fromkeys(out))


def panel_frame(spec: PageSpec, panel: Panel, scope: Scope, filters: dict) -> pl.DataFrame | None:
    """Exactly the data behind ``panel`` for these filters (empty when the filters exclude it)."""
    if panel.frame is None:
        return None
    frame = panel.frame(scope, applied_filters(panel, filters))
    if panel.excludes and panel.excludes(filters):
        return frame.clear()
    return frame


def render_panel(spec: PageSpec, item: str, scope: Scope, filters: dict):
    """The children of one panel: its view, or why it is empty, plus notes on filters it cannot use."""
    panel = spec.kpis if spec.kpis and item == spec.kpis.item else spec.panel(item)
    if panel is None:
        return no_update
    counts = row_counts(scope)
    if panel.needs and not any(counts.get(t, 0) for t in panel.needs):
        return empty_state(f"No {panel.source} connected.", source_missing=True)
    reason = panel.excludes(filters) if panel.excludes else None
    if reason:
        body = empty_state(reason)
    else:
        used = applied_filters(panel, filters)

        def build():
            frame = panel.frame(scope, used) if panel.frame else None
            view = panel.view(scope, used, frame)
            if panel.paged and frame is not None:
                return [view, first_rows(spec.page, item, frame, scope.ctx.workspace.timezone)]
            return view

        f = scope.filters
        params = {"p": spec.page, "i": item, "w": used, "r": [f.start, f.end, f.grain, f.compare]}
        body = (
            rendered(scope, "panel", {**params, "c": scope.ctx.workspace.currency}, build)
            if panel.cache_view
            else build()
        )
    notes = notes_for(panel, filters)
    return [filter_note(notes), body] if notes else body


def frames(spec: PageSpec, scope: Scope, filters: dict) -> dict[str, pl.DataFrame]:
    """Every panel's frame (tests and exports: the same frames the panels and CSVs use)."""
    out = {}
    for panel in spec.panels:
        frame = panel_frame(spec, panel, scope, filters)
        if frame is not None:
            out[panel.item] = frame
    return out


def drill_frame(spec: PageSpec, scope: Scope, filters: dict, drill) -> tuple[str, pl.DataFrame, Drill] | None:
    """(title, rows, source) of a validated drill-down selection; None when there is none.

    Raises ValueError when the value does not name anything the source knows.
    """
    sel = drill if isinstance(drill, dict) else {}
    source = spec.drill_items.get(sel.get("item")) if isinstance(sel.get("item"), str) else None
    if source is None or not isinstance(sel.get("value"), str) or not sel["value"]:
        return None
    title, frame = source.build(scope, applied_filters(source, filters), sel["value"][:_MAX_VALUE])
    return title, frame, source


def render_drill(spec: PageSpec, scope: Scope, filters: dict, drill):
    """The drill-down panel: a server-paged grid of the rows behind the clicked period/campaign."""
    try:
        found = drill_frame(spec, scope, filters, drill)
    except ValueError:
        return empty_state("That selection is not valid for these filters.")
    if found is None:
        return empty_state(spec.drill_hint)
    title, frame, source = found
    body = (
        empty_state("No rows behind this selection.")
        if frame.height == 0
        else paged_grid(
            ids.grid(spec.page, "drill"),
            frame,
            units=spec.drill_units,
            currency=scope.ctx.workspace.currency,
            height=320,
        )
    )
    notes = notes_for(source, filters)
    return html.Div(
        [
            html.Div(title, className="small fw-semibold mb-2", id=f"pb-{spec.page}-drill-caption"),
            filter_note(notes) if notes else None,
            body,
            first_rows(spec.page, "drill", frame, scope.ctx.workspace.timezone),
        ]
    )


#: The block a server-paged grid asks for first: its first page, unsorted and unfiltered.
FIRST_BLOCK = {"startRow": 0, "endRow": PAGE_SIZE}


def first_rows(page: str, item: str, frame: pl.DataFrame, tz: str | None) -> dcc.Store:
    """The store that sends a server-paged grid's first page along with the grid.

    The grid's first block request is answered from it in the browser (``_FIRST_ROWS``): the
    rows show as the grid mounts, instead of after one more round trip to the server. It holds
    exactly what :func:`grid_page` answers for :data:`FIRST_BLOCK`; every other block, sort or
    filter goes to the server.
    """
    return dcc.Store(id=ids.grid_first(page, item), data={**FIRST_BLOCK, **page_of(frame, FIRST_BLOCK, tz)})


def item_frame(spec: PageSpec, item, scope: Scope, filters: dict, drill) -> pl.DataFrame | None:
    """The frame behind ``item`` (a panel or "drill"), or None when it names nothing."""
    if item == "drill":
        try:
            found = drill_frame(spec, scope, filters, drill)
        except ValueError:
            return None
        return found[1] if found else None
    panel = spec.panel(item) if isinstance(item, str) else None
    return panel_frame(spec, panel, scope, filters) if panel else None


def grid_page(spec: PageSpec, item, request, filters_data, page_filters, crossfilter, drill) -> dict:
    """One block of a server-paged grid for the grid's ``getRowsRequest``.

    The workspace comes from the session and the role is re-checked (any member may read);
    everything the browser sends (the request's rows, sort and filter model, the stores) only
    selects within that workspace's frame.
    """
    require_role(Role.VIEWER)
    scope = request_scope(filters_data)
    filters = page_filters_of(spec, page_filters, crossfilter)
    frame = item_frame(spec, item, scope, filters, drill)
    if frame is None:
        return {"rowData": [], "rowCount": 0}
    return page_of(frame, request, scope.ctx.workspace.timezone)


# -- registration ---------------------------------------------------------------------------------

#: After a panel re-renders a grid that is already on screen, drop its cached blocks so it asks
#: the server again with the new filters (a fresh grid asks by itself when it mounts).
_REFRESH_GRID = """
function(children) {
    const id = dash_clientside.callback_context.outputs_list.id;
    const gridId = {type: "GRID_TYPE", page: id.page, item: id.item};
    window.pbSeenGrids = window.pbSeenGrids || new WeakSet();
    let tries = 0;
    const refresh = () => {
        let api = null;
        try { api = window.dash_ag_grid.getApi(gridId); } catch (e) { api = null; }  // throws until ready
        if (!api || api.isDestroyed()) { if (++tries < 20) { setTimeout(refresh, 100); } return; }
        if (window.pbSeenGrids.has(api)) { api.purgeInfiniteCache(); } else { window.pbSeenGrids.add(api); }
    };
    setTimeout(refresh, 0);
    return dash_clientside.no_update;
}
""".replace("GRID_TYPE", ids.ANALYTICS_GRID)


#: A server-paged grid's block request: the first page is answered from the rows sent with the
#: grid (``first_rows``), anything else goes on to the server through the grid's ask store. The
#: request keeps only what the server reads (ag-grid's object also holds its callbacks).
_FIRST_ROWS = """
function(request, first) {
    const skip = dash_clientside.no_update;
    if (!request) { return [skip, skip]; }
    const plain = request.startRow === 0 && !(request.sortModel || []).length
        && !Object.keys(request.filterModel || {}).length;
    if (first && plain && first.endRow === request.endRow) {
        return [{rowData: first.rowData, rowCount: first.rowCount}, skip];
    }
    window.pbGridAsks = (window.pbGridAsks || 0) + 1;  // the same block asked again is a new ask
    const ask = {startRow: request.startRow, endRow: request.endRow,
                 sortModel: request.sortModel, filterModel: request.filterModel};
    return [skip, {request: ask, n: window.pbGridAsks}];
}
"""


#: A chart click or a grid row selection goes on to the server (``on_click``) only when there is
#: one. Charts and grids mount with every panel's answer, and Dash fires callbacks on their
#: ALL-pattern inputs then: two empty round trips per panel row of every page load before.
_PASS_CLICK = """
function(_clicks, _rows) {
    const given = v => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);
    const trig = (dash_clientside.callback_context.triggered || []).find(t => given(t.value));
    if (!trig) { return dash_clientside.no_update; }
    let id = null;
    try { id = JSON.parse(trig.prop_id.slice(0, trig.prop_id.lastIndexOf("."))); } catch (e) { id = null; }
    if (!id) { return dash_clientside.no_update; }
    window.pbClicks = (window.pbClicks || 0) + 1;  // the same bar clicked again is a new click
    return {id: id, value: trig.value, n: window.pbClicks};
}
"""


#: Shows a lazy panel's held content once assets/lazy_panels.js ticks its interval (the panel
#: came into view). lazy_panels.js ticks only empty panels: one a filter change filled meanwhile
#: keeps its newer content.
SHOW_HELD_JS = """
function (_tick, held) {
    return held ? held : window.dash_clientside.no_update;
}
"""


def _panel_callback(spec: PageSpec, panel: Panel) -> None:
    """One callback for one panel: Dash runs the page's panels concurrently, each cached on its own."""
    pid = spec.ids
    output = pid["kpis"] if panel is spec.kpis else ids.panel(spec.page, panel.item)

    @callback(
        Output(output, "children"),
        Input(ids.FILTERS_STORE, "data"),
        Input(pid["page-filters"], "data"),
        Input(pid["crossfilter"], "data"),
        # asked once by the layout when it could not render the panel from the cache (prefill)
        Input(ids.fill(spec.page, panel.item), "n_intervals"),
        prevent_initial_call=True,
    )
    def update_panel(filters_data, page_filters, crossfilter, _fill):
        """This panel for the global, page and cross filters (workspace from the session)."""
        scope = request_scope(filters_data)
        filters = page_filters_of(spec, page_filters, crossfilter)
        try:
            return render_panel(spec, panel.item, scope, filters)
        except (MetricError, OverflowError) as exc:
            # Input the checks above let through but the query cannot answer: say so, no 500.
            return empty_state(f"This view cannot be shown for these filters: {exc}")


def register(spec: PageSpec) -> None:
    """Register every callback of an analytics page from its spec.

    One callback per panel and one for the KPI row, the drill-down panel, server paging of its
    grids, clicks (cross-filter and drill selection), CSV downloads, page filters to the URL and
    filter search, and one for the controls around the panels (chip, filter choices, CSV
    buttons). A page load fires the panels and the controls' callback, nothing else: the
    drill-down panel starts with its hint, and clicks pass a clientside gate first.
    """
    p, pid = spec.page, spec.ids
    clear_id = f"pb-{p}-chip-clear"
    for panel in ((spec.kpis,) if spec.kpis else ()) + spec.panels:
        _panel_callback(spec, panel)

    @callback(
        Output(ids.panel(p, "drill"), "children"),
        Input(pid["drill"], "data"),
        Input(ids.FILTERS_STORE, "data"),
        Input(pid["page-filters"], "data"),
        Input(pid["crossfilter"], "data"),
        # the page renders with nothing selected, and so with the hint (components.analytics)
        prevent_initial_call=True,
    )
    def update_drill(drill, filters_data, page_filters, crossfilter):
        """The rows behind the clicked period, campaign, segment or stage."""
        scope = request_scope(filters_data)
        return render_drill(spec, scope, page_filters_of(spec, page_filters, crossfilter), drill)

    clientside_callback(
        _FIRST_ROWS,
        Output(
            {"type": ids.ANALYTICS_GRID, "page": p, "item": MATCH}, "getRowsResponse", allow_duplicate=True
        ),
        Output({"type": ids.GRID_ASK, "page": p, "item": MATCH}, "data"),
        Input({"type": ids.ANALYTICS_GRID, "page": p, "item": MATCH}, "getRowsRequest"),
        State({"type": ids.GRID_FIRST, "page": p, "item": MATCH}, "data"),
        prevent_initial_call=True,
    )

    @callback(
        Output({"type": ids.ANALYTICS_GRID, "page": p, "item": MATCH}, "getRowsResponse"),
        Input({"type": ids.GRID_ASK, "page": p, "item": MATCH}, "data"),
        State(ids.FILTERS_STORE, "data"),
        State(pid["page-filters"], "data"),
        State(pid["crossfilter"], "data"),
        State(pid["drill"], "data"),
        prevent_initial_call=True,
    )
    def grid_rows(ask, filters_data, page_filters, crossfilter, drill):
        """A block of rows of a server-paged grid (sorted and filtered on the server)."""
        trig = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else {}
        request = ask.get("request") if isinstance(ask, dict) else None
        if not isinstance(request, dict):
            return no_update
        return grid_page(spec, trig.get("item"), request, filters_data, page_filters, crossfilter, drill)

    for item in [q.item for q in spec.panels if q.paged] + ["drill"]:
        clientside_callback(
            _REFRESH_GRID,
            Output(ids.panel(p, item), "className"),
            Input(ids.panel(p, item), "children"),
            prevent_initial_call=True,
        )

    # One per panel the layout may hold (held_panels), not one MATCH callback: two panels of a
    # row that came into view in the same frame asked it at once, and one of them stayed empty.
    for item in held_item_names(spec):
        clientside_callback(
            SHOW_HELD_JS,  # a lazy panel's content the layout found cached (components.analytics.panel)
            Output(ids.panel(p, item), "children", allow_duplicate=True),
            Input(ids.fill_held(p, item), "n_intervals"),
            State(ids.held(p, item), "data"),
            prevent_initial_call=True,
        )

    clientside_callback(
        _PASS_CLICK,
        Output(pid["click"], "data"),
        Input({"type": ids.ANALYTICS_GRAPH, "page": p, "item": ALL}, "clickData"),
        Input({"type": ids.ANALYTICS_GRID, "page": p, "item": ALL}, "selectedRows"),
        prevent_initial_call=True,
    )

    @callback(
        Output(pid["crossfilter"], "data"),
        Output(pid["drill"], "data"),
        Input(pid["click"], "data"),
        State(pid["crossfilter"], "data"),
        prevent_initial_call=True,
    )
    def on_click(click, current):
        """A chart click cross-filters the page or selects the rows behind a period; a grid row selects its rows."""
        request_scope(None)  # authenticated, with a workspace
        return click_outcome(spec, click, current)

    @callback(
        Output(pid["crossfilter"], "data", allow_duplicate=True),
        Input(clear_id, "n_clicks"),
        prevent_initial_call=True,
    )
    def clear_crossfilter(n):
        """The chip's × clears the cross-filter."""
        return None if n else no_update

    @callback(
        Output(pid["download"], "data"),
        Input({"type": ids.ANALYTICS_CSV, "page": p, "item": ALL}, "n_clicks"),
        State(ids.FILTERS_STORE, "data"),
        State(pid["page-filters"], "data"),
        State(pid["crossfilter"], "data"),
        State(pid["drill"], "data"),
        prevent_initial_call=True,
    )
    def download(_n, filters_data, page_filters, crossfilter, drill):
        """The "Download CSV" of exactly the data behind one chart or grid (analysts and up)."""
        trig = ctx.triggered_id
        if not isinstance(trig, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update
        try:
            return csv_download(spec, trig.get("item"), filters_data, page_filters, crossfilter, drill)
        except PermissionDenied:  # a viewer with a hand-made request: nothing to download, no error page
            return no_update

    @callback(
        Output(pid["chips"], "children"),
        Output({"type": ids.PAGE_FILTER, "page": p, "key": ALL}, "options"),
        Output({"type": ids.ANALYTICS_CSV, "page": p, "item": ALL}, "style"),
        Input(ids.FILTERS_STORE, "data"),
        Input(pid["crossfilter"], "data"),
        Input(ids.fill(p, "chrome"), "n_intervals"),  # when the layout could not fill them (prefill)
        State({"type": ids.PAGE_FILTER, "page": p, "key": ALL}, "id"),
        State({"type": ids.ANALYTICS_CSV, "page": p, "item": ALL}, "id"),
        prevent_initial_call=True,
    )
    def page_chrome(filters_data, crossfilter, _fill, filter_ids, _csv_ids):
        """The page's controls around the panels: the cross-filter chip, page filter choices, CSV buttons.

        One callback for the three (they were one each, and queued behind the panels on every
        page load); a new cross-filter changes only the chip.
        """
        # wildcard outputs take one value per component Dash asked about (no_update included)
        n_filters, n_csv = len(ctx.outputs_list[1]), len(ctx.outputs_list[2])
        chip = chips(clean_crossfilter(crossfilter), clear_id)
        if ctx.triggered_id == pid["crossfilter"]:
            return chip, [no_update] * n_filters, [no_update] * n_csv
        options = filter_options(spec, filters_data, filter_ids)
        if not isinstance(options, list) or len(options) != n_filters:
            options = [no_update] * n_filters  # forged ids: the dropdowns keep what they have
        return chip, options, csv_styles(n_csv)

    clientside_callback(
        PAGE_FILTERS_GATE_JS,  # page filter choices go into the query string (callbacks.common)
        Output(ids.PAGE_FILTERS_ASK, "data", allow_duplicate=True),
        Input({"type": ids.PAGE_FILTER, "page": p, "key": ALL}, "value"),
        State(pid["page-filters"], "data"),
        prevent_initial_call=True,
    )

    @callback(
        Output({"type": ids.PAGE_FILTER, "page": p, "key": MATCH}, "options", allow_duplicate=True),
        Input({"type": ids.PAGE_FILTER, "page": p, "key": MATCH}, "search_value"),
        State({"type": ids.PAGE_FILTER, "page": p, "key": MATCH}, "value"),
        State(ids.FILTERS_STORE, "data"),
        prevent_initial_call=True,
    )
    def search_options(search, value, filters_data):
        """Typing in a page filter searches all its values on the server (the list holds the first few)."""
        trig = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else {}
        scope = request_scope(filters_data)
        opts = spec.options(scope) if spec.options else {}
        return option_list(opts.get(trig.get("key"), []), search, value)


def prefill(spec: PageSpec, query: dict, path: str | None = None) -> dict:
    """What a page's layout shows at once: its KPI row and first row of panels.

    ``"kpis"`` -> the children its callback would answer, and ``"chrome"``: the page filters'
    choices and the CSV buttons' style, rendered exactly as the callbacks render them, for the
    same filters (the query string's, validated the same way) and with the same checks: the
    workspace and role come from the session. ``"panels"``: the first row's chart and grid
    panels (:func:`held_item_names`), shown when they near the viewport. The KPI row and those
    panels come from the cache, or are computed here within a budget
    (:func:`callbacks.first_screen.first_screen`); one not ready by then is left out, and its
    callback fills it once the page is shown. The rest of the page is lazy
    (:func:`components.analytics.panel`). Outside a logged-in request: nothing. With the
    page's ``path``, also ``"insights"`` (when cached) and ``"downloads"`` (the filter bar's
    report links, for analysts and up).
    """
    from callbacks.first_screen import first_screen
    from callbacks.insights import cached_panel  # both build on this module
    from callbacks.reports import report_links

    scope = layout_scope(query)
    if scope is None:
        return {}
    values = {k: str(query[k])[:_MAX_VALUE] for k in spec.filter_keys if query.get(k)}
    filters = page_filters_of(spec, values, None)
    out: dict = {}
    if path is not None:
        out["downloads"] = report_links(path, query)
        insights = cached_panel(query, spec.page)
        if insights is not None:
            out["insights"] = insights
    items = ([spec.kpis.item] if spec.kpis else []) + held_item_names(spec)
    answers = first_screen(
        scope.services,
        {item: partial(render_panel, spec, item, scope, filters) for item in items},
        expected=(MetricError, OverflowError),
    )
    out["panels"] = {}
    for item, answer in answers.items():
        if spec.kpis and item == spec.kpis.item:
            out[item] = (  # as the panel callback answers it
                empty_state(f"This view cannot be shown for these filters: {answer}")
                if isinstance(answer, Exception)
                else answer
            )
        elif not isinstance(answer, Exception):  # else its callback says why, as on a first visit
            # as Dash's JSON: a store's data may not hold components (a cached view already is JSON)
            out["panels"][item] = answer if isinstance(answer, dict) else json.loads(to_json_plotly(answer))
    try:
        with peek_only():
            opts = spec.options(scope) if spec.options else {}
    except CacheMiss:
        return out
    out["chrome"] = {
        "options": {k: option_list(opts.get(k, []), None, values.get(k)) for k in spec.filter_keys},
        "csv_style": csv_styles(1)[0],
    }
    return out


def held_item_names(spec: PageSpec) -> list[str]:
    """The panels of the page's first row, which the layout holds (the drill-down hint needs no callback).

    The row right under the KPIs and Insights is the one a laptop shows at load: the page then
    draws it without a round trip per panel. The layout holds the content and the browser shows
    it only when the panel nears the viewport (:func:`components.analytics.panel`), so a phone,
    where the row is below the fold, still draws nothing it does not show. Only the first row: the
    rest would make every layout heavier for panels seldom on screen at load.
    """
    return [item for item, _width in (spec.layout[0] if spec.layout else ()) if spec.panel(item) is not None]


def filter_options(spec: PageSpec, filters_data, id_list) -> list | Any:
    """Choices of each page filter (``id_list``: the dropdowns' ids), from the workspace's own data."""
    scope = request_scope(filters_data)
    if not isinstance(id_list, list) or not all(isinstance(i, dict) for i in id_list):
        return no_update  # the ids are browser state: a forged shape gets nothing
    opts = spec.options(scope) if spec.options else {}
    return [option_list(opts.get(i.get("key"), [])) for i in id_list]


def csv_styles(count: int) -> list:
    """The style of ``count`` "Download CSV" buttons: hidden from viewers (the download re-checks the role)."""
    allowed = current_context().can(Role.ANALYST)
    return [None if allowed else {"display": "none"}] * count


def click_outcome(spec: PageSpec, click, current) -> tuple:
    """(cross-filter, drill-down) after a click passed on by ``_PASS_CLICK`` (browser input: validated).

    A click on one of this page's charts may set the cross-filter (or clear it: the same bar
    again) and may select a period's rows; a grid row selection selects its rows.
    """
    click = click if isinstance(click, dict) else {}
    trig, value = click.get("id"), click.get("value")
    if not isinstance(trig, dict) or trig.get("page") != spec.page:
        return no_update, no_update
    if trig.get("type") not in (ids.ANALYTICS_GRAPH, ids.ANALYTICS_GRID):
        return no_update, no_update
    cross = (
        crossfilter_from_click(spec, trig, value, current)
        if trig.get("type") == ids.ANALYTICS_GRAPH
        else no_update
    )
    return cross, drill_from_event(spec, trig, value)


def option_list(values, search=None, selected=None) -> list[dict]:
    """At most MAX_OPTIONS dropdown options, those containing ``search`` when given.

    A workspace can hold hundreds of thousands of product or campaign names (or one absurd
    400 MB one): the browser gets a bounded list and finds the rest by typing. Values longer
    than a filter may be are left out (no filter could use them); the selected value stays.
    """
    needle = search.strip().lower()[:_MAX_VALUE] if isinstance(search, str) else ""
    chosen: list[str] = []
    for value in values:
        if not isinstance(value, str) or len(value) > _MAX_VALUE:
            continue
        if needle and needle not in value.lower():
            continue
        chosen.append(value)
        if len(chosen) >= MAX_OPTIONS:
            break
    if isinstance(selected, str) and 0 < len(selected) <= _MAX_VALUE and selected not in chosen:
        chosen.append(selected)
    # the none bucket reads "Unknown" (as the charts name its bar); its value stays "(none)"
    return [{"label": value_text(v), "value": v} for v in chosen]


def drill_from_event(spec: PageSpec, trig, value):
    """The drill-down selection for a chart click or a grid row selection (validated, trimmed)."""
    if not isinstance(trig, dict) or trig.get("item") not in spec.drill_items:
        return no_update
    if trig.get("type") == ids.ANALYTICS_GRID:
        row = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}
        value = row.get("campaign")
        value = str(value)[:_MAX_VALUE] if isinstance(value, str | int | float) and str(value) else None
    else:
        value = clicked_value(value)
    return {"item": trig["item"], "value": value} if value else no_update


def clicked_value(click) -> str | None:
    """The category/period a click names (customdata, else the x or y label)."""
    try:
        point = click["points"][0]
    except (TypeError, KeyError, IndexError):
        return None
    for key in ("customdata", "label", "x", "y"):
        value = point.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str | int | float) and str(value):
            return str(value)[:_MAX_VALUE]
    return None


def crossfilter_from_click(spec: PageSpec, trig, click, current):
    """The new cross-filter for a click on chart ``trig`` (toggles off when the same bar is clicked again)."""
    if not isinstance(trig, dict) or trig.get("item") not in spec.crossfilter_items:
        return no_update
    value = clicked_value(click)
    if value is None:
        return no_update
    new = {"key": spec.crossfilter_items[trig["item"]], "value": value}
    return None if clean_crossfilter(current) == new else new


def merge_search(search: str | None, values: dict) -> str:
    """``search`` with page filter keys set to ``values`` (None/empty removes the key)."""
    search = search if isinstance(search, str) else ""  # browser state: a forged one may be anything
    current = parse_qsl(search.lstrip("?"))
    pairs = [(k, v) for k, v in current if k not in values]
    pairs += [(k, v) for k, v in values.items() if isinstance(v, str) and v]
    if sorted(pairs) == sorted(current):  # the same page: rewriting the URL would render it twice
        return no_update
    return "?" + urlencode(pairs) if pairs else ""


def csv_download(spec: PageSpec, item, filters_data, page_filters, crossfilter, drill):
    """Build the dcc.Download payload for ``item`` after checking the role server-side.

    A paged grid's CSV holds all its rows, not the page on screen.
    """
    context = current_context()
    if not context.can(Role.ANALYST):
        audit.log_event(
            context, "export_denied", outcome="denied", detail=f"{spec.page}/{str(item)[:60]} CSV"
        )
        raise PermissionDenied(f"downloads need the analyst role; you are {context.role.value}")
    scope = request_scope(filters_data)
    filters = page_filters_of(spec, page_filters, crossfilter)
    frame = item_frame(spec, item, scope, filters, drill)
    if frame is None:
        return no_update
    f = scope.filters
    name = f"{spec.page}-{item}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    audit.log_event(context, "download", detail=f"{name} ({frame.height} rows)")
    return dcc.send_string(csv_of(frame), name)
