"""Builders of the forecast views: chart with band, model card, backtest table, anomalies, controls.

Pure: data in, component out.
They take the forecast payload of :func:`dashboard.forecast.service.run_forecast` (a dict).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components import ids
from components.analytics import GRAPH_CONFIG
from components.chart_margins import fit_margins
from components.figures import PALETTE, base_layout, tick_format
from components.formatting import (
    COMPACT_FROM,
    format_date,
    format_number,
    format_percent,
    format_value,
    hover_texts,
    percent_sign,
)

BAND_FILL = "rgba(67,97,238,0.18)"
FORECAST_COLOR = "#3a0ca3"
ANOMALY_COLOR = "#e63946"
NO_FILTER = "none"
GRAIN_WORD = {"day": "days", "week": "weeks", "month": "months"}
MODEL_OPTIONS = [
    {"label": "Auto (best backtest)", "value": "auto"},
    {"label": "Prophet", "value": "prophet"},
    {"label": "ETS", "value": "ets"},
    {"label": "Theta", "value": "theta"},
    {"label": "Seasonal naive", "value": "snaive"},
    {"label": "Naive", "value": "naive"},
]
INTERVAL_OPTIONS = [{"label": f"{p}% band", "value": p / 100} for p in (80, 90, 95)]
MODEL_NAMES = {o["value"]: o["label"] for o in MODEL_OPTIONS} | {"combo": "ETS + Theta combination"}


def add_forecast(fig: go.Figure, payload: dict, *, name: str = "Forecast") -> go.Figure:
    """Draw the payload's forecast line and band (and the unfinished period so far) onto ``fig``.

    The line and band start at the last actual value, so the forecast visibly continues it.
    """
    rows = payload["rows"]
    if not rows:
        return fig
    history = payload.get("history") or []
    if history:
        last = history[-1]
        anchor = {
            "period": last["period"],
            "yhat": last["value"],
            "lower": last["value"],
            "upper": last["value"],
        }
        rows = [anchor, *rows]
    x = [r["period"] for r in rows]
    pct = format_percent(payload["interval"], 0)
    unit, currency = payload["unit"], payload["currency"]
    fig.add_trace(
        go.Scatter(
            x=x + x[::-1],
            y=[r["upper"] for r in rows] + [r["lower"] for r in rows][::-1],
            fill="toself",
            fillcolor=BAND_FILL,
            mode="lines",
            line={"width": 0},
            name=f"{pct} range",
            hoverinfo="skip",
            showlegend=True,
            legendgroup="forecast",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r["yhat"] for r in rows],
            name=name,
            mode="lines",
            line={"width": 2, "dash": "dot", "color": FORECAST_COLOR},
            # the unit in every hover ("$41,200.00 (range $38,000.00 – $44,000.00)"), true minus signs
            text=[
                f"{_v(r['yhat'], unit, currency)} (range {_v(r['lower'], unit, currency)}"
                f" – {_v(r['upper'], unit, currency)})"
                for r in rows
            ],
            hovertemplate="%{text}<extra>" + name + "</extra>",
            legendgroup="forecast",
        )
    )
    partial = payload.get("partial")
    if partial:
        fig.add_trace(
            go.Scatter(
                x=[partial["period"]],
                y=[partial["value"]],
                name="So far (unfinished)",
                mode="markers",
                marker={"symbol": "circle-open", "size": 9, "color": PALETTE[0]},
                text=hover_texts([partial["value"]], unit, currency),
                hovertemplate="%{text} so far<extra></extra>",
                legendgroup="forecast",
            )
        )
    return fig


def _v(value, unit: str, currency: str) -> str:
    """One value of a forecast hover, as the pages write it (unit, symbol, true minus sign)."""
    return format_value(value, unit, currency)


def without_forecast(figure: dict) -> dict:
    """``figure`` (a figure dict) without the traces :func:`add_forecast` drew.

    The chart's panel hands back the figure as the browser holds it, forecast included, so
    switching the forecast off (or on again) must take those traces away, not trust the panel.
    """
    traces = [t for t in figure.get("data", []) if t.get("legendgroup") != "forecast"]
    return {**figure, "data": traces}


def forecast_figure(payload: dict, *, height: int = 380) -> go.Figure:
    """History, forecast with its band, the unfinished period so far and the anomalies."""
    history = payload["history"]
    unit, currency = payload["unit"], payload["currency"]
    fig = go.Figure(layout={**base_layout(), "height": height})
    fig.add_trace(
        go.Scatter(
            x=[h["period"] for h in history],
            y=[h["value"] for h in history],
            name=payload["label"],
            mode="lines",
            line={"width": 2, "color": PALETTE[0]},
            text=hover_texts([h["value"] for h in history], unit, currency),
            hovertemplate="%{text}<extra>Actual</extra>",
        )
    )
    add_forecast(fig, payload)
    anomalies = payload.get("anomalies") or []
    if anomalies:
        fig.add_trace(
            go.Scatter(
                x=[a["date"] for a in anomalies],
                y=[a["actual"] for a in anomalies],
                name="Unusual",
                mode="markers",
                marker={"size": 9, "color": ANOMALY_COLOR, "symbol": "diamond"},
                customdata=[[a["expected"], a["score"]] for a in anomalies],
                text=[
                    f"{_v(a['actual'], unit, currency)}, expected about {_v(a['expected'], unit, currency)}"
                    for a in anomalies
                ],
                hovertemplate="%{text}<extra>Unusual</extra>",
            )
        )
    shown = [v for r in payload["rows"] for v in (r["lower"], r["upper"])] + [
        h["value"] for h in payload.get("history") or []
    ]
    fig.update_yaxes(**tick_format(payload["unit"], payload["currency"], shown))
    fig.update_xaxes(type="date", nticks=8)
    return fig


def summary(payload: dict) -> html.Div:
    """Which model, why, and how accurate it has been, in words."""
    unit, currency = payload["unit"], payload["currency"]
    rows = payload["rows"]
    total = sum(r["yhat"] for r in rows) if payload["unit"] != "ratio" else None
    span = f"next {len(rows)} {GRAIN_WORD[payload['grain']]}"
    lines = [
        html.Div(
            [
                html.Span("Model: ", className="text-body-secondary"),
                html.Strong(MODEL_NAMES[payload["model"]]),
            ],
            id=f"{ids.FORECAST_SUMMARY}-model",
        ),
        html.Div(payload["reason"], className="small"),
        html.Div(
            payload["accuracy"], className="small fw-semibold mt-1", id=f"{ids.FORECAST_SUMMARY}-accuracy"
        ),
    ]
    if total is not None and payload["metric"] not in ("mrr", "arr"):
        lines.append(
            html.Div(
                f"Expected over the {span}: {format_value(total, unit, currency, compact=True)}",
                className="small mt-1",
            )
        )
    if payload.get("partial"):
        p = payload["partial"]
        lines.append(
            html.Div(
                f"The period starting {format_date(p['period'])} is unfinished ({format_value(p['value'], unit, currency)} "
                "so far): it is shown, not used to fit.",
                className="small text-body-secondary mt-1",
            )
        )
    note = band_note(payload)
    if note:
        lines.append(
            html.Div(note, className="small text-body-secondary mt-1", id=f"{ids.FORECAST_SUMMARY}-band")
        )
    if payload.get("skipped"):
        left_out = "; ".join(f"{k}: {v}" for k, v in payload["skipped"].items())
        lines.append(html.Div(f"Left out: {left_out}", className="small text-body-secondary mt-1"))
    return html.Div(lines, className="pb-fc-summary")


def band_note(payload: dict) -> str | None:
    """What a rough band is, in words; None when the whole band is checked against the history.

    The band is read from the model's own errors on earlier cuts of the history; where there
    were too few to read it (a young workspace, a horizon longer than the history can check)
    it is the model's own, and the page says so, as a KPI card says 'range uncertain'.
    """
    if not payload.get("band_rough") or not payload.get("rows"):
        return None
    steps = int(payload.get("band_steps") or 0)
    pct = format_percent(payload["interval"], 0)
    if steps <= 0:
        return f"The {pct} range is uncertain (little history): too little history to check it, so it is the model's own."
    unit = GRAIN_WORD[payload["grain"]]
    return (
        f"The {pct} range is checked against your history for the first {steps} {unit}; "
        "further out it is the model's own and uncertain (little history)."
    )


def in_band_cell(score: dict, pct: str, unit: str) -> str | html.Span:
    """A backtest row's "in band": the share of tested periods inside the band the chart draws.

    That band is the calibrated one (``coverage``); where it could not be checked at every test
    point (``coverage_rough``) the cell says "rough" instead of a share, as a KPI card says
    "range uncertain". The model's own band's share (``raw_coverage``) is in the hover text.
    """
    raw = score.get("raw_coverage")
    own = f" (the model's own band held {format_percent(raw, 0)})" if raw is not None else ""
    if score.get("coverage_rough"):
        return html.Span(
            "rough",
            title=f"Too little history before the earliest test point to check the {pct} band there{own}.",
            className="text-body-secondary",
        )
    if score.get("coverage_checked") is False:
        return html.Span(
            "not checked",
            title=f"Checking this model's {pct} band refits it many times; it is checked when it is "
            f"the model chosen{own}.",
            className="text-body-secondary",
        )
    coverage = score.get("coverage")
    if coverage is None:
        return format_percent(None)
    return html.Span(
        format_percent(coverage, 0),
        title=f"{format_percent(coverage, 0)} of the actual {unit} fell inside the {pct} band{own}.",
    )


def backtest_table(payload: dict) -> html.Div:
    """Each model's backtest errors and share of periods in its band, best first, the chosen one marked."""
    scores = payload["backtest"]
    if not scores:
        return html.Div(
            "Too little history to backtest the models.", className="pb-empty text-body-secondary"
        )

    def key(item):
        s = item[1]
        return (s["mase"] is None, s["mase"] if s["mase"] is not None else s["smape"])

    pct = format_percent(payload["interval"], 0)
    unit = GRAIN_WORD[payload["grain"]]
    body = []
    for name, s in sorted(scores.items(), key=key):
        chosen = name == payload["model"]
        coverage = in_band_cell(s, pct, unit)
        body.append(
            html.Tr(
                [
                    # the name may wrap: on a phone the "in band" column then stays on screen
                    html.Td([MODEL_NAMES.get(name, name), " ✓" if chosen else ""]),
                    html.Td(percent_sign(format_number(s["smape"], 1, grouped=False)), className="text-end"),
                    html.Td(format_number(s["mase"], 2, grouped=False), className="text-end"),
                    html.Td(coverage, className="text-end"),
                ],
                className="table-primary" if chosen else None,
            )
        )
    h = payload["tested_horizon"]
    caption = (
        f"Tested at {payload['origins']} points of your history, {h} {GRAIN_WORD[payload['grain']]} ahead each. "
        "sMAPE: typical error in %. MASE below 1 beats repeating the last season. "
        f"In {pct} band: share of the actual {unit} inside the {pct} band the chart would have drawn "
        "at each point (✓: the band shown), read from the model's errors before that point; "
        f"near {pct} is right. Rough: too little history to check it."
    )
    if any(score.get("coverage_checked") is False for score in scores.values()):
        caption += " Not checked: a slow model's band is checked only when it is the one chosen."
    return html.Div(
        [
            dbc.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Model"),
                                html.Th("sMAPE", className="text-end"),
                                html.Th("MASE", className="text-end"),
                                html.Th(
                                    f"In {pct} band",
                                    className="text-end",
                                    title=f"Share of the actual {unit} inside the {pct} band the chart draws",
                                ),
                            ]
                        )
                    ),
                    html.Tbody(body),
                ],
                size="sm",
                hover=True,
                className="mb-1",
                id=f"{ids.FORECAST_BACKTEST}-table",
            ),
            html.Div(caption, className="small text-body-secondary"),
        ],
        className="table-responsive",
    )


def anomalies_list(payload: dict) -> html.Div:
    """The unusual periods of the history, newest first."""
    found = payload.get("anomalies") or []
    if not found:
        return html.Div("Nothing unusual in this history.", className="pb-empty text-body-secondary")
    unit, currency = payload["unit"], payload["currency"]
    items = [
        html.Li(
            f"{format_date(a['date'])}: {format_value(a['actual'], unit, currency)} "
            f"({'above' if a['score'] > 0 else 'below'} the expected {format_value(a['expected'], unit, currency)})",
            className="small",
        )
        for a in sorted(found, key=lambda a: a["date"], reverse=True)[:12]
    ]
    return html.Ul(items, className="mb-0 ps-3")


def graph(payload: dict) -> dcc.Graph:
    """The forecast chart as a graph component."""
    return dcc.Graph(
        figure=fit_margins(forecast_figure(payload)),
        config=GRAPH_CONFIG,
        className="pb-graph",
        id=f"{ids.FORECAST_CHART}-graph",
    )


def card(title: str, body_id: str, body, *, subtitle: str | None = None) -> dbc.Card:
    """A titled card whose body a callback fills."""
    header = html.Div(
        [
            html.Span(title, className="fw-semibold"),
            html.Span(f" · {subtitle}", className="text-body-secondary small") if subtitle else None,
        ],
        className="text-truncate",
    )
    return dbc.Card(
        [dbc.CardHeader(header), dbc.CardBody(html.Div(body, id=body_id), className="p-2")],
        className="shadow-sm mb-3 pb-panel",
    )


def forecast_switch(switch_id: str, ask_id: str | None = None) -> html.Div:
    """The "Forecast" switch under a trend chart (draws the forecast and its band on it).

    ``ask_id`` names a store beside it that a clientside gate fills when the server must draw.
    """
    switch = dbc.Switch(id=switch_id, label="Forecast", value=False, className="small mb-0")
    return html.Div(
        [switch, dcc.Store(id=ask_id)] if ask_id else switch,
        className="d-flex justify-content-end pb-forecast-switch mb-3",
        style={"marginTop": "-0.75rem"},
        title="Show where this is heading, with an 80% range (analysts and up)",
    )


def _field(label: str, control, *, width: dict) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="small mb-1"), control], **width, className="mb-2")


def controls(query: dict, metrics: list[dict] | None = None) -> dbc.Card:
    """Metric, grain, horizon, model, band, filter; Run and Cancel; progress.

    ``metrics`` are the metric dropdown's options. They are rendered with the page because
    Dash 4's dropdown clears a value its options do not hold: one rendered without options
    could lose the chosen metric to that check, racing the callback that fills them.
    """
    metrics = metrics or []
    names = {m["value"] for m in metrics}
    metric = query.get("metric") if query.get("metric") in names else "net_revenue"
    grain = query.get("grain") if query.get("grain") in ("day", "week", "month") else "month"
    horizon = (
        query.get("horizon")
        if str(query.get("horizon", "")).isdigit()
        else {"day": 30, "week": 12, "month": 6}[grain]
    )
    model = query.get("model") if query.get("model") in MODEL_NAMES else "auto"
    w = {"xs": 12, "sm": 6, "lg": 2}
    row = dbc.Row(
        [
            _field(
                "Metric",
                dcc.Dropdown(id=ids.FORECAST_METRIC, options=metrics, value=metric, clearable=False),
                width={"xs": 12, "sm": 12, "lg": 3},
            ),
            _field(
                "Grain",
                dbc.Select(
                    id=ids.FORECAST_GRAIN,
                    value=grain,
                    options=[{"label": g.title(), "value": g} for g in ("day", "week", "month")],
                ),
                width={"xs": 6, "sm": 3, "lg": 1},
            ),
            _field(
                "Horizon",
                dbc.Input(
                    id=ids.FORECAST_HORIZON, type="number", min=1, max=1000, step=1, value=int(horizon)
                ),
                width={"xs": 6, "sm": 3, "lg": 1},
            ),
            _field("Model", dbc.Select(id=ids.FORECAST_MODEL, value=model, options=MODEL_OPTIONS), width=w),
            _field(
                "Range",
                dbc.Select(id=ids.FORECAST_INTERVAL, value=0.8, options=INTERVAL_OPTIONS),
                width={"xs": 6, "sm": 6, "lg": 2},
            ),
            _field(
                "Filter",
                html.Div(
                    [
                        dbc.Select(
                            id=ids.FORECAST_DIM, value="", options=[{"label": "No filter", "value": ""}]
                        ),
                        dbc.Input(
                            id=ids.FORECAST_VALUE,
                            placeholder="value",
                            list=ids.FORECAST_VALUES,
                            maxLength=200,
                            debounce=True,
                        ),
                        html.Datalist(id=ids.FORECAST_VALUES),
                    ],
                    className="d-flex gap-1",
                ),
                width={"xs": 12, "sm": 6, "lg": 3},
            ),
        ],
        className="g-2 align-items-end",
    )
    buttons = html.Div(
        [
            dbc.Button("Run forecast", id=ids.FORECAST_RUN, color="primary", size="sm", n_clicks=0),
            dbc.Button(
                "Cancel", id=ids.FORECAST_CANCEL, color="secondary", outline=True, size="sm", disabled=True
            ),
            html.Div(
                dbc.Progress(
                    id=ids.FORECAST_PROGRESS, value=0, className="pb-fc-progress", style={"height": "6px"}
                ),
                className="flex-grow-1",
                style={"minWidth": "80px"},
            ),
        ],
        className="d-flex gap-2 align-items-center mt-1",
    )
    return dbc.Card(
        dbc.CardBody(
            [
                row,
                buttons,
                html.Div(id=ids.FORECAST_STATUS, className="small text-body-secondary mt-1", role="status"),
                html.Div(id=ids.FORECAST_NOTICE),
            ],
            className="p-2",
        ),
        className="shadow-sm mb-3",
    )


def projection_text(projection, unit: str, currency: str, period_word: str = "this month") -> str:
    """'On track for $41.2k this month, 80% range $38k–$44k' (a KPI card's projection line).

    A projection whose range could not be calibrated (too little history, ``rough``) says so
    instead of printing a range nobody should read: 'On track for $41.2k this month, range
    uncertain (little history)'.
    """
    if getattr(projection, "rough", False):
        value = format_value(projection.expected, unit, currency, compact=True)
        return f"On track for {value} {period_word}, range uncertain (little history)"
    # the three numbers are read together: one notation for all (not "$1,206–$16.4k")
    shown = (projection.expected, projection.lower, projection.upper)
    together = 1_000 if any(abs(v or 0) >= COMPACT_FROM for v in shown) else COMPACT_FROM

    def fmt(value: float) -> str:
        return format_value(value, unit, currency, compact=True, compact_from=together)

    return (
        f"On track for {fmt(projection.expected)} {period_word}, "
        f"{format_percent(projection.interval, 0)} range {fmt(projection.lower)}–{fmt(projection.upper)}"
    )


def goal_text(
    probability: float, target: str | None = None, *, up_is_good: bool = True, rough: bool = False
) -> str:
    """'62% chance of reaching the goal', or with the target '62% chance to reach $50k'.

    A budget (``up_is_good`` False) reads '62% chance to stay within $5k'. Rounded; never 0% or
    100% unless the period is settled. A chance read from a ``rough`` range (too little history
    to calibrate it, see :func:`projection_text`) gives no percentage it cannot back, only the
    direction: 'Likely to reach $50k, chance uncertain (little history)'.
    """
    if rough:
        verb = "reach" if up_is_good else "stay within"
        what = target if target is not None else ("the goal" if up_is_good else "the budget")
        likely = "Likely" if probability >= 0.5 else "Unlikely"
        return f"{likely} to {verb} {what}, chance uncertain (little history)"
    pct = probability * 100
    shown = percent_sign(
        "<1" if 0 < pct < 1 else ">99" if 99 < pct < 100 else format_number(pct, 0, grouped=False)
    )
    if target is None:
        return f"{shown} chance of reaching the goal"
    return f"{shown} chance to {'reach' if up_is_good else 'stay within'} {target}"
