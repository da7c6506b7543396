"""Machinery the three analytics pages share (no callbacks of its own; each page registers its set).

Every callback resolves the workspace from the session (``request_scope``); the stores the
browser sends (global filters, page filters, cross-filter, drill-down) are validated here and
only ever select *within* that workspace.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
import polars as pl
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from callbacks.common import Scope, request_scope
from components import ids
from components.analytics import chips
from components.formatting import format_value
from components.kpi_card import kpi_card
from dashboard.auth import require_role
from dashboard.models import Role
from dashboard.queries import cache_for, metric_frame
from data.analytics import CHANNEL_OF_PLATFORM
from data.metrics import get_metric, query_metric

FILTER_KEYS = ("channel", "campaign", "product", "country", "platform")
_MAX_VALUE = 200


def clean_filters(data, keys=FILTER_KEYS) -> dict[str, str]:
    """Page filters / cross-filter values from the browser: known keys, short strings, nothing else."""
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in keys and isinstance(v, str) and 0 < len(v) <= _MAX_VALUE}


def clean_crossfilter(data) -> dict[str, str] | None:
    """A cross-filter ``{"key": ..., "value": ...}`` or None."""
    if not isinstance(data, dict):
        return None
    pair = clean_filters({data.get("key"): data.get("value")} if isinstance(data.get("key"), str) else {})
    return {"key": next(iter(pair)), "value": next(iter(pair.values()))} if pair else None


def combined(page_filters: dict, crossfilter: dict | None) -> dict[str, str]:
    """Page filters plus the cross-filter (which wins on the same key)."""
    out = dict(page_filters)
    if crossfilter:
        out[crossfilter["key"]] = crossfilter["value"]
    return out


def where_for(metric_name: str, filters: dict[str, str]) -> dict[str, str]:
    """The filters a metric can apply, mapped to its dimensions.

    ``product`` filters subscription metrics by plan; ``channel`` filters ad metrics by the
    platforms that buy that channel (a channel no platform buys has no ad data).
    """
    metric = get_metric(metric_name)
    where: dict[str, str] = {}
    for key, value in filters.items():
        if key in metric.dimensions:
            where[key] = value
        elif key == "product" and "plan" in metric.dimensions:
            where["plan"] = value
        elif key == "channel" and "platform" in metric.dimensions:
            platforms = [p for p, c in CHANNEL_OF_PLATFORM.items() if c == value]
            where["platform"] = platforms[0] if platforms else "(no ad platform)"
    return where


def cached(scope: Scope, name: str, params: dict, fn: Callable):
    """``fn(scoped)`` through the query cache, keyed by workspace, data version, name and params."""
    scoped = scope.services.warehouse.scoped(scope.ctx.workspace)
    version = scoped.data_version()
    raw = f"an|{scope.ctx.workspace.id}|{version}|{name}|{json.dumps(params, sort_keys=True, default=str)}"
    key = "a:" + hashlib.sha1(raw.encode()).hexdigest()
    cache = cache_for(scope.services)
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = fn(scoped)
    cache.set(key, value)
    return value


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
    """A catalogue metric with the page's filters (cached; no filter -> dashboard.queries.metric_frame)."""
    where = where_for(name, filters or {})
    if by in where:
        where.pop(by)
    if not where:
        return metric_frame(scope.services, scope.ctx, name, start, end, grain=grain, by=by, compare=compare)
    params = {"n": name, "s": start, "e": end, "g": grain, "b": by, "c": compare, "w": where}
    return cached(
        scope,
        "metric",
        params,
        lambda s: query_metric(s, name, start, end, grain=grain, by=by, compare=compare, where=where),
    )


def metric_kpi(scope: Scope, name: str, filters: dict) -> dict:
    """Value, comparison and sparkline series of a catalogue metric for a KPI card."""
    f = scope.filters
    total = metric(scope, name, f.start, f.end, filters=filters, compare=f.compare)
    series = metric(scope, name, f.start, f.end, filters=filters, grain=f.grain)
    m = get_metric(name)
    return {
        "metric": name,
        "label": m.label,
        "unit": m.unit,
        "value": total["value"][0],
        "compare_value": total["compare_value"][0],
        "up_is_good": m.up_is_good,
        "series": series["value"].to_list(),
        "description": m.description,
    }


def card(scope: Scope, kpi: dict, goal=None):
    """A KPI card (plus goal progress and pace when the metric has a goal this period)."""
    f = scope.filters
    built = kpi_card(
        metric=kpi["metric"],
        label=kpi["label"],
        unit=kpi["unit"],
        currency=scope.ctx.workspace.currency,
        value=kpi["value"],
        compare_value=kpi.get("compare_value"),
        up_is_good=kpi["up_is_good"],
        series=kpi.get("series") or [],
        compare_label=f.compare_label if f.compare else None,
        description=kpi.get("description", ""),
    )
    if goal is None:
        return built
    pct = 0 if goal.progress is None else max(0.0, min(goal.progress, 1.0)) * 100
    pace = {True: ("on pace", "success"), False: ("behind pace", "warning"), None: ("", "secondary")}[
        goal.on_pace
    ]
    target = format_value(goal.target, kpi["unit"], scope.ctx.workspace.currency, compact=True)
    return html.Div(
        [
            built,
            html.Div(
                [
                    dbc.Progress(
                        value=pct,
                        color=pace[1],
                        className="pb-goal-bar",
                        **{"aria-label": f"{pct:.0f}% of goal"},
                    ),
                    html.Div(
                        f"{pct:.0f}% of {target} {goal.period} goal · {pace[0]}",
                        className="small text-body-secondary text-truncate",
                        id=f"{ids.kpi_card(kpi['metric'])}-goal",
                    ),
                ],
                className="pb-goal mt-1",
            ),
        ],
        className="h-100",
    )


def csv_of(frame: pl.DataFrame) -> str:
    """CSV text of a frame (dates ISO, no index)."""
    return frame.write_csv()


@dataclass
class PageSpec:
    """How one analytics page plugs into the shared callbacks."""

    page: str
    ids: dict[str, str]
    filter_keys: tuple[str, ...]
    #: (scope, filters) -> {item: frame} of exactly the data behind each chart/grid
    frames: Callable[[Scope, dict], dict[str, pl.DataFrame]]
    #: chart item -> the filter key a click sets (cross-filter)
    crossfilter_items: dict[str, str] = field(default_factory=dict)
    #: chart/grid item -> drill builder (scope, filters, clicked value) -> (title, frame)
    drill_items: dict[str, Callable] = field(default_factory=dict)
    #: filter key -> (scope) -> option values
    options: Callable[[Scope], dict[str, list[str]]] | None = None


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


def register(spec: PageSpec) -> None:
    """Register the page's cross-filter, chip, drill-down, CSV and page-filter callbacks."""
    p, pid = spec.page, spec.ids
    clear_id = f"pb-{p}-chip-clear"

    @callback(
        Output(pid["crossfilter"], "data"),
        Input({"type": ids.ANALYTICS_GRAPH, "page": p, "item": ALL}, "clickData"),
        State(pid["crossfilter"], "data"),
        prevent_initial_call=True,
    )
    def set_crossfilter(clicks, current):
        """Clicking a bar or slice of a cross-filter chart filters the rest of the page."""
        request_scope(None)  # authenticated, with a workspace
        return crossfilter_from_click(
            spec, ctx.triggered_id, ctx.triggered[0]["value"] if ctx.triggered else None, current
        )

    @callback(
        Output(pid["crossfilter"], "data", allow_duplicate=True),
        Input(clear_id, "n_clicks"),
        prevent_initial_call=True,
    )
    def clear_crossfilter(n):
        """The chip's × clears the cross-filter."""
        return None if n else no_update

    @callback(Output(pid["chips"], "children"), Input(pid["crossfilter"], "data"))
    def show_chip(data):
        """The active cross-filter as a chip."""
        return chips(clean_crossfilter(data), clear_id)

    @callback(
        Output(pid["drill"], "data"),
        Input({"type": ids.ANALYTICS_GRAPH, "page": p, "item": ALL}, "clickData"),
        Input({"type": ids.ANALYTICS_GRID, "page": p, "item": ALL}, "selectedRows"),
        prevent_initial_call=True,
    )
    def set_drill(_clicks, _rows):
        """Clicking a period or a campaign selects the rows to show in the details grid."""
        trig = ctx.triggered_id
        if not isinstance(trig, dict) or trig.get("item") not in spec.drill_items:
            return no_update
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        if trig["type"] == ids.ANALYTICS_GRID:
            value = (value or [{}])[0].get("campaign") if isinstance(value, list) and value else None
            value = str(value)[:_MAX_VALUE] if value else None
        else:
            value = clicked_value(value)
        return {"item": trig["item"], "value": value} if value else no_update

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
        return csv_download(spec, trig.get("item"), filters_data, page_filters, crossfilter, drill)

    @callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input({"type": ids.PAGE_FILTER, "page": p, "key": ALL}, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def page_filters_to_url(values, search):
        """Page filter choices go into the query string next to the global filters."""
        keys = [i["id"]["key"] for i in ctx.inputs_list[0]]
        return merge_search(search, dict(zip(keys, values, strict=False)))

    @callback(
        Output({"type": ids.PAGE_FILTER, "page": p, "key": ALL}, "options"),
        Input(ids.FILTERS_STORE, "data"),
        State({"type": ids.PAGE_FILTER, "page": p, "key": ALL}, "id"),
    )
    def filter_options(filters_data, id_list):
        """Choices of each page filter, from the workspace's own data."""
        scope = request_scope(filters_data)
        opts = spec.options(scope) if spec.options else {}
        return [[{"label": v, "value": v} for v in opts.get(i["key"], [])] for i in id_list]


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
    pairs = [(k, v) for k, v in parse_qsl((search or "").lstrip("?")) if k not in values]
    pairs += [(k, v) for k, v in values.items() if isinstance(v, str) and v]
    out = "?" + urlencode(pairs) if pairs else ""
    return no_update if out == (search or "") else out


def csv_download(spec: PageSpec, item, filters_data, page_filters, crossfilter, drill):
    """Build the dcc.Download payload for ``item`` after checking the role server-side."""
    require_role(Role.ANALYST)  # PermissionDenied for viewers: the download never happens
    scope = request_scope(filters_data)
    filters = combined(clean_filters(page_filters, spec.filter_keys), clean_crossfilter(crossfilter))
    if item == "drill":
        sel = drill if isinstance(drill, dict) else {}
        builder = spec.drill_items.get(sel.get("item"))
        if builder is None or not isinstance(sel.get("value"), str):
            return no_update
        _, frame = builder(scope, filters, sel["value"][:_MAX_VALUE])
    else:
        frames = spec.frames(scope, filters)
        if item not in frames:
            return no_update
        frame = frames[item]
    f = scope.filters
    name = f"{spec.page}-{item}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    return dcc.send_string(csv_of(frame), name)
