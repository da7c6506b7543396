"""The report's "insights briefing" and "forecast" sections, from the insights and forecast services.

Both sections are built into the same :class:`reports.assemble.SectionData` the metric
sections use (KPIs, a trend, typed tables), so the PDF, XLSX and email renderers draw them
without knowing where they came from. Narration is always offline (a scheduled report never
waits on an AI provider) and forecasts use the quick models only (no Prophet), so a monthly
report stays fast.
"""

from __future__ import annotations

from datetime import date, timedelta

from components.formatting import format_percent, numbers_as
from dashboard.forecast import engine as forecast_engine
from dashboard.forecast.series import ForecastError, prepare
from dashboard.forecast.service import HISTORY_DAYS as SERVICE_HISTORY_DAYS
from dashboard.forecast.service import QUICK_MODELS
from dashboard.forecast.totals import CALIBRATED, period_total
from dashboard.insights.engine import InsightsError, detect, narrate_offline
from dashboard.insights.narrate import change_text, describe, fmt
from dashboard.insights.source import WarehouseSource
from data.metrics import get_metric, query_metrics
from data.warehouse import ScopedWarehouse
from reports.assemble import Column, Kpi, SectionData, Table, Trend
from reports.periods import period_label

#: how many insights a report shows (the briefing is a summary; the page has the rest)
TOP_INSIGHTS = 5
#: the metric the forecast section projects
FORECAST_METRIC = "net_revenue"
#: coverage of the forecast's range
FORECAST_INTERVAL = 0.8
#: days of daily history the forecast is fitted on: the KPI cards' (three years), so its range can
#: be calibrated on a year of earlier months as theirs is (six months gave too few)
HISTORY_DAYS = SERVICE_HISTORY_DAYS["day"]
#: the longest forecast a report shows, in days
MAX_HORIZON = 31


def insights_section(scoped: ScopedWarehouse, title: str, start: date, end: date) -> SectionData:
    """The top insights of [start, end], narrated offline: headline, numbers and suggested action."""
    try:
        found = detect(WarehouseSource(scoped), start, end)
    except InsightsError as exc:
        return SectionData("insights", title, empty_message=f"No insights: {exc}.")
    insights = narrate_offline(found[:TOP_INSIGHTS], scoped.workspace.currency)
    if not insights:
        return SectionData(
            "insights",
            title,
            empty_message=f"No notable changes were found for {period_label(start, end)}.",
        )
    columns = (
        Column("headline", "Insight"),
        Column("value", "Value", "text"),
        # Text, as the insight card says it: relative for amounts and counts, points for a rate
        # (a column of numbers would have to hold a percent of a percent for rates).
        Column("change", "Change"),
        Column("money_at_stake", "Money at stake", "currency"),
        Column("action", "Suggested action"),
    )
    rows = []
    for insight in insights:
        rows.append(
            (
                insight.headline,
                _value_text(insight, scoped.workspace.currency),
                change_text(insight.metric, insight.value, insight.baseline),
                float(insight.money_at_stake),
                insight.action or "—",
            )
        )
    table = Table(f"Top {len(rows)} insights", columns, rows)
    return SectionData("insights", title, tables=[table])


def _value_text(insight, currency: str) -> str:
    """``Net revenue: $1,234.00 (was $1,000.00)`` in the metric's own unit."""
    label = describe(insight.metric)[0]
    if insight.value is None:
        return label
    text = f"{label}: {fmt(insight.metric, insight.value, currency)}"
    if insight.baseline is not None:
        text += f" (was {fmt(insight.metric, insight.baseline, currency)})"
    return text


def forecast_section(scoped: ScopedWarehouse, title: str, start: date, end: date, today: date) -> SectionData:
    """Net revenue forecast with its range at 80% coverage.

    When the report's period is unfinished: its projected total (so far + the days left);
    otherwise the days after today, as many as the report covers (at most a month).
    """
    metric = get_metric(FORECAST_METRIC)
    currency = scoped.workspace.currency
    last_day = today - timedelta(days=1)  # today is not over: never fit it
    history_start = min(start, last_day) - timedelta(days=HISTORY_DAYS)
    frame = query_metrics(scoped, [FORECAST_METRIC], history_start, max(end, today), grain="day")[
        FORECAST_METRIC
    ]
    periods = [date.fromisoformat(str(p)[:10]) for p in frame["period"].to_list()]
    values = frame["value"].to_list()
    series = prepare(periods, values, "day", last_day=last_day)
    unfinished = start <= today <= end
    if unfinished:
        target_start, target_end = start, end
        horizon = (end - last_day).days
    else:
        days = min(MAX_HORIZON, (end - start).days + 1)
        target_start, target_end = last_day + timedelta(days=1), last_day + timedelta(days=days)
        horizon = days
    try:
        result = forecast_engine.forecast(
            series,
            horizon=horizon,
            interval=FORECAST_INTERVAL,
            candidates=QUICK_MODELS,
            non_negative=not metric.can_be_negative,
        )
    except ForecastError as exc:
        return SectionData("forecast", title, empty_message=f"No forecast: {exc}")
    rows = [
        (p, float(y), float(lo), float(hi))
        for p, y, lo, hi in zip(result.periods, result.yhat, result.lower, result.upper, strict=True)
        if target_start <= p <= target_end
    ]
    so_far = 0.0
    if unfinished:
        so_far = sum(float(v or 0) for p, v in zip(periods, values, strict=True) if start <= p <= last_day)
    # The total's range as the KPI cards read it: from this model's own errors on earlier
    # periods. The daily bands added up end to end (the "level" range) gave "$0 – $412k" for a
    # month of about $100k; with too little history the range is left out (``rough``).
    projection = period_total(
        so_far,
        0.0,
        result.rows(),
        (series.periods, series.values, result.model),
        target_start,
        target_end,
        today=today,
        interval=FORECAST_INTERVAL,
        errors=CALIBRATED,
        non_negative=not metric.can_be_negative,
    )
    span = period_label(target_start, target_end)
    what = "Projected total" if unfinished else "Forecast total"
    # labels are text now, the numbers are formatted when rendered: the band's percent in the
    # workspace's locale here ("80 %" in de-DE)
    with numbers_as(scoped.workspace.locale):
        band = f"{format_percent(FORECAST_INTERVAL, 0)} range"
    kpis = [
        _kpi(f"{metric.label}: {what.lower()}, {span}", projection.expected, metric, currency),
    ]
    notes = []
    if projection.rough:
        notes.append(f"No {band}: too little history to say how far the total may be off.")
    else:
        kpis += [
            _kpi(f"Low end ({band})", projection.lower, metric, currency),
            _kpi(f"High end ({band})", projection.upper, metric, currency),
        ]
    if result.band_rough:  # the daily Low/High past the days the history could check
        where = f"past day {result.band_steps}" if result.band_steps else "throughout"
        notes.append(f"The daily {band} is the model's own {where}: too little history to check it.")
    if unfinished:
        kpis.insert(1, _kpi(f"{metric.label} so far", so_far, metric, currency))
    trend = Trend(
        "day",
        [r[0] for r in rows],
        [
            (f"{metric.label} forecast", "currency", [r[1] for r in rows]),
            ("Low", "currency", [r[2] for r in rows]),
            ("High", "currency", [r[3] for r in rows]),
        ],
    )
    table = Table(
        f"{metric.label} forecast by day ({forecast_engine.LABELS.get(result.model, result.model)})",
        (
            Column("period", "Day", "date"),
            Column("yhat", "Forecast", "currency"),
            Column("lower", "Low", "currency"),
            Column("upper", "High", "currency"),
        ),
        [(r[0], r[1], r[2], r[3]) for r in rows],
    )
    return SectionData(
        "forecast", title, kpis=kpis, trend=trend if rows else None, tables=[table], notes=notes
    )


def _kpi(label: str, value: float, metric, currency: str) -> Kpi:
    return Kpi(metric.name, label, metric.display_unit, metric.up_is_good, float(value), None, currency)
