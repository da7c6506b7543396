"""Plotly figures built from metric frames, all with one template. Pure: data in, figure out."""

from __future__ import annotations

import math
from datetime import date

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from components.formatting import (
    currency_affixes,
    format_month,
    format_percent,
    format_tick,
    format_value,
    hover_format,
    hover_texts,
    number_style,
    plotly_percents_fit,
    plotly_separators,
)
from data.metrics import value_text

PALETTE = ["#4361ee", "#f72585", "#4cc9f0", "#7209b7", "#3a0ca3", "#fb8500", "#2a9d8f", "#e76f51"]
COMPARE_COLOR = "#adb5bd"
TEMPLATE = "pulseboard"

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        colorway=PALETTE,
        margin={"l": 8, "r": 8, "t": 24, "b": 8},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        hovermode="x unified",
        xaxis={"showgrid": False, "automargin": True, "zeroline": False},
        yaxis={"gridcolor": "rgba(128,128,128,0.2)", "automargin": True, "zeroline": False},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
    )
)


def base_layout() -> dict:
    """What every figure's layout starts from: the template, and the number locale's separators.

    Plotly writes ``1,234.5`` unless told otherwise; ``separators`` makes hovers and axes use
    the workspace's decimal and thousands signs (left out in en-US: Plotly's default).
    """
    separators = plotly_separators()
    return {"template": TEMPLATE, "separators": separators} if separators else {"template": TEMPLATE}


def tick_format(unit: str, currency: str, values: list | None = None) -> dict:
    """Axis number format for a unit (the currency symbol on the side the locale writes it).

    Ratios: Plotly's ``.0%``, or, in a locale that writes a space before the percent sign (see
    :func:`plotly_percents_fit`), ticks labelled as the cards write them, for the axis's
    ``values`` (the data it shows).
    """
    if unit == "ratio":
        if values is None or plotly_percents_fit():
            return {"tickformat": ".0%"}
        return percent_ticks(values)
    if unit == "currency":
        prefix, suffix = currency_affixes(currency)
        if number_style().is_default:
            return {"tickprefix": prefix.strip(), "tickformat": "~s"}
        return (
            {"tickformat": "~s"}
            | ({"tickprefix": prefix} if prefix else {})
            | ({"ticksuffix": suffix} if suffix else {})
        )
    return {"tickformat": "~s"}


def signed_currency_ticks(low: float, high: float, currency: str, *, count: int = 5) -> dict:
    """Axis ticks for amounts that go below zero, labelled as the cards write them: ``−$2k``.

    Plotly puts a ``tickprefix`` before the sign (``$−2k``); these ticks are ``tickvals`` at a
    round step (1, 2 or 5 x 10^n) with ``ticktext`` from :func:`format_value` (compact).
    """
    low, high = min(low, 0.0), max(high, 0.0)
    span = high - low or 1.0
    step = _round_step(span / max(count - 1, 1))
    first = math.floor(low / step) * step
    values = [first + i * step for i in range(int(math.ceil((high - first) / step)) + 1)]
    return {
        "tickmode": "array",
        "tickvals": values,
        "ticktext": [format_tick(v, "currency", currency) for v in values],
    }


def percent_ticks(values: list, *, count: int = 5) -> dict:
    """Axis ticks for fractions from zero to the largest of ``values``, labelled ``12,5 %``.

    ``tickvals`` at a round step (1, 2 or 5 x 10^n) with ``ticktext`` from
    :func:`format_percent`, with as many decimals as the step needs.
    """
    present = [float(v) for v in values if v is not None and v == v]
    low, high = min([0.0, *present]), max([0.0, *present])
    raw = (high - low or 1.0) / max(count - 1, 1)
    step = _round_step(raw)
    first = math.floor(low / step) * step
    ticks = [first + i * step for i in range(int(math.ceil((high - first) / step - 1e-9)) + 1)]
    decimals = max(0, -math.floor(math.log10(step * 100) + 1e-9))
    return {
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [format_percent(v, decimals) for v in ticks],
    }


def _round_step(raw: float) -> float:
    """The least of 1, 2 or 5 x 10^n that is at least ``raw``."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def percent_hovers(values) -> list[str] | None:
    """Each value as a percentage (``12,5 %``) for a trace's ``hovertext``, or None in en-US.

    Only where Plotly's own ``.1%`` would not write it as the locale does (see
    :func:`plotly_percents_fit`): elsewhere the template's ``%{x:.1%}`` stays as it was.
    """
    return None if plotly_percents_fit() else [format_percent(v) for v in values]


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to show."""
    fig = go.Figure(layout=base_layout())
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 14, "color": "#6c757d"},
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def trend_figure(
    frame: pl.DataFrame,
    *,
    label: str,
    unit: str,
    currency: str,
    compare_label: str | None = None,
    height: int = 320,
    unfinished: bool = False,
) -> go.Figure:
    """The metric over time, with the comparison period as a dashed line on the same x positions.

    ``unfinished`` marks the last period as not over yet (this month, two days old): its segment
    is dotted and lighter and its hover says "to date", so a low value never reads as a drop.
    """
    if frame.height == 0 or frame["value"].drop_nulls().len() == 0:
        return empty_figure("No data in this date range")
    x = frame["period"].to_list()
    y = frame["value"].to_list()
    fig = go.Figure(layout={**base_layout(), "height": height})
    # each point hovers its own formatted text: a net loss reads "−$1,200.00", not "$-1,200.00"
    hover = "%{text}"
    texts = hover_texts(y, unit, currency)
    partial = unfinished and len(x) > 1
    done = len(x) - 1 if partial else len(x)
    fig.add_trace(
        go.Scatter(
            x=x[:done],
            y=y[:done],
            text=texts[:done],
            name=label,
            mode="lines",
            line={"width": 2.5, "color": PALETTE[0]},
            fill="tozeroy",
            fillcolor="rgba(67,97,238,0.08)",
            hovertemplate=hover,
        )
    )
    if partial:
        fig.add_trace(
            go.Scatter(
                x=x[-2:],
                y=y[-2:],
                text=texts[-2:],
                name=f"{label} (to date)",
                mode="lines+markers",
                line={"width": 2, "color": PALETTE[0], "dash": "dot"},
                marker={"size": [0, 7], "color": PALETTE[0]},
                opacity=0.55,
                hovertemplate=[None, hover + " (to date)"],
                showlegend=True,
            )
        )
    if compare_label and "compare_value" in frame.columns and frame["compare_value"].drop_nulls().len():
        fig.add_trace(
            go.Scatter(
                x=x,
                y=frame["compare_value"].to_list(),
                text=hover_texts(frame["compare_value"].to_list(), unit, currency),
                name=compare_label,
                mode="lines",
                line={"width": 1.5, "dash": "dash", "color": COMPARE_COLOR},
                hovertemplate=hover,
            )
        )
    shown = y + (frame["compare_value"].to_list() if "compare_value" in frame.columns else [])
    fig.update_yaxes(**tick_format(unit, currency, shown), rangemode="tozero")
    fig.update_xaxes(type="date", nticks=8)
    return fig


def mark_unfinished(fig: go.Figure) -> go.Figure:
    """Draw the last bar of every bar trace lighter and say "to date" in its hover (in place).

    For bar charts by period whose last period is not over yet: a low bar then reads as a part
    of a period, not as a drop.
    """
    for trace in fig.data:
        if isinstance(trace, go.Bar) and trace.y is not None and len(trace.y) > 1:
            n = len(trace.y)
            trace.marker.opacity = [1.0] * (n - 1) + [0.45]
            if isinstance(trace.hovertemplate, str):
                trace.hovertemplate = [trace.hovertemplate] * (n - 1) + [trace.hovertemplate + " (to date)"]
    return fig


def sparkline_mode(values: list[float | None]) -> dict:
    """The sparkline trace's ``mode`` (and marker): dots too when half the points or fewer have a value."""
    defined = sum(v is not None for v in values)
    if 0 < defined <= max(2, len(values) // 2):
        return {"mode": "lines+markers", "marker": {"size": 4}}
    return {"mode": "lines"}


#: a sparkline's colour: up is good, up is bad, neutral
SPARK_COLORS = {True: "#2a9d8f", False: "#e63946", None: PALETTE[0]}


# -- analytics pages (revenue, campaigns, customers) -------------------------------------------

MOVEMENT_COLORS = {
    "new": "#2a9d8f",
    "expansion": "#4cc9f0",
    "reactivation": "#7209b7",
    "contraction": "#fb8500",
    "churn": "#e63946",
}
NET_COLOR = "#8d96a0"
MOVEMENT_LABELS = {
    "new": "New",
    "expansion": "Expansion",
    "reactivation": "Reactivation",
    "contraction": "Contraction",
    "churn": "Churn",
}


def bar_figure(
    frame: pl.DataFrame,
    category: str,
    value: str = "value",
    *,
    unit: str,
    currency: str,
    selected: str | None = None,
    horizontal: bool = True,
    height: int = 300,
    empty_message: str = "No data in this date range",
    labels: dict[str, str] | None = None,
) -> go.Figure:
    """Bars of ``value`` by ``category`` (largest first); a ``selected`` bar is highlighted.

    Each bar's ``customdata`` is its category so a click (clickData) names it; ``labels`` maps a
    category code to the name shown on the axis (e.g. ``google_ads`` -> "Google Ads"); the
    missing value ``(none)`` reads "Unknown".
    """
    if frame.height == 0 or frame[value].drop_nulls().len() == 0:
        return empty_figure(empty_message)
    cats = [str(c) for c in frame[category].to_list()]
    vals = frame[value].to_list()
    colors = [PALETTE[0] if selected in (None, c) else "rgba(67,97,238,0.3)" for c in cats]
    # rows without a value read "Unknown" (the click still filters on "(none)", which matches them)
    shown = [(labels or {}).get(c, value_text(c)) for c in cats]
    # a percentage hovers its own text where Plotly's `.1%` would not write it as the locale does
    texts = percent_hovers(vals) if unit == "ratio" else None
    number = "%{hovertext}" if texts else hover_format(unit, currency, "x" if horizontal else "y")
    hover = f"%{{{'y' if horizontal else 'x'}}}: {number}<extra></extra>"
    bar = go.Bar(
        x=vals if horizontal else shown,
        y=shown if horizontal else vals,
        customdata=cats,
        orientation="h" if horizontal else "v",
        marker_color=colors,
        hovertemplate=hover,
        hovertext=texts,
    )
    fig = go.Figure(
        bar, layout={**base_layout(), "height": height, "showlegend": False, "hovermode": "closest"}
    )
    axis = fig.update_xaxes if horizontal else fig.update_yaxes
    axis(**tick_format(unit, currency, vals))
    if horizontal:
        fig.update_yaxes(autorange="reversed", ticklabeloverflow="hide past domain")
    return fig


def movements_figure(movements: pl.DataFrame, *, currency: str, height: int = 320) -> go.Figure:
    """MRR movements per period as stacked bars (gains up, losses down) plus a net-movement line.

    Bars carry ``customdata`` = the period so a click drills down into its customers.
    """
    if movements.height == 0 or all(movements[m].sum() == 0 for m in MOVEMENT_COLORS):
        return empty_figure("No subscription movements in this date range")
    x = [p or "Range" for p in movements["period"].to_list()]
    fig = go.Figure(
        layout={**base_layout(), "height": height, "barmode": "relative", "hovermode": "x unified"}
    )
    for name, color in MOVEMENT_COLORS.items():
        sign = -1 if name in ("contraction", "churn") else 1
        y = [sign * v for v in movements[name].to_list()]
        fig.add_trace(
            go.Bar(
                x=x,
                y=y,
                name=MOVEMENT_LABELS[name],
                marker_color=color,
                customdata=x,
                # losses hover "−$3,500.00" (Plotly's own format would write "$-3,500.00")
                text=hover_texts(y, "currency", currency),
                textposition="none",
                hovertemplate="%{text}",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=movements["net_movement"].to_list(),
            name="Net",
            mode="lines+markers",
            # mid grey: visible on the light and the dark theme (near-black vanished on dark)
            line={"color": NET_COLOR, "width": 2.5},
            marker={"color": NET_COLOR, "size": 6},
            customdata=x,
            text=hover_texts(movements["net_movement"].to_list(), "currency", currency),
            hovertemplate="%{text}",
        )
    )
    # losses go below zero: the axis reads "−$2k", not Plotly's "$−2k"
    gains = [
        sum(v or 0 for v in vals)
        for vals in zip(*(movements[m] for m in ("new", "expansion", "reactivation")), strict=True)
    ]
    losses = [
        -sum(v or 0 for v in vals)
        for vals in zip(*(movements[m] for m in ("contraction", "churn")), strict=True)
    ]
    fig.update_yaxes(**signed_currency_ticks(min(losses), max(gains), currency))
    return fig


#: Cohort cells from pale to deep blue: never white, so they read on the dark theme too.
COHORT_SCALE = [[0.0, "#c5cff8"], [0.5, "#6a84f0"], [1.0, "#1d2f8f"]]


def cohort_heatmap(
    cohorts: pl.DataFrame, *, value: str = "customer_retention", height: int = 360, today: date | None = None
) -> go.Figure:
    """Cohort (rows) x months since first payment (columns), coloured by retention.

    With ``today``, a cell of a month that has not started yet is left blank instead of "0%"
    (the newest cohort has no month 1 yet); the month that is still running is in italics and
    its hover says "month to date", so 0% two days into December does not read as a loss.
    Cohorts read "Jan 2026", not "2026-01".
    """
    if cohorts.height == 0:
        return empty_figure("No customers in these cohorts")
    wide = cohorts.pivot(on="months_since", index="cohort", values=value, sort_columns=True).sort("cohort")
    months = [c for c in wide.columns if c != "cohort"]
    z = wide.select(months).to_numpy().tolist()
    labels = [str(c) for c in wide["cohort"].to_list()]
    # the running month is a part of a month: italic, and its hover says "to date"
    running = [[False] * len(months) for _ in labels]
    if today is not None:
        now = today.year * 12 + today.month - 1
        for r, cohort in enumerate(labels):
            for c, m in enumerate(months):
                if _month_index(cohort) + int(m) > now:
                    z[r][c] = None
                running[r][c] = _month_index(cohort) + int(m) == now
    text = [
        [
            "" if v is None or v != v else (f"<i>{format_percent(v, 0)}</i>" if run else format_percent(v, 0))
            for v, run in zip(row, runs, strict=True)
        ]
        for row, runs in zip(z, running, strict=True)
    ]
    notes = [[" (month to date)" if run else "" for run in runs] for runs in running]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[int(m) for m in months],
            y=[format_month(c) for c in labels],
            text=text,
            customdata=notes,
            texttemplate="%{text}",
            colorscale=COHORT_SCALE,
            zmin=0,
            zmax=1,
            showscale=False,
            hoverongaps=False,
            hovertext=None if plotly_percents_fit() else [[format_percent(v) for v in row] for row in z],
            hovertemplate="cohort %{y}, month %{x}: "
            + ("%{z:.1%}" if plotly_percents_fit() else "%{hovertext}")
            + "%{customdata}<extra></extra>",
            xgap=1,
            ygap=1,
        ),
        layout={**base_layout(), "height": height, "hovermode": "closest"},
    )
    fig.update_xaxes(title_text="Months since first payment", dtick=1, side="top")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def _month_index(cohort: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` (or ISO date) cohort label."""
    return int(cohort[:4]) * 12 + int(cohort[5:7]) - 1


def funnel_figure(stages: pl.DataFrame, *, height: int = 300) -> go.Figure:
    """The marketing funnel with each stage's value and the rate from the previous stage."""
    if stages.height == 0 or stages["value"].sum() == 0:
        return empty_figure("No funnel data in this date range")
    fig = go.Figure(
        go.Funnel(
            y=stages["stage"].to_list(),
            x=stages["value"].to_list(),
            text=[format_value(v, "count") for v in stages["value"].to_list()],
            textinfo="text",
            hovertemplate="%{y}: %{x:,.0f}<extra></extra>",
            marker={"color": PALETTE[: stages.height]},
            customdata=stages["stage"].to_list(),
        ),
        layout={**base_layout(), "height": height, "hovermode": "closest"},
    )
    return fig


#: the calibration chart's axes reach this far past 0% and 100% (a share of the axis)
CALIBRATION_PAD = 0.06
CALIBRATION_TICKS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def calibration_figure(calibration: pl.DataFrame, *, height: int = 280) -> go.Figure:
    """Predicted vs observed win rate per probability bin (the diagonal is perfect calibration)."""
    if calibration.height == 0:
        return empty_figure("Not enough closed deals to check calibration")
    fig = go.Figure(layout={**base_layout(), "height": height, "hovermode": "closest"})
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="Perfect", line={"dash": "dot", "color": COMPARE_COLOR}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=calibration["predicted"].to_list(),
            y=calibration["observed"].to_list(),
            mode="markers+lines",
            name="Model",
            text=calibration["bin"].to_list(),
            marker={"size": [6 + min(n, 30) for n in calibration["deals"].to_list()], "color": PALETTE[0]},
            hovertemplate="%{text}: predicted %{x:.0%}, won %{y:.0%}<extra></extra>"
            if plotly_percents_fit()
            else "%{text}: %{hovertext}<extra></extra>",
            hovertext=None
            if plotly_percents_fit()
            else [
                f"predicted {format_percent(p, 0)}, won {format_percent(o, 0)}"
                for p, o in zip(calibration["predicted"], calibration["observed"], strict=True)
            ],
        )
    )
    ticks = (
        {"tickformat": ".0%", "tickmode": "array", "tickvals": CALIBRATION_TICKS}
        if plotly_percents_fit()
        else percent_ticks([1.0], count=6)
    )
    # Padded: on [0, 1] exactly the two axes' "0%" labels met at the origin on a phone, the
    # bins at 0% and 100% were cut in half by the frame, and 100% lost its x tick.
    span = [-CALIBRATION_PAD, 1 + CALIBRATION_PAD]
    fig.update_xaxes(range=span, title_text="Predicted", **ticks)
    fig.update_yaxes(range=span, title_text="Won", **ticks)
    return fig


def customers_figure(counts: pl.DataFrame, *, height: int = 300) -> go.Figure:
    """New and returning customers per period as stacked bars (their sum is the active customers)."""
    if counts.height == 0 or counts["active"].sum() == 0:
        return empty_figure("No paying customers in this date range")
    x = [str(p) if p is not None else "Range" for p in counts["period"].to_list()]
    fig = go.Figure(layout={**base_layout(), "height": height, "barmode": "stack", "hovermode": "x unified"})
    for name, label, color in (("new", "New", PALETTE[6]), ("returning", "Returning", PALETTE[0])):
        fig.add_trace(
            go.Bar(
                x=x,
                y=counts[name].to_list(),
                name=label,
                marker_color=color,
                customdata=x,
                hovertemplate="%{y:,.0f}",
            )
        )
    fig.update_yaxes(tickformat="~s")
    return fig


# -- dark theme ----------------------------------------------------------------------------------
# Pages follow the theme through CSS (assets/theme-dark.css recolours axis text, legends and
# gridlines of every rendered figure, so a toggle needs no round trip); this template is for
# figures built for a known theme, e.g. exports or a callback that takes the theme store.
TEMPLATE_DARK = "pulseboard_dark"
DARK_TEXT = "#dee2e6"

pio.templates[TEMPLATE_DARK] = go.layout.Template(pio.templates[TEMPLATE]).update(
    layout={
        "font": {"color": DARK_TEXT},
        "xaxis": {"gridcolor": "rgba(222,226,230,0.15)", "linecolor": "rgba(222,226,230,0.3)"},
        "yaxis": {"gridcolor": "rgba(222,226,230,0.15)", "linecolor": "rgba(222,226,230,0.3)"},
        "hoverlabel": {"bgcolor": "#2b3035", "bordercolor": "#495057", "font": {"color": DARK_TEXT}},
    }
)


def themed(fig: go.Figure, theme: str | None) -> go.Figure:
    """``fig`` on the dark template when ``theme`` is "dark" (in place; returned for chaining).

    Any other value ("light", "auto", None) keeps the light template: "auto" is resolved in the
    browser, where the CSS rules apply.
    """
    if theme == "dark":
        fig.update_layout(template=TEMPLATE_DARK)
    return fig


def spend_roas_figure(frame: pl.DataFrame, *, currency: str, height: int = 300) -> go.Figure:
    """Ad spend per period as bars with ROAS (conversion value / spend) as a line on a second axis.

    ``frame`` has columns period, spend, roas (and conversions); each bar and point carries its
    period as ``customdata`` so a click drills into that period's ad rows.
    """
    if frame.height == 0 or not frame["spend"].fill_null(0).sum():
        return empty_figure("No ad spend in this date range")
    x = [str(p) for p in frame["period"].to_list()]
    fig = go.Figure(layout={**base_layout(), "height": height, "hovermode": "x unified"})
    fig.add_trace(
        go.Bar(
            x=x,
            y=frame["spend"].to_list(),
            name="Spend",
            marker_color=PALETTE[0],
            customdata=x,
            hovertemplate=hover_format("currency", currency),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=frame["roas"].to_list(),
            name="ROAS",
            mode="lines+markers",
            yaxis="y2",
            line={"color": PALETTE[5], "width": 2},
            customdata=x,
            connectgaps=False,
            hovertemplate="%{y:.2f}×",
        )
    )
    fig.update_yaxes(**tick_format("currency", currency), rangemode="tozero")
    fig.update_layout(
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickmode": "auto",
            "nticks": 6,
            "tickformat": ".1~f",
            "ticksuffix": "×",
            "automargin": True,
        }
    )
    fig.update_xaxes(type="date" if len(x[0]) == 10 else "category", nticks=8)
    return fig
