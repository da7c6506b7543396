"""Detectors of change in one metric's own history.

- ``unusual_change``: a day outside its expected band (STL, or a forecast's band);
- ``period_change``: the range vs the previous period, significant against the noise of
  earlier periods of the same length;
- ``top_contributors``: which dimension value explains most of a material change;
- ``trend_change``: a sustained break from the trend of the weeks before;
- ``record_high`` / ``record_low``: the best or worst whole month (or week) in the history.

Every detector takes a :class:`~dashboard.insights.source.MetricSource`, the range being
explained and an :class:`~dashboard.insights.impact.Exposure`, and returns insights.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from components.labels import dimension_value_label
from dashboard.insights import stats
from dashboard.insights.impact import Exposure
from dashboard.insights.model import Insight
from dashboard.insights.narrate import percent_text
from dashboard.insights.source import MetricSource, values
from dashboard.ops.priority import yield_to_pages
from data.metrics import get_metric, periods, whole_periods

#: the headline metrics whose own history is watched (additive ones first: they decompose)
WATCHED = ("net_revenue", "refunds", "new_customers", "spend", "conversions", "conversion_value", "sessions",
           "key_events", "deals_won")  # fmt: skip
#: snapshot and rate metrics compared period over period too
WATCHED_LEVELS = ("mrr", "web_conversion_rate")
#: splits watched for unusual days and decomposed for contributors
SPLITS = {
    "net_revenue": ("channel", "product"),
    "spend": ("platform", "campaign"),
    "conversions": ("platform", "campaign"),
    "sessions": ("channel",),
    "new_customers": ("channel",),
}
#: revenue metrics whose changes are also decomposed by customer (names, never vendor ids)
CUSTOMER_SPLITS = ("net_revenue", "refunds")
#: a customer who explains at least this part of what the best channel or product explains is
#: the better answer: one account to call rather than a whole channel
CUSTOMER_PREFERENCE = 0.8
#: customers read per change (the largest moves)
MAX_CUSTOMERS = 10
#: the least share of a change a contributor must explain
MIN_SHARE = 0.4
#: splits whose weekly trend is watched per value (a channel can turn while the total hides it)
TREND_SPLITS = (("net_revenue", "channel"),)
#: how far back a day's expected band and the trend look
HISTORY_DAYS = 182
#: earlier periods of the range's length used to measure period-to-period noise
NOISE_WINDOWS = 6
#: a change smaller than this (relative) is not material, however significant
MATERIAL = 0.10
#: |z| a change needs, in noise units (the noise is measured on a few periods: a high bar)
MIN_Z = 3.0
#: most dimension values examined per split (the largest ones)
MAX_VALUES = 8


def _action(metric: str, went_up: bool) -> str:
    """A next step for a change of ``metric`` (direction-aware: a rise in costs is bad news)."""
    definition = get_metric(metric)
    label = definition.label.lower()
    if metric == "refunds" and went_up:
        return "Review the refunded orders for a product or quality problem."
    if metric == "spend" and went_up:
        return "Confirm the extra ad spend is intended and is bringing conversions."
    if went_up == definition.up_is_good:
        return f"Find what drove {label} {'up' if went_up else 'down'} and do more of it."
    if not went_up:
        return f"Look into the drop in {label}: tracking, pricing, campaigns or a lost source."
    return f"Find out why {label} rose and whether it is a problem."


def windows(start: date, end: date, count: int) -> list[tuple[date, date]]:
    """The range and the ``count`` earlier ranges of the same length right before it."""
    length = (end - start).days + 1
    return [(start - timedelta(days=length * i), end - timedelta(days=length * i)) for i in range(count + 1)]


# -- period_change -------------------------------------------------------------------------------
def period_change(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """Each watched metric's range vs the previous period, significant against earlier periods' noise."""
    names = [*WATCHED, *WATCHED_LEVELS]
    per_window = [source.frames(names, s, e) for s, e in windows(start, end, NOISE_WINDOWS)]
    out = []
    for name in names:
        series = [frames[name]["value"][0] for frames in per_window]
        found = _period_finding(name, series, start, end, exposure)
        if found:
            out.append(found)
    return out


def _period_finding(name, series, start, end, exposure) -> Insight | None:
    current, previous = series[0], series[1]
    if current is None or previous is None or previous == 0:
        return None
    change = (current - previous) / abs(previous)
    if abs(change) < MATERIAL:
        return None
    # Periods before the data began read as zero: keep the history up to the first empty one.
    history = []
    for value in series[1:]:
        if value is None or value == 0:
            break
        history.append(float(value))
    if len(history) >= 3:
        noise = float(np.std(np.diff(history), ddof=1))
        noise = max(noise, 0.03 * abs(previous))
        if get_metric(name).unit == "count":  # counts are at least Poisson-noisy: 2 deals vs 1 is not news
            noise = max(noise, float(np.sqrt(abs(current) + abs(previous))))
        z = (current - previous) / noise
        if abs(z) < MIN_Z:
            return None
        confidence = stats.normal_confidence(z)
        baseline_note = {"noise": noise, "z": z, "periods_compared": len(history)}
    else:  # too little history to measure noise: only large changes count, with less confidence
        small_count = get_metric(name).unit == "count" and abs(current - previous) < 3 * np.sqrt(
            abs(current) + abs(previous)
        )
        if abs(change) < 0.25 or small_count:
            return None
        confidence, baseline_note = 0.6, {"periods_compared": len(history)}
    s1, e1 = windows(start, end, 1)[1]
    return Insight(
        type="period_change",
        metric=name,
        period_from=start,
        period_to=end,
        value=float(current),
        baseline=float(previous),
        money_at_stake=exposure.money(name, current, previous),
        confidence=confidence,
        evidence={"compare_from": s1, "compare_to": e1, "earlier_periods": history[1:], **baseline_note},
        action=_action(name, current > previous),
    )


# -- top_contributors ----------------------------------------------------------------------------
def top_contributors(
    source: MetricSource, start: date, end: date, exposure: Exposure, changes: list[Insight]
) -> list[Insight]:
    """For each material change of a splittable metric, the dimension value that explains most of it.

    The change of the total is the sum of the changes of its parts (additive metrics), so each
    value's share of the delta is exact; the split whose top value explains the most wins. Revenue
    changes are split by customer too, and a customer who explains nearly as much as the best
    channel or product is the better answer (:data:`CUSTOMER_PREFERENCE`).
    """
    out = []
    for change in changes:
        metric = change.metric
        if change.type != "period_change" or not get_metric(metric).additive:
            continue
        if metric not in SPLITS and metric not in CUSTOMER_SPLITS:
            continue
        total_delta = change.value - change.baseline
        best = None
        for dim in SPLITS.get(metric, ()):
            frame = source.frames([metric], start, end, by=dim, compare="previous_period")[metric]
            rows = [
                (r[dim], float(r["value"] or 0), float(r["compare_value"] or 0))
                for r in frame.iter_rows(named=True)
            ]
            found = _decompose(dim, rows, total_delta, least=2)  # one value only: nothing to compare
            if found and (best is None or found[0] > best[0]):
                best = found
        if metric in CUSTOMER_SPLITS:
            frame = source.customer_split(metric, start, end, MAX_CUSTOMERS)
            rows = [
                (r["customer"], float(r["value"]), float(r["compare_value"]))
                for r in frame.iter_rows(named=True)
            ]
            found = _decompose("customer", rows, total_delta, least=1)
            if (
                found
                and found[0] >= MIN_SHARE
                and (best is None or found[0] >= CUSTOMER_PREFERENCE * best[0])
            ):
                best = found
        if best is None or best[0] < MIN_SHARE:
            continue
        out.append(_contributor(change, best, start, end, exposure))
    return out


def _decompose(dim: str, rows: list[tuple], total_delta: float, least: int) -> tuple | None:
    """(share, dim, value, now, before, top three) of the value that moved most with the total."""
    if len(rows) < least or not total_delta:
        return None
    rows = sorted(rows, key=lambda r: (r[1] - r[2]) / total_delta, reverse=True)
    who, now, before = rows[0]
    contributors = [
        {"value": r[0], "current": r[1], "previous": r[2], "share": (r[1] - r[2]) / total_delta}
        for r in rows[:3]
    ]
    return (now - before) / total_delta, dim, who, now, before, contributors


def _contributor(change: Insight, best: tuple, start: date, end: date, exposure: Exposure) -> Insight:
    share, dim, who, now, before, contributors = best
    label = get_metric(change.metric).label.lower()
    if dim == "customer":
        action = (
            f"Start with customer {who}: they explain {percent_text(share * 100)} of the change in {label}; "
            "find out what changed on their account."
        )
    else:
        action = f"Start with {dim} {dimension_value_label(dim, who)}: it explains {percent_text(share * 100)} of the change in {label}."
    return Insight(
        type="top_contributors",
        metric=change.metric,
        dimensions={dim: str(who)},
        period_from=start,
        period_to=end,
        value=now,
        baseline=before,
        money_at_stake=exposure.money(change.metric, now, before),
        confidence=change.confidence,
        evidence={
            "share_of_change": share,
            "total_value": change.value,
            "total_baseline": change.baseline,
            "contributors": contributors,
        },
        action=action,
    )


# -- unusual_change ------------------------------------------------------------------------------
def unusual_change(
    source: MetricSource, start: date, end: date, exposure: Exposure, band: stats.BandFn = stats.stl_band
) -> list[Insight]:
    """Days of the range outside their expected band, per watched metric and per split value.

    ``band`` gives each day's expectation and band from the series and its history length:
    STL residual bands by default; the forecasting module's bands can be passed instead.
    """
    first = start - timedelta(days=HISTORY_DAYS)
    history = (start - first).days
    if (end - start).days > 92:  # a day-level anomaly means little in a long range
        return []
    out = []
    daily = source.frames(list(WATCHED), first, end, grain="day")
    for name in WATCHED:
        yield_to_pages()  # each series' band is a burst of CPU: pages waiting for it go first
        found = _unusual(name, {}, values(daily[name]), first, history, band, exposure)
        if found:
            out.append(found)
    for name, dims in SPLITS.items():
        for dim in dims:
            frame = source.frames([name], first, end, grain="day", by=dim)[name]
            sizes = frame.group_by(dim).agg(total=pl.col("value").abs().sum()).sort("total", descending=True)
            for who in sizes[dim].to_list()[:MAX_VALUES]:
                yield_to_pages()
                part = frame.filter(frame[dim] == who).sort("period")
                found = _unusual(name, {dim: str(who)}, values(part), first, history, band, exposure)
                if found:
                    out.append(found)
    return out


def _unusual(name, dims, series, first, history, band, exposure) -> Insight | None:
    hist = series[:history]
    if np.isfinite(hist).sum() < 28 or np.nansum(np.abs(hist)) == 0:
        return None
    if np.mean(hist[np.isfinite(hist)] != 0) < 0.5:
        return None  # mostly-empty days (a small campaign, a rarely sold product): no daily norm
    expected, lower, upper = band(series, history)
    metric = get_metric(name)
    if metric.unit == "count":
        # Counts are at least Poisson-noisy: 13 conversions where 6 are usual is not news.
        poisson = stats.BAND_WIDTH * np.sqrt(np.maximum(expected, 1.0))
        lower, upper = np.minimum(lower, expected - poisson), np.maximum(upper, expected + poisson)
    # The spread on each side, for the confidence, before the band is cut at zero below.
    spread_up, spread_down = (upper - expected) / stats.BAND_WIDTH, (expected - lower) / stats.BAND_WIDTH
    # A metric that cannot go below zero has no "normal range from −$120": the band stops at 0.
    # So does one that can (a segment's net revenue on a refund-heavy day) but whose history
    # never did: below zero is then not a normal day for this series.
    expected, lower, upper = metric.floor(expected), metric.floor(lower), metric.floor(upper)
    if np.nanmin(hist) >= 0:
        expected, lower, upper = np.maximum(expected, 0.0), np.maximum(lower, 0.0), np.maximum(upper, 0.0)
    tail = slice(history, len(series))
    outside = (series[tail] > upper[tail]) | (series[tail] < lower[tail])
    if not outside.any():
        return None
    excess = np.where(outside, np.abs(series[tail] - expected[tail]), 0.0)
    i = int(np.argmax(excess))
    day = first + timedelta(days=history + i)
    actual, expect = float(series[history + i]), float(expected[history + i])
    sd = float((spread_up if actual > expect else spread_down)[history + i])
    # A typical day must be material too: ten orders on a day that usually has one is news,
    # one order instead of none is not.
    if abs(actual - expect) < MATERIAL * max(abs(float(np.nanmean(hist))), 1e-9):
        return None
    flagged = [
        {"day": first + timedelta(days=history + j), "value": float(series[history + j]),
         "expected": float(expected[history + j])}
        for j in np.flatnonzero(outside).tolist()
    ]  # fmt: skip
    money = sum(exposure.money(name, f["value"], f["expected"]) for f in flagged)
    return Insight(
        type="unusual_change",
        metric=name,
        dimensions=dims,
        period_from=day,
        period_to=day,
        value=actual,
        baseline=expect,
        money_at_stake=money,
        confidence=stats.normal_confidence((actual - expect) / sd) if sd else 0.9,
        evidence={
            "lower": float(lower[history + i]),
            "upper": float(upper[history + i]),
            "days_outside_band": len(flagged),
            "days": flagged[:5],
        },
        action=(
            "Check that day's orders, campaigns and tracking for what happened."
            if actual > expect
            else "Check that day for an outage, a broken checkout or missing tracking."
        ),
    )


# -- trend_change --------------------------------------------------------------------------------
def trend_change(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """A sustained break in the last weeks from the weekly trend of the weeks before.

    The weeks before the range get a straight-line fit; the range's whole weeks are compared
    with its projection. A break is sustained when most of those weeks are off on the same
    side, and significant when their mean is several standard errors from the line.
    """
    first_week, until = whole_periods(start, end, "week")
    recent = max(4, min(8, (until - first_week).days // 7))
    base_weeks = 16
    origin = until - timedelta(days=7 * (recent + base_weeks))
    frames = source.frames(list(WATCHED), origin, until - timedelta(days=1), grain="week")
    series = [(name, {}, values(frames[name])) for name in WATCHED]
    for name, dim in TREND_SPLITS:
        split = source.frames([name], origin, until - timedelta(days=1), grain="week", by=dim)[name]
        for who in split[dim].unique().sort().to_list():
            part = split.filter(pl.col(dim) == who).sort("period")
            series.append((name, {dim: str(who)}, values(part)))
    out = []
    for name, dims, y in series:
        if len(y) != recent + base_weeks or not np.isfinite(y).all() or (y[:base_weeks] == 0).sum() > 2:
            continue
        x = np.arange(len(y), dtype=float)
        fit = np.polyfit(x[:base_weeks], y[:base_weeks], 1)
        line = np.polyval(fit, x)
        resid = y - line
        sd = max(float(np.std(resid[:base_weeks], ddof=2)), 0.02 * abs(float(np.mean(y[:base_weeks]))), 1e-9)
        tail = resid[base_weeks:]
        mean_resid = float(np.mean(tail))
        projected = float(np.mean(line[base_weeks:]))
        same_side = float(np.mean(np.sign(tail) == np.sign(mean_resid)))
        # The standard error of the recent weeks' mean against an extrapolated line: the line's
        # own uncertainty grows with the distance from the fitted weeks.
        xb = x[:base_weeks]
        leverage = 1 / base_weeks + (float(np.mean(x[base_weeks:])) - xb.mean()) ** 2 / float(
            ((xb - xb.mean()) ** 2).sum()
        )
        t = mean_resid / (sd * np.sqrt(1 / recent + leverage))
        if same_side < 0.75 or abs(t) < 3 or not projected or abs(mean_resid / projected) < MATERIAL:
            continue
        weekly = float(np.mean(y[base_weeks:]))
        out.append(
            Insight(
                type="trend_change",
                metric=name,
                dimensions=dims,
                period_from=until - timedelta(days=7 * recent),
                period_to=until - timedelta(days=1),
                value=weekly,
                baseline=projected,
                money_at_stake=exposure.money(name, weekly * recent, projected * recent),
                confidence=stats.normal_confidence(t),
                evidence={
                    "weeks": recent,
                    "weekly_slope_before": float(fit[0]),
                    "weekly_slope_recent": stats.slope(y[base_weeks:]),
                    "weeks_off_trend": int(round(same_side * recent)),
                    "per": "week",
                },
                action=_action(name, mean_resid > 0),
            )
        )
    return out


# -- record_high / record_low --------------------------------------------------------------------
def records(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """The range's last whole month (or week, for short ranges) being the best or worst on record."""
    grain = "month" if (end - start).days >= 27 else "week"
    first, until = whole_periods(start, end, grain)
    if first >= until and grain == "month":  # no whole month inside: its last whole week, then
        grain = "week"
        first, until = whole_periods(start, end, grain)
    if first >= until:
        return []
    lookback = 24 if grain == "month" else 52
    starts = periods(until - timedelta(days=1), until - timedelta(days=1), grain)
    last_start = starts[0]
    origin = last_start
    for _ in range(lookback):
        origin = periods(origin - timedelta(days=1), origin - timedelta(days=1), grain)[0]
    frames = source.frames(list(WATCHED), origin, until - timedelta(days=1), grain=grain)
    out = []
    for name in WATCHED:
        y = values(frames[name])
        nonzero = np.flatnonzero(np.isfinite(y) & (y != 0))
        if len(nonzero) == 0:
            continue
        y = y[nonzero[0] :]  # the history starts with the data
        if len(y) < 9 or not np.isfinite(y).all():
            continue
        last, earlier = float(y[-1]), y[:-1]
        sd = max(stats.robust_sd(np.diff(y)), 1e-9)
        for kind, beaten, previous_best in (
            ("record_high", last > earlier.max(), float(earlier.max())),
            ("record_low", last < earlier.min(), float(earlier.min())),
        ):
            if not beaten:
                continue
            margin = abs(last - previous_best)
            # A record by a hair is noise (with 9 metrics one of them is "best ever" most weeks):
            # it must beat the old record by a good part of a usual period-to-period move.
            if margin < 0.02 * abs(previous_best) or margin < 0.7 * sd:
                continue
            good = (kind == "record_high") == get_metric(name).up_is_good
            out.append(
                Insight(
                    type=kind,
                    metric=name,
                    period_from=last_start,
                    period_to=until - timedelta(days=1),
                    value=last,
                    baseline=previous_best,
                    money_at_stake=exposure.money(name, last, previous_best),
                    confidence=min(0.95, 0.5 + stats.normal_confidence(margin / sd) / 2),
                    evidence={"grain": grain, "periods_in_history": len(y), "previous_record": previous_best},
                    action=(
                        f"Note what worked this {grain} and repeat it."
                        if good
                        else f"Find what made this {grain} the worst on record before it repeats."
                    ),
                )
            )
    return out
