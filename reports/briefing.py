"""The report's "insights briefing" and "forecast" sections, from the insights and forecast services.

Both sections are built into the same :class:`reports.assemble.SectionData` the metric
sections use (KPIs, a trend, typed tables), so the PDF, XLSX and email renderers draw them
without knowing where they came from. Narration is always offline (a scheduled report never
waits on an AI provider) and forecasts use the quick models only (no Prophet), so a monthly
report stays fast.
"""

from __future__ import annotations

from datetime import date, timedelta

from components.formatting import (
    format_date,
    format_number,
    format_percent,
    format_value,
    is_flat,
    numbers_as,
)
from dashboard.forecast import engine as forecast_engine
from dashboard.forecast.series import ForecastError, prepare
from dashboard.forecast.service import HISTORY_DAYS as SERVICE_HISTORY_DAYS
from dashboard.forecast.service import QUICK_MODELS
from dashboard.forecast.totals import CALIBRATED, period_total
from dashboard.insights.engine import InsightsError, detect, narrate_offline
from dashboard.insights.narrate import change_text, describe, fmt
from dashboard.insights.source import WarehouseSource
from data.metrics import get_metric, query_metrics
from data.metrics.calendar import period_start, periods
from data.warehouse import ScopedWarehouse
from reports.assemble import Column, Kpi, SectionData, Table, Trend, chart_kind, partial_periods
from reports.periods import period_label, trend_grain

#: how many insights a report shows (the briefing is a summary; the page has the rest)
TOP_INSIGHTS = 5
#: an insight type as the trend's series names it (dashboard.insights.model.TYPES)
TYPE_LABELS = {
    "unusual_change": "Unusual changes",
    "period_change": "Changes vs the previous period",
    "top_contributors": "Main contributors",
    "trend_change": "Trend changes",
    "record_high": "Records (high)",
    "record_low": "Records (low)",
    "concentration": "Concentration",
    "goal_at_risk": "Goals at risk",
    "efficiency_change": "Ad efficiency changes",
    "email_deliverability": "Email deliverability",
    "churn_spike": "Churn spikes",
}
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
    trend = insights_trend(found, start, end)  # every finding, before the top few are kept
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
    return SectionData("insights", title, trend=trend, tables=[table])


def insights_trend(found: list, start: date, end: date) -> Trend | None:
    """How many findings fall on each day (week, month) of the report, by insight type.

    Insights are not stored: the report's run of the detectors over [start, end] is all there
    is, and it dates each finding (an unusual day, a trend's break) or spans the whole range (a
    change against the previous period, a record). The dated ones are counted in the period
    that holds them; the others belong to no one period and the trend's note counts them, so
    the sheet named "... trend" holds one and says what it leaves out. None without any.
    """
    if not found:
        return None
    grain = trend_grain(start, end)
    starts = periods(start, end, grain)
    index = {p: i for i, p in enumerate(starts)}
    counts: dict[str, list[float]] = {}
    spanning = 0
    for insight in found:
        first, last = period_start(insight.period_from, grain), period_start(insight.period_to, grain)
        if first != last or first not in index:
            spanning += 1
            continue
        counts.setdefault(insight.type, [0.0] * len(starts))[index[first]] += 1
    order = {t: i for i, t in enumerate(TYPE_LABELS)}
    series = [
        (TYPE_LABELS.get(t, t.replace("_", " ").capitalize()), "count", values)
        for t, values in sorted(counts.items(), key=lambda item: order.get(item[0], len(order)))
    ]
    dated = len(found) - spanning
    total = format_number(len(found))
    if not series:  # nothing dated: the periods with zero, and the note says why
        series = [("Insights found", "count", [0.0] * len(starts))]
    note = f"Counts all {total} findings for the period, not only the top {TOP_INSIGHTS}"
    if not dated:
        which = "The only finding" if len(found) == 1 else f"Each of the {total} findings"
        note = (
            f"{which} for the period covers the whole period (a change against the previous "
            f"period, a record ...), not a single {grain}: every count by {grain} is zero."
        )
    elif spanning:
        noun = "finding covers" if spanning == 1 else "findings cover"
        note += (
            f": {format_number(dated)} concern a single {grain} and are counted on it; "
            f"{format_number(spanning)} {noun} the whole period (a change against the previous "
            f"period, a record ...) and {'is' if spanning == 1 else 'are'} not counted by {grain}."
        )
    else:
        note += "."
    return Trend(
        grain,
        starts,
        series,
        kind=chart_kind(series, events=True),
        note=note,
        partial=partial_periods(starts, grain, start, end),
    )


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

    When the report's period is unfinished: its projected total (so far + the days left).
    When it is over: the forecast made as it ended, fitted on the days up to its last day only,
    for the days after it (as many as the report covers, at most a month): what the report
    showed when it was sent, whenever it is rendered. The days of that forecast that are over
    by ``today`` are set beside it with what actually happened. A period that has not started
    yet gets the days from today, and says so.
    """
    metric = get_metric(FORECAST_METRIC)
    currency = scoped.workspace.currency
    unfinished = start <= today <= end
    finished = end < today
    # the last day fitted: a finished period's last day, else yesterday (today is not over)
    last_day = end if finished else today - timedelta(days=1)
    history_start = min(start, last_day) - timedelta(days=HISTORY_DAYS)
    frame = query_metrics(scoped, [FORECAST_METRIC], history_start, max(end, today), grain="day")[
        FORECAST_METRIC
    ]
    periods = [date.fromisoformat(str(p)[:10]) for p in frame["period"].to_list()]
    values = frame["value"].to_list()
    series = prepare(periods, values, "day", last_day=last_day)
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
            check_bands=False,  # the report shows no backtest table
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
        today=last_day + timedelta(days=1),  # the first day forecast
        interval=FORECAST_INTERVAL,
        errors=CALIBRATED,
        non_negative=not metric.can_be_negative,
    )
    span = period_label(target_start, target_end)
    # labels are text now, the numbers are formatted when rendered: the band's percent in the
    # workspace's locale here ("80 %" in de-DE)
    with numbers_as(scoped.workspace.locale):
        band = f"{format_percent(FORECAST_INTERVAL, 0)} range"
    if unfinished:
        total_label = f"{metric.label}: projected total, {span}"
    else:
        # a total for days outside the report's period: named with them and the day it was made
        total_label = f"{metric.label}: forecast total, {span}, as of {format_date(last_day)}"
    kpis = [_kpi(total_label, projection.expected, metric, currency)]
    notes = [] if unfinished else [_made_note(start, end, today, last_day, span, len(rows))]
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
    # A finished period rendered later: the forecast days that are over have happened.
    actual = dict(zip(periods, values, strict=True))
    known = [r[0] for r in rows if finished and r[0] < today]
    series_out = [
        (f"{metric.label} forecast", "currency", [r[1] for r in rows]),
        ("Low", "currency", [r[2] for r in rows]),
        ("High", "currency", [r[3] for r in rows]),
    ]
    columns = (
        Column("period", "Day", "date"),
        Column("yhat", "Forecast", "currency"),
        Column("lower", "Low", "currency"),
        Column("upper", "High", "currency"),
    )
    table_rows = [(r[0], r[1], r[2], r[3]) for r in rows]
    if known:
        happened = [float(actual.get(r[0]) or 0) if r[0] < today else None for r in rows]
        series_out.append((f"{metric.label} actual", "currency", happened))
        columns += (Column("actual", "Actual", "currency"),)
        table_rows = [(*r, a) for r, a in zip(table_rows, happened, strict=True)]
        total = sum(a for a in happened if a is not None)
        whole = len(known) == len(rows)
        known_span = period_label(known[0], known[-1])
        label = (
            f"{metric.label}: actual, {known_span}"
            if whole
            else f"{metric.label}: actual so far, {known_span}"
        )
        kpis.append(_kpi(label, total, metric, currency))  # after the range it is read against
        expected = projection.expected if whole else sum(r[1] for r in rows if r[0] < today)
        notes.append(
            _actual_note(total, expected, projection, whole, known_span, len(known), len(rows), currency)
        )
    trend = Trend("day", [r[0] for r in rows], series_out)
    table = Table(
        f"{metric.label} forecast by day ({forecast_engine.LABELS.get(result.model, result.model)})",
        columns,
        table_rows,
    )
    return SectionData(
        "forecast", title, kpis=kpis, trend=trend if rows else None, tables=[table], notes=notes
    )


def _made_note(start: date, end: date, today: date, last_day: date, span: str, days: int) -> str:
    """When the forecast of a period that is not under way was made, and which days it covers.

    A Q3 report rendered in December must not read as if December's forecast were Q3's: the
    forecast of a finished period is the one made as it ended (fitted up to its last day), and
    the note says so; a period that has not started gets the days from today, said as such.
    """
    count = f"{format_number(days)} day{'' if days == 1 else 's'}"
    if end < today:
        return (
            f"Forecast as of {format_date(last_day)}, the last day of the report period: fitted on "
            f"the days up to then only, for the {count} after it ({span})."
        )
    return (
        f"Forecast from {format_date(today)}, when this report was made: the report period "
        f"({period_label(start, end)}) has not started, so these are the {count} from today ({span})."
    )


def _actual_note(
    total: float,
    expected: float,
    projection,
    whole: bool,
    known_span: str,
    known: int,
    days: int,
    currency: str,
) -> str:
    """What actually happened on the forecast's days that are over, against the forecast for them."""
    got, want = format_value(total, "currency", currency), format_value(expected, "currency", currency)
    if expected:
        change = (total - expected) / abs(expected)
        side = "above" if change > 0 else "below"
        versus = f"{format_percent(abs(change))} {side} the forecast of {want}"
        if is_flat(change):
            versus = f"as forecast ({want})"
    else:
        versus = f"against a forecast of {want}"
    if whole:
        text = f"What actually happened since: {got} in {known_span}, {versus}"
        if not projection.rough:
            inside = projection.lower <= total <= projection.upper
            text += (
                f", {'inside' if inside else 'outside'} its {format_percent(projection.interval, 0)} range"
            )
        return text + "."
    return (
        f"What actually happened so far: {got} in {known_span} ({format_number(known)} of the "
        f"{format_number(days)} days), {versus} for those days."
    )


def _kpi(label: str, value: float, metric, currency: str) -> Kpi:
    return Kpi(metric.name, label, metric.display_unit, metric.up_is_good, float(value), None, currency)
