"""Forecasts: where a metric is heading, how sure the forecast is and how accurate it has been."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.reports import report_links
from components import ids
from components.filter_bar import report_downloads
from components.forecast import card, controls
from components.shell import page_header
from dashboard.forecast.service import metric_options

dash.register_page(__name__, path="/forecasts", title="Forecasts · Pulseboard", name="Forecasts", order=4)

EMPTY = "Pick a metric and press Run forecast."


def layout(**kwargs):
    """The forecast controls and the result cards (filled by callbacks.forecasts)."""
    return html.Div(
        [
            page_header(
                "Forecasts",
                "Forecasts tested on your own history, with the range they are likely to fall in.",
            ),
            dcc.Store(id=ids.FORECAST_INIT, data=0),
            dcc.Store(id=ids.FORECAST_JOB),
            dcc.Interval(id=ids.FORECAST_POLL, interval=600, disabled=True),
            controls(kwargs, metric_options()),
            # the PDF/Excel links every analytics page has (its filter bar's; this page has none)
            html.Div(
                report_downloads(report_links("/forecasts", kwargs)),
                className="pb-forecast-downloads d-flex justify-content-end mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        card(
                            "Forecast",
                            ids.FORECAST_CHART,
                            html.Div(EMPTY, className="pb-empty text-body-secondary"),
                            subtitle="history, forecast and range",
                        ),
                        lg=8,
                    ),
                    dbc.Col(card("Model", ids.FORECAST_SUMMARY, None, subtitle="chosen and why"), lg=4),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        card("Backtest", ids.FORECAST_BACKTEST, None, subtitle="errors on your history"), lg=7
                    ),
                    dbc.Col(
                        card(
                            "Unusual periods", ids.FORECAST_ANOMALIES, None, subtitle="outside the expected"
                        ),
                        lg=5,
                    ),
                ]
            ),
        ],
        className="pb-forecasts",
    )
