"""Builders of the Insights panel and the AI performance page. Pure: data in, components out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
import polars as pl
from dash import dcc, html

from components import ids
from components.chart_margins import fit_margins
from components.figures import PALETTE, base_layout, empty_figure
from components.formatting import column_label, format_date, format_number, format_value, percent_sign

#: how many insights the overview shows (the issue's "three most important things")
PANEL_SIZE = 3
#: what the panel says until the generation reports its first step
WAITING = "Looking for what changed…"
#: how often the browser asks a running generation for its progress
POLL_MS = 700
TYPE_ICONS = {
    "unusual_change": "bi-exclamation-diamond",
    "period_change": "bi-arrow-left-right",
    "top_contributors": "bi-diagram-3",
    "trend_change": "bi-graph-up-arrow",
    "record_high": "bi-trophy",
    "record_low": "bi-arrow-down-circle",
    "concentration": "bi-pie-chart",
    "goal_at_risk": "bi-flag",
    "efficiency_change": "bi-speedometer2",
    "email_deliverability": "bi-envelope-exclamation",
    "churn_spike": "bi-person-dash",
}


@dataclass(frozen=True)
class Following:
    """A generation of the panel's range that is running already: the layout polls it at once.

    Returned by ``callbacks.insights.cached_panel`` when the user opens a page again while the
    insights of its range are still being generated (the page visited a moment ago started
    them): the panel shows the job's progress and polls it, with no callback to ask first.
    """

    job_id: str
    fraction: float
    label: str


def insights_panel(page: str | None = None, body=None) -> dbc.Card:
    """The Insights card: filled by a server job the browser polls.

    Without ``page`` it is the overview's card; with one (``revenue``, ``campaigns``,
    ``customers``) its ids are that page's own and it shows the page's findings. ``body`` is
    what the layout found (``callbacks.insights.cached_panel``): the cached panel, or a
    :class:`Following` generation; without it the panel's callback is asked once the page is
    shown, and shows them or starts the job.
    """
    from components.analytics import fill_trigger  # that module builds pages on this one

    following = isinstance(body, Following)

    panel_id, job_id, poll_id = (
        (ids.INSIGHTS_PANEL, ids.INSIGHTS_JOB, ids.INSIGHTS_POLL)
        if page is None
        else (
            ids.page_insights(page, "panel"),
            ids.page_insights(page, "job"),
            ids.page_insights(page, "poll"),
        )
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.I(className="bi bi-lightbulb me-2"),
                        html.Span("Insights", className="fw-semibold"),
                    ],
                    className="d-flex align-items-center",
                )
            ),
            dbc.CardBody(
                html.Div(
                    progress(0.0, WAITING)
                    if body is None
                    else progress(body.fraction, body.label)
                    if following
                    else body,
                    id=panel_id,
                    **{"aria-live": "polite"},
                )
            ),
            dcc.Store(id=job_id, data={"job": body.job_id} if following else None),
            dcc.Interval(id=poll_id, interval=POLL_MS, disabled=not following),
            fill_trigger(page or "overview", "insights", body is not None),
        ],
        className="shadow-sm mb-3 pb-insights",
    )


def progress(fraction: float, label: str) -> html.Div:
    """The panel while insights are being generated."""
    return html.Div(
        [
            html.Div(label, className="small text-body-secondary mb-2"),
            dbc.Progress(
                value=max(5, round(fraction * 100)), striped=True, animated=True, style={"height": "6px"}
            ),
        ],
        className="pb-insights-progress",
    )


def insight_list(items: list[dict], votes: dict[str, int], note: str | None, provider: str) -> html.Div:
    """The top insights with their next step and 👍/👎 buttons; a note when the AI fell back."""
    if not items:
        return html.Div(
            [
                html.I(className="bi bi-check2-circle me-2"),
                "Nothing unusual in this period: no change stands out from the usual noise.",
            ],
            className="pb-empty text-body-secondary",
        )
    rows = [insight_item(item, votes.get(item["id"])) for item in items[:PANEL_SIZE]]
    footer = []
    if note:
        footer.append(
            dbc.Alert(
                [html.I(className="bi bi-info-circle me-2"), note],
                color="warning",
                className="py-2 px-3 small mb-0 mt-2",
            )
        )
    byline = (
        "Written by Pulseboard's templates"
        if provider == "offline"
        else f"Worded by {provider}; every number checked against your data"
    )
    footer.append(html.Div(byline, className="small text-body-secondary mt-2"))
    return html.Div([html.Ul(rows, className="list-unstyled mb-0 pb-insight-list"), *footer])


def insight_item(item: dict, vote: int | None) -> html.Li:
    """One insight: icon, headline, text, next step, feedback buttons."""
    up = vote == 1
    down = vote == -1
    return html.Li(
        [
            html.I(
                className=f"bi {TYPE_ICONS.get(item['type'], 'bi-lightbulb')} pb-insight-icon",
                **{"aria-hidden": "true"},
            ),
            html.Div(
                [
                    html.Div(item["headline"], className="fw-semibold pb-insight-headline"),
                    html.Div(item["text"], className="small pb-insight-text"),
                    html.Div(
                        [html.Strong("Next: "), item["action"]], className="small text-body-secondary mt-1"
                    ),
                ],
                className="flex-grow-1 pb-insight-body",
            ),
            html.Div(
                [
                    vote_button(item["id"], "up", up),
                    vote_button(item["id"], "down", down),
                ],
                className="d-flex flex-column gap-1 pb-insight-votes",
            ),
        ],
        className="d-flex gap-2 align-items-start py-2 border-bottom pb-insight",
    )


def vote_class(pressed: bool) -> str:
    """Bootstrap classes of a vote button, pressed or not."""
    return f"btn btn-sm {'btn-primary' if pressed else 'btn-light'} pb-insight-vote"


def vote_button(insight_id: str, vote: str, pressed: bool) -> html.Button:
    """A 👍 or 👎 button; ``pressed`` when it is the user's current vote."""
    label = "Useful" if vote == "up" else "Not useful"
    # Icons, not emoji: a server or phone without an emoji font would show empty boxes.
    icon = "bi-hand-thumbs-up" if vote == "up" else "bi-hand-thumbs-down"
    return html.Button(
        html.I(className=f"bi {icon}", **{"aria-hidden": "true"}),
        id=ids.insight_vote(insight_id, vote),
        className=vote_class(pressed),
        title=label,
        n_clicks=0,
        type="button",
        **{"aria-label": label, "aria-pressed": "true" if pressed else "false"},
    )


def failed(message: str) -> dbc.Alert:
    """The panel when generation failed."""
    return dbc.Alert(
        [html.I(className="bi bi-exclamation-triangle me-2"), message], color="danger", className="mb-0 small"
    )


# -- AI performance page ---------------------------------------------------------------------------
def _tile(label: str, value: str, hint: str | None = None) -> dbc.Col:
    body = [
        html.Div(label, className="small text-body-secondary"),
        html.Div(value, className="fs-5 fw-semibold"),
    ]
    if hint:
        body.append(html.Div(hint, className="small text-body-secondary"))
    return dbc.Col(
        dbc.Card(dbc.CardBody(body, className="py-2"), className="shadow-sm h-100"),
        xs=6,
        md=4,
        xl=2,
        className="mb-3",
    )


def _ms(value: float | None) -> str:
    """A latency in milliseconds as the workspace writes numbers: ``1,234 ms``, ``1.234 ms``."""
    return "—" if value is None else f"{format_number(value)} ms"


def _smape(value: float | None) -> str:
    """An error already in percent (sMAPE): ``12.5%``, ``12,5 %``."""
    return "—" if value is None else percent_sign(format_number(value, 1, grouped=False))


def perf_tiles(s: dict) -> dbc.Row:
    """The period's totals: calls, latency, tokens, cost, failure rates, feedback."""
    rate = lambda v: format_value(v, "ratio")  # noqa: E731
    return dbc.Row(
        [
            _tile(
                "Generations",
                format_value(s["calls"], "count"),
                f"{format_number(s['ai_calls'])} through an AI provider",
            ),
            _tile("Latency p50 / p95", f"{_ms(s['latency_p50'])} / {_ms(s['latency_p95'])}", "AI calls"),
            _tile("Tokens", format_value(s["tokens"], "count")),
            _tile("Estimated cost", format_value(s["cost"], "currency", "USD"), "from the price table"),
            _tile(
                "Errors / fallbacks", f"{rate(s['error_rate'])} / {rate(s['fallback_rate'])}", "of AI calls"
            ),
            _tile("Grounding failures", rate(s["grounding_failure_rate"]), "calls with a text discarded"),
            _tile("Feedback", rate(s["feedback_ratio"]), f"useful, of {format_number(s['votes'])} votes"),
        ]
    )


def generations_figure(
    per_day: pl.DataFrame, start: date | None = None, end: date | None = None
) -> go.Figure:
    """Generations per day, stacked by provider and model, over the period ``start``..``end``.

    The axis spans the whole period: one day's bar drawn alone filled the chart's width.
    """
    if per_day.height == 0:
        return empty_figure("No insight generations in this period yet")
    fig = go.Figure(layout={**base_layout(), "height": 280, "barmode": "stack", "hovermode": "x unified"})
    for i, series in enumerate(per_day["series"].unique(maintain_order=True).to_list()):
        part = per_day.filter(pl.col("series") == series)
        fig.add_bar(
            x=part["day"].to_list(),
            y=part["calls"].to_list(),
            name=series,
            marker_color=PALETTE[i % len(PALETTE)],
            width=0.8 * 86_400_000,  # most of a day (ms): Plotly draws a lone day's bar as a hairline
        )
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    days = (end - start).days + 1 if start and end else per_day["day"].n_unique()
    # whole days as the pages write them ("3 Dec"); a tick a day only while they fit
    fig.update_xaxes(type="date", tickformat="%-d %b", **({"dtick": 86_400_000} if days <= 14 else {}))
    if start and end:  # half a day either side: the first and last bars are whole
        half = timedelta(hours=12)
        fig.update_xaxes(range=[datetime.combine(start, time()) - half, datetime.combine(end, time()) + half])
    # Generations are counted: no 0.5 or 1.5 ticks when a day holds only a few of them.
    most_in_a_day = per_day.group_by("day").agg(pl.col("calls").sum())["calls"].max() or 0
    fig.update_yaxes(tickformat=",d", rangemode="tozero", **({"dtick": 1} if most_in_a_day <= 8 else {}))
    return fig


def model_table(rows: pl.DataFrame) -> html.Div:
    """Per provider and model: calls, latency, tokens, cost, rates."""
    if rows.height == 0:
        return html.Div("No calls in this period.", className="pb-empty text-body-secondary")
    head = [
        "Provider",
        "Model",
        "Calls",
        "p50",
        "p95",
        "Tokens",
        "Cost",
        "Errors",
        "Fallbacks",
        "Grounding failures",
    ]
    body = [
        html.Tr(
            [
                html.Td(r["provider"]),
                html.Td(r["model"] or "—"),
                html.Td(format_value(r["calls"], "count"), className="text-end"),
                html.Td(_ms(r["latency_p50"]), className="text-end"),
                html.Td(_ms(r["latency_p95"]), className="text-end"),
                html.Td(format_value(r["tokens"], "count"), className="text-end"),
                html.Td(format_value(r["cost"], "currency", "USD"), className="text-end"),
                html.Td(format_value(r["error_rate"], "ratio"), className="text-end"),
                html.Td(format_value(r["fallback_rate"], "ratio"), className="text-end"),
                html.Td(format_value(r["grounding_failure_rate"], "ratio"), className="text-end"),
            ]
        )
        for r in rows.iter_rows(named=True)
    ]
    return html.Div(
        dbc.Table(
            [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
            size="sm",
            hover=True,
            className="mb-0",
        ),
        className="table-responsive",
    )


def content_table(comparisons) -> html.Div:
    """AI-generated vs human-written content: rates, campaigns, p-value and the verdict."""
    head = ["Measure", "AI-generated", "Human-written", "p-value", "Verdict"]
    body = [
        html.Tr(
            [
                html.Td(c.measure),
                html.Td(
                    [
                        format_value(c.ai_rate, "ratio"),
                        html.Div(
                            f"{format_number(c.ai_campaigns)} campaigns",
                            className="small text-body-secondary",
                        ),
                    ],
                    className="text-end",
                ),
                html.Td(
                    [
                        format_value(c.human_rate, "ratio"),
                        html.Div(
                            f"{format_number(c.human_campaigns)} campaigns",
                            className="small text-body-secondary",
                        ),
                    ],
                    className="text-end",
                ),
                html.Td(format_number(c.p_value, 3, grouped=False), className="text-end"),
                html.Td(c.verdict, className="small pb-verdict"),
            ]
        )
        for c in comparisons
    ]
    return html.Div(
        [
            html.Div(
                ["Content counts as AI-generated when its campaign name or e-mail title carries a tag: ",
                 html.Code("[AI]"), ", ", html.Code("(AI)"), ", ", html.Code("#ai"), " or ", html.Code("ai-generated"), "."],
                className="small text-body-secondary mb-2",
            ),
            html.Div(dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)], size="sm", className="mb-0"), className="table-responsive"),
        ]
    )  # fmt: skip


def forecast_accuracy_view(scored: pl.DataFrame, weekly: pl.DataFrame) -> html.Div:
    """Realised forecast error over time: a line per model (weekly mean sMAPE) and the latest runs."""
    if scored.height == 0:
        return html.Div(
            [
                html.I(className="bi bi-hourglass me-2"),
                "No forecast can be scored yet: forecasts appear here once a period they predicted is over.",
            ],
            className="pb-empty text-body-secondary",
        )
    fig = go.Figure(layout={**base_layout(), "height": 260, "hovermode": "x unified"})
    for i, model in enumerate(weekly["model"].unique(maintain_order=True).to_list()):
        part = weekly.filter(pl.col("model") == model)
        fig.add_scatter(
            x=part["week"].to_list(),
            y=part["smape"].to_list(),
            name=model or "unknown",
            mode="lines+markers",
            marker_color=PALETTE[i % len(PALETTE)],
            customdata=part["runs"].to_list(),
            hovertemplate=percent_sign("%{y:.1f}") + " sMAPE (%{customdata} runs)",
        )
    fig.update_layout(
        legend={"orientation": "h", "y": -0.25}, yaxis_title="sMAPE %", yaxis_rangemode="tozero"
    )
    head = ["Run", "Made", "Metric", "Model", "Periods scored", "Realised sMAPE", "Backtest sMAPE"]
    latest = scored.sort("run_id", descending=True).head(20)
    body = [
        html.Tr(
            [
                html.Td(f"#{r['run_id']}"),
                html.Td(format_date(r["created_at"]), className="text-nowrap"),
                html.Td(f"{column_label(r['metric'])} (by {r['grain']})"),
                html.Td(r["model"] or "—"),
                html.Td(format_number(r["periods"]), className="text-end"),
                html.Td(_smape(r["smape"]), className="text-end"),
                html.Td(_smape(r["backtest_smape"]), className="text-end"),
            ]
        )
        for r in latest.iter_rows(named=True)
    ]
    return html.Div(
        [
            html.Div(
                "Each recorded forecast scored on its periods that are over: sMAPE of forecast vs actual "
                "(0% is perfect). Compare with the backtest error the model was chosen on.",
                className="small text-body-secondary mb-2",
            ),
            dcc.Graph(
                figure=fit_margins(fig), config={"displayModeBar": False}, id=ids.AI_PERF_FORECAST_FIGURE
            ),
            html.Div(
                dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)], size="sm"),
                className="table-responsive",
            ),
        ]
    )


def section(title: str, body, subtitle: str | None = None) -> dbc.Card:
    """A titled card of the AI performance page."""
    header = [html.Div(title, className="fw-semibold")]
    if subtitle:
        header.append(html.Div(subtitle, className="small text-body-secondary"))
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="shadow-sm mb-3")


def performance_page(tiles, figure: go.Figure, models, content, forecast) -> html.Div:
    """The AI performance page's body for one period."""
    return html.Div(
        [
            tiles,
            section("Insight generations over time", dcc.Graph(figure=fit_margins(figure), config={"displayModeBar": False, "responsive": True}),
                    "By provider and model; offline generations are Pulseboard's own templates."),
            section("By provider and model", models),
            section("Forecast accuracy", forecast),
            section("AI-generated vs human-written content", content,
                    "Ad CTR and conversion rate, e-mail click rate; two-proportion z-test."),
        ]
    )  # fmt: skip
