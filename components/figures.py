"""Plotly figures built from metric frames, all with one template. Pure: data in, figure out."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from components.formatting import currency_symbol

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


def tick_format(unit: str, currency: str) -> dict:
    """Axis number format for a unit."""
    if unit == "ratio":
        return {"tickformat": ".0%"}
    if unit == "currency":
        return {"tickprefix": currency_symbol(currency).strip(), "tickformat": "~s"}
    return {"tickformat": "~s"}


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to show."""
    fig = go.Figure(layout={"template": TEMPLATE})
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#6c757d"},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def trend_figure(frame: pl.DataFrame, *, label: str, unit: str, currency: str, compare_label: str | None = None,
                 height: int = 320) -> go.Figure:
    """The metric over time, with the comparison period as a dashed line on the same x positions."""
    if frame.height == 0 or frame["value"].drop_nulls().len() == 0:
        return empty_figure("No data in this date range")
    x = frame["period"].to_list()
    fig = go.Figure(layout={"template": TEMPLATE, "height": height})
    hover = "%{y:,.2f}" if unit != "ratio" else "%{y:.1%}"
    fig.add_trace(go.Scatter(x=x, y=frame["value"].to_list(), name=label, mode="lines",
                             line={"width": 2.5, "color": PALETTE[0]}, fill="tozeroy",
                             fillcolor="rgba(67,97,238,0.08)", hovertemplate=hover))
    if compare_label and "compare_value" in frame.columns and frame["compare_value"].drop_nulls().len():
        fig.add_trace(go.Scatter(x=x, y=frame["compare_value"].to_list(), name=compare_label, mode="lines",
                                 line={"width": 1.5, "dash": "dash", "color": COMPARE_COLOR}, hovertemplate=hover))
    fig.update_yaxes(**tick_format(unit, currency), rangemode="tozero")
    fig.update_xaxes(type="date", nticks=8)
    return fig


def sparkline_figure(values: list[float | None], *, good: bool | None = None) -> go.Figure:
    """A tiny line with no axes for KPI cards."""
    color = {True: "#2a9d8f", False: "#e63946", None: PALETTE[0]}[good]
    fig = go.Figure(layout={"template": TEMPLATE, "height": 44, "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
                            "showlegend": False, "hovermode": False})
    fig.add_trace(go.Scatter(y=values, mode="lines", line={"width": 1.8, "color": color}, hoverinfo="skip"))
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True, rangemode="tozero")
    return fig
