"""Detectors of business risks: concentration, goals, ad efficiency, email health, churn.

Same contract as :mod:`dashboard.insights.detect_changes`: a metric source, the range being
explained and an :class:`~dashboard.insights.impact.Exposure` in, insights out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import polars as pl

from components.formatting import format_number
from components.labels import dimension_value_label
from dashboard.insights import stats
from dashboard.insights.impact import Exposure
from dashboard.insights.model import Insight
from dashboard.insights.source import GoalSpec, MetricSource, display_name, total, values
from data.metrics import NONE_LABEL, get_metric

#: a dimension value holding more than this share of net revenue is a concentration risk
CONCENTRATION_SHARE = {"channel": 0.6, "product": 0.6, "customer": 0.3}
#: relative move of an efficiency ratio that matters
EFFICIENCY_MATERIAL = 0.20
#: |z| an efficiency or deliverability move needs
EFFICIENCY_Z = 2.5
#: how far back the "normal range" of email rates and churn looks
BASELINE_DAYS = 180


# -- concentration -------------------------------------------------------------------------------
def concentration(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """One channel, product or customer holding a risky share of the range's net revenue."""
    out = []
    revenue = exposure.totals.get("net_revenue") or 0.0
    if revenue <= 0:
        return out
    for dim in ("channel", "product"):
        frame = source.frames(["net_revenue"], start, end, by=dim)["net_revenue"].sort(
            "value", descending=True
        )
        if frame.height < 2:
            continue  # a business with one product is not "concentrated" in it: it is the business
        # Revenue with no channel (or product) recorded is a tracking gap, not a channel the
        # business depends on: "reduce the dependence on channel Unknown" would ask the owner
        # to grow a second nothing. The known value with the largest share is the candidate.
        known = frame.filter(pl.col(dim).cast(pl.Utf8).fill_null(NONE_LABEL) != NONE_LABEL)
        if known.height == 0:
            continue
        top = known.row(0, named=True)
        share = float(top["value"] or 0) / revenue
        if share >= CONCENTRATION_SHARE[dim]:
            out.append(
                _concentrated(
                    dim, str(top[dim]), share, float(top["value"]), revenue, start, end, frame.height
                )
            )
    customers = source.top_customers(start, end, 3)
    if customers.height >= 2:
        top = customers.row(0, named=True)
        share = float(top["share"] or 0)
        if share >= CONCENTRATION_SHARE["customer"]:
            # a person's name or email, never the vendor's customer id
            name = top.get("label") or display_name(top.get("name"), None)
            out.append(
                _concentrated("customer", str(name), share, float(top["revenue"]), revenue, start, end, None)
            )
    return out


def _concentrated(dim, who, share, amount, revenue, start, end, values_count) -> Insight:
    return Insight(
        type="concentration",
        metric="net_revenue",
        dimensions={dim: who},
        period_from=start,
        period_to=end,
        value=amount,
        baseline=revenue,
        money_at_stake=amount,
        # A structural risk, not a fresh change: certain, but ranked below urgent movements.
        confidence=0.5,
        evidence={"share": share, "total": revenue, "values": values_count},
        action=f"Reduce the dependence on {dim} {dimension_value_label(dim, who)}: grow a second {dim} or secure this one.",
    )


# -- goal_at_risk --------------------------------------------------------------------------------
def goal_projection(source: MetricSource, goal: GoalSpec, today: date) -> tuple[float, float, float]:
    """(actual so far, projected value at the period's end, standard error of the projection).

    A run rate of the last 28 days for summed metrics, the last 28 days' slope for snapshots.
    The forecasting module's goal probabilities can replace this function.
    """
    metric = get_metric(goal.metric)
    upto = min(today, goal.period_end)
    actual = total(source, goal.metric, goal.period_start, upto) or 0.0
    remaining = (goal.period_end - upto).days
    recent = values(source.frames([goal.metric], upto - timedelta(days=27), upto, grain="day")[goal.metric])
    recent = recent[np.isfinite(recent)]
    if remaining <= 0 or len(recent) < 2:
        return actual, actual, 0.0
    if metric.additive:
        projected = actual + float(np.mean(recent)) * remaining
        error = float(np.std(recent, ddof=1)) * math.sqrt(remaining)
    else:  # a level: carry the recent slope forward
        projected = actual + stats.slope(recent) * remaining
        error = float(np.std(np.diff(recent), ddof=1)) * math.sqrt(remaining)
    return actual, projected, error


def goal_at_risk(
    source: MetricSource,
    start: date,
    end: date,
    exposure: Exposure,
    projection: Callable[[MetricSource, GoalSpec, date], tuple[float, float, float]] = goal_projection,
) -> list[Insight]:
    """Goals of the period containing ``end`` that the projection says will likely be missed."""
    out = []
    for goal in source.goals(end):
        metric = get_metric(goal.metric)
        actual, projected, error = projection(source, goal, end)
        shortfall = (goal.target - projected) if metric.up_is_good else (projected - goal.target)
        if error > 0:
            p_miss = 0.5 * (1 + math.erf(shortfall / (error * math.sqrt(2))))
        else:
            p_miss = 1.0 if shortfall > 0 else 0.0
        if p_miss < 0.6:
            continue
        out.append(
            Insight(
                type="goal_at_risk",
                metric=goal.metric,
                period_from=goal.period_start,
                period_to=goal.period_end,
                value=projected,
                baseline=goal.target,
                money_at_stake=exposure.money(goal.metric, projected, goal.target),
                confidence=p_miss,
                evidence={
                    "actual_to_date": actual,
                    "target": goal.target,
                    "probability_of_missing": p_miss,
                    "goal_period": goal.period,
                    "as_of": end,
                },  # fmt: skip
                action=f"Close the gap of {format_number(float(abs(shortfall)))} by the end of the {goal.period}, "
                "or revise the goal.",
            )
        )
    return out


# -- efficiency_change ---------------------------------------------------------------------------
EFFICIENCY = ("roas", "cpa", "ctr", "cpc")
_PARTS = ("spend", "clicks", "impressions", "conversions", "conversion_value")


def _efficiency_z(metric: str, now: dict, before: dict) -> float | None:
    """Significance of a ratio's move from the counts behind it (Poisson / binomial noise)."""
    if metric == "ctr":
        return stats.two_proportion_z(
            now["clicks"], now["impressions"], before["clicks"], before["impressions"]
        )
    count = "clicks" if metric == "cpc" else "conversions"
    if now[count] <= 0 or before[count] <= 0 or now[metric] is None or before[metric] is None:
        return None
    if now[metric] <= 0 or before[metric] <= 0:
        return None
    return math.log(now[metric] / before[metric]) / math.sqrt(1 / now[count] + 1 / before[count])


def efficiency_change(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """ROAS, CPA, CTR or CPC of a platform or campaign moving materially vs the previous period.

    One finding per platform or campaign (its most significant ratio); a platform whose move is
    one campaign's move is left out.
    """
    total_spend = exposure.totals.get("spend") or 0.0
    if total_spend <= 0:
        return []
    found: dict[str, list[Insight]] = {}
    for dim in ("platform", "campaign"):
        frames = source.frames([*_PARTS, *EFFICIENCY], start, end, by=dim, compare="previous_period")
        rows: dict[str, tuple[dict, dict]] = {}
        for name, frame in frames.items():
            for r in frame.iter_rows(named=True):
                now, before = rows.setdefault(str(r[dim]), ({}, {}))
                now[name], before[name] = r["value"], r["compare_value"]
        found[dim] = []
        for who, (now, before) in rows.items():
            if any(now[p] is None or before[p] is None for p in _PARTS) or now["spend"] < 0.02 * total_spend:
                continue
            best = None
            for metric in EFFICIENCY:
                z = _efficiency_z(metric, now, before)
                if z is None or not before[metric]:
                    continue
                change = (now[metric] - before[metric]) / abs(before[metric])
                if (
                    abs(change) >= EFFICIENCY_MATERIAL
                    and abs(z) >= EFFICIENCY_Z
                    and (best is None or abs(z) > abs(best[1]))
                ):
                    best = (metric, z, change)
            if best is None:
                continue
            metric, z, change = best
            good = (change > 0) == get_metric(metric).up_is_good
            found[dim].append(
                Insight(
                    type="efficiency_change",
                    metric=metric,
                    dimensions={dim: who},
                    period_from=start,
                    period_to=end,
                    value=float(now[metric]),
                    baseline=float(before[metric]),
                    money_at_stake=min(abs(change), 1.0) * float(now["spend"]),
                    confidence=stats.normal_confidence(z),
                    evidence={
                        "spend": now["spend"],
                        "previous_spend": before["spend"],
                        "conversions": now["conversions"],
                        "previous_conversions": before["conversions"],
                        "clicks": now["clicks"],
                        "previous_clicks": before["clicks"],
                        "z": z,
                    },  # fmt: skip
                    action=(
                        f"Move budget toward {dimension_value_label(dim, who)} while it performs this well."
                        if good
                        else f"Review {dimension_value_label(dim, who)}'s targeting, creatives and landing page; "
                        "cap its budget until it recovers."
                    ),
                )
            )
    campaigns = found.get("campaign", [])
    platforms = [
        p
        for p in found.get("platform", [])
        if not any(
            c.metric == p.metric
            and c.evidence["spend"] >= 0.8 * p.evidence["spend"]
            and (c.value > c.baseline) == (p.value > p.baseline)
            for c in campaigns
        )
    ]
    return platforms + campaigns


# -- email_deliverability ------------------------------------------------------------------------
EMAIL_RATES = ("bounce_rate", "unsubscribe_rate", "spam_report_rate")
#: rates built from rare counts -> (count metric, base metric): judged by Poisson noise on the
#: range's counts too, since most sends have none and a per-send spread is then zero
RARE_COUNTS = {"spam_report_rate": ("spam_reports", "emails_delivered")}
#: a spam report rate below this is fine whatever its history (half the 0.1% mailbox providers
#: ask bulk senders to stay under): 3 complaints where there used to be 1 is not news
SPAM_RATE_FLOOR = 0.0005
#: fewest spam reports in the range worth a finding
MIN_SPAM_REPORTS = 3
_EMAIL_ACTIONS = {
    "bounce_rate": "Clean the list (remove hard bounces) and check the sending domain's SPF/DKIM.",
    "unsubscribe_rate": "Review the recent sends' frequency and content; segment the list.",
    "spam_report_rate": "Check where the recent sends' addresses came from (imported or old lists), "
    "confirm people opted in, and make unsubscribing one click.",
}


def email_deliverability(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """Bounce, unsubscribe or spam report rate of the range above the normal range of past sends.

    The normal range is the median of the last months' sends + 3 robust SDs of their rates
    (each send is one observation, so a list that always bounces a little is not flagged).
    Spam reports are rare (most sends have none): their rate must also be well above the usual
    rate on Poisson noise of the range's count, and above :data:`SPAM_RATE_FLOOR`.
    """
    hist_from, hist_to = start - timedelta(days=BASELINE_DAYS), start - timedelta(days=1)
    counts = sorted({name for pair in RARE_COUNTS.values() for name in pair} | {"emails_delivered"})
    past = source.frames(list(EMAIL_RATES), hist_from, hist_to, by="campaign")
    overall_past = source.frames([*EMAIL_RATES, *counts], hist_from, hist_to)
    current = source.frames([*EMAIL_RATES, *counts], start, end)
    out = []
    for metric in EMAIL_RATES:
        rates = values(past[metric])
        rates = rates[np.isfinite(rates)]
        now = current[metric]["value"][0]
        usual = overall_past[metric]["value"][0]
        if now is None or usual is None or len(rates) < 5:
            continue
        spread = max(stats.robust_sd(rates), 0.1 * float(np.median(rates)), 1e-4)
        upper = float(np.median(rates)) + 3 * spread
        if now <= upper or now < 1.5 * usual:
            continue
        z = (now - float(np.median(rates))) / spread
        evidence = {
            "normal_upper": upper,
            "sends_in_baseline": len(rates),
            "delivered": current["emails_delivered"]["value"][0],
        }
        if metric in RARE_COUNTS:
            found = _rare_count_z(metric, float(now), float(usual), current, overall_past)
            if found is None:
                continue
            z, counted = found
            evidence.update(counted)
        out.append(
            Insight(
                type="email_deliverability",
                metric=metric,
                period_from=start,
                period_to=end,
                value=float(now),
                baseline=float(usual),
                money_at_stake=exposure.money(metric, now, usual),
                confidence=stats.normal_confidence(z),
                evidence=evidence,
                action=_EMAIL_ACTIONS[metric],
            )
        )
    return out


def _rare_count_z(
    metric: str, now: float, usual: float, current: dict, past: dict
) -> tuple[float, dict] | None:
    """(z, evidence) of a rare count's excess over the usual rate, or None when it is noise.

    The count is Poisson around usual rate x this range's base. The bases come from the counts
    and rates (count / rate): a rate leaves out sends that do not report the count at all. A
    history without any event expects at least half an event over the whole baseline, not 0.
    """
    count_metric, base_metric = RARE_COUNTS[metric]
    observed = float(current[count_metric]["value"][0] or 0)
    if observed < MIN_SPAM_REPORTS or now < SPAM_RATE_FLOOR:
        return None
    base = observed / now
    past_count = float(past[count_metric]["value"][0] or 0)
    past_base = past_count / usual if usual > 0 else float(past[base_metric]["value"][0] or 0)
    if past_base <= 0:
        return None
    expected = max(past_count, 0.5) / past_base * base
    z = (observed - expected) / math.sqrt(expected)
    if z < EFFICIENCY_Z or observed < 2 * expected:
        return None
    return z, {"spam_report_count": int(observed), "expected_count": expected}


# -- churn_spike ---------------------------------------------------------------------------------
def churn_spike(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """Churned MRR (churn + contraction) of the range above the daily rate of the months before."""
    length = (end - start).days + 1
    movements = source.mrr_movements(start, end, "total")
    if movements.height == 0:
        return []  # no subscriptions
    now = movements.row(0, named=True)
    history = source.mrr_movements(start - timedelta(days=BASELINE_DAYS), start - timedelta(days=1), "month")
    if history.height < 3 or not now["opening_mrr"]:
        return []
    lost = float(now["churn"] + now["contraction"])
    monthly = (history["churn"] + history["contraction"]).to_numpy()
    monthly = monthly[history["opening_mrr"].to_numpy() > 0]
    if len(monthly) < 3:
        return []
    expected = float(np.mean(monthly)) * length / 30.4
    spread = max(float(np.std(monthly, ddof=1)) * math.sqrt(length / 30.4), 0.05 * expected, 1.0)
    z = (lost - expected) / spread
    if lost < 1.5 * expected or z < EFFICIENCY_Z:
        return []
    churn_rate = (now["churned_customers"] / now["customers_start"]) if now["customers_start"] else None
    return [
        Insight(
            type="churn_spike",
            metric="churned_mrr",
            period_from=start,
            period_to=end,
            value=lost,
            baseline=expected,
            money_at_stake=(lost - expected) * 12,  # a lost subscription is lost every month
            confidence=stats.normal_confidence(z),
            evidence={
                "churned_customers": now["churned_customers"],
                "customer_churn_rate": churn_rate,
                "opening_mrr": now["opening_mrr"],
                "annualised_loss": (lost - expected) * 12,
            },  # fmt: skip
            action="Contact the customers who cancelled or downgraded and ask why; check billing failures.",
        )
    ]
