"""Offline narration: deterministic, plain-language headline and text for each insight.

Every number in the prose is formatted by ``components.formatting`` for its metric's unit and
the workspace's currency, in the current number locale (the workspace's: a job, a report and a
request set it), the same way the pages show it: counts, shares and scores included, so a de-DE
workspace reads ``1.234 emails`` and ``84,0 %``. :func:`facts` gives the same numbers, already
formatted, to the AI providers (and to the grounding check, which reads them in that locale).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from components.formatting import (
    format_change,
    format_date,
    format_date_range,
    format_delta,
    format_number,
    format_value,
    percent_sign,
)
from components.labels import dimension_value_label
from dashboard.insights.model import Insight
from data.metrics import MetricError, get_metric

#: measures that are not catalogue metrics but that detectors report
DERIVED = {"churned_mrr": ("Churned MRR", "currency", False)}


def describe(metric: str) -> tuple[str, str, bool]:
    """(label, unit, up_is_good) of a catalogue metric or a derived measure."""
    if metric in DERIVED:
        return DERIVED[metric]
    try:
        m = get_metric(metric)
    except MetricError:
        return metric.replace("_", " ").capitalize(), "count", True
    return m.label, m.display_unit, m.up_is_good


def fmt(metric: str, value: float | None, currency: str) -> str:
    """``value`` of ``metric`` as the pages show it."""
    return format_value(value, describe(metric)[1], currency)


def pct(value: float | None) -> str:
    """A relative change in percent as ``+12.3%`` (``0.0%`` when it rounds to zero, U+2212 minus)."""
    return format_change(None if value is None else value / 100)


def percent_text(percent: float, decimals: int = 0) -> str:
    """A number already in percent (``84.0``) with the locale's sign: ``84%``, ``84 %`` (de-DE).

    Ungrouped, as ``f"{percent:.0f}%"`` wrote it, so en-US text is unchanged (``f"{share:.0%}"``
    too: Python's ``%`` format multiplies by 100 as a float, then formats as ``f``).
    """
    return percent_sign(format_number(percent, decimals, grouped=False))


def change_text(metric: str, value: float | None, baseline: float | None) -> str:
    """The change, as the KPI cards show it: percentage points for a rate, percent otherwise.

    The pages' one formatter writes it, so a rate that moved by 0.04 points reads "0.0 pp", never
    "−0.0 pp", here too.
    """
    return format_delta(value, baseline, describe(metric)[1])[0]


def _count(n: float | None, noun: str) -> str:
    n = int(n or 0)
    return f"{format_number(n)} {noun}{'' if n == 1 else 's'}"


def _period(start: date, end: date) -> str:
    """``on 3 Nov 2026`` or ``in 3 Nov – 2 Dec 2026``, dates as every page writes them."""
    if start == end:
        return f"on {format_date(start)}"
    return f"in {format_date_range(start, end)}"


def _dims(insight: Insight) -> str:
    return ", ".join(f"{k} “{dimension_value_label(k, v)}”" for k, v in insight.dimensions.items())


def offline(insight: Insight, currency: str) -> tuple[str, str]:
    """(headline, text) for one insight, from templates."""
    label, unit, up_is_good = describe(insight.metric)
    v, b = fmt(insight.metric, insight.value, currency), fmt(insight.metric, insight.baseline, currency)
    change = change_text(insight.metric, insight.value, insight.baseline)
    went_up = (insight.value or 0) > (insight.baseline or 0)
    verb = "rose" if went_up else "fell"
    where = f" for {_dims(insight)}" if insight.dimensions else ""
    when = _period(insight.period_from, insight.period_to)
    e = insight.evidence
    t = insight.type
    if t == "period_change":
        headline = f"{label} {verb} {change} vs the previous period"
        text = f"{label}{where} was {v} {when}, against {b} in the previous period of the same length ({change})."
        if "z" in e:
            text += " That is well outside the usual period-to-period variation."
    elif t == "top_contributors":
        dim, who = next(iter(insight.dimensions.items()))
        who = dimension_value_label(dim, who)
        total_change = change_text(insight.metric, e.get("total_value"), e.get("total_baseline"))
        headline = f"{label} {('rose' if (e.get('total_value') or 0) > (e.get('total_baseline') or 0) else 'fell')} {total_change}, mostly from {dim} “{who}”"
        text = (
            f"{label} was {fmt(insight.metric, e.get('total_value'), currency)} {when}, against "
            f"{fmt(insight.metric, e.get('total_baseline'), currency)} in the previous period ({total_change}). "
            f"{dim.capitalize()} “{who}” went from {b} to {v} and accounts for {percent_text(e.get('share_of_change', 0) * 100)} of the change."
        )
    elif t == "unusual_change":
        headline = f"Unusual {label.lower()}{where} {when}"
        text = (
            f"{label}{where} was {v} {when}; the expected value was {b} "
            f"(normal range {fmt(insight.metric, e.get('lower'), currency)} to {fmt(insight.metric, e.get('upper'), currency)})."
        )
        if e.get("days_outside_band", 1) > 1:
            text += f" {e['days_outside_band']} days of the range were outside their normal range."
    elif t == "trend_change":
        headline = f"{label}{where} has broken from its trend over the last {e.get('weeks')} weeks"
        text = (
            f"{label}{where} averaged {v} a week over the last {e.get('weeks')} weeks, against {b} a week "
            f"if the earlier trend had continued ({change})."
        )
    elif t in ("record_high", "record_low"):
        # "best" only where up is good: refunds' highest week is no best (it read "Refunds: best
        # week on record", next to "find what made this week the worst")
        kind = "lowest" if t == "record_low" else "best" if up_is_good else "highest"
        grain = e.get("grain", "month")
        headline = f"{label}: {kind} {grain} on record"
        text = (
            f"{label} was {v} in the {grain} of {format_date_range(insight.period_from, insight.period_to)}, the {kind} of the {e.get('periods_in_history')} "
            f"{grain}s on record (the previous record was {b})."
        )
    elif t == "concentration":
        dim, who = next(iter(insight.dimensions.items()))
        who = dimension_value_label(dim, who)  # "Unknown" for the none bucket, as the pages say
        share = percent_text(e.get("share", 0) * 100, 1)
        headline = f"{share} of net revenue comes from {dim} “{who}”"
        text = f"{dim.capitalize()} “{who}” brought {v} of {b} net revenue {when} ({share}). Losing it would hurt."
    elif t == "goal_at_risk":
        chance = percent_text(e.get("probability_of_missing", 0) * 100)
        headline = f"The {label.lower()} goal for this {e.get('goal_period')} is at risk"
        text = (
            f"{label} is at {fmt(insight.metric, e.get('actual_to_date'), currency)} so far and on course for "
            f"about {v} against a goal of {b} ({chance} chance of missing it)."
        )
    elif t == "efficiency_change":
        better = went_up == up_is_good
        headline = f"{label} of {_dims(insight)} {verb} {change}"
        text = (
            f"{label} of {_dims(insight)} was {v} {when}, against {b} in the previous period ({change}), "
            f"on {fmt('spend', e.get('spend'), currency)} of spend. "
            + ("It is getting more efficient." if better else "It is getting less efficient.")
        )
    elif t == "email_deliverability":
        headline = f"Email {label.lower()} is above its normal range"
        text = (
            f"The {label.lower()} was {v} {when}, against {b} over the previous months "
            f"(normal up to {fmt(insight.metric, e.get('upper') or e.get('normal_upper'), currency)})."
        )
        if e.get("spam_report_count") is not None:
            expected = e.get("expected_count") or 0
            usual = f"about {format_number(float(expected))}" if expected >= 1 else "fewer than one"
            text += (
                f" Recipients marked {_count(e['spam_report_count'], 'email')} as spam, where "
                f"{usual} would be usual for that many deliveries."
            )
    elif t == "churn_spike":
        headline = f"Churned MRR spiked to {v}"
        text = (
            f"Subscriptions worth {v} of MRR were cancelled or downgraded {when}, against {b} expected "
            f"from the months before ({_count(e.get('churned_customers'), 'customer')} churned)."
        )
    else:
        headline, text = f"{label} changed {change}", f"{label}{where} was {v} {when}, against {b}."
    return headline, text


def facts(insight: Insight, currency: str) -> dict[str, Any]:
    """The structured facts a provider may use (and that every number it writes must match).

    Dimension values (campaign names, products ...) are vendor text: they are passed as
    quoted data and the prompt says so.
    """
    label, unit, up_is_good = describe(insight.metric)
    out: dict[str, Any] = {
        "id": insight.id,
        "type": insight.type,
        "metric": label,
        "unit": unit,
        "higher_is_better": up_is_good,
        "dimensions": {k: str(v) for k, v in insight.dimensions.items()},
        "period": {"from": insight.period_from.isoformat(), "to": insight.period_to.isoformat()},
        "value": fmt(insight.metric, insight.value, currency),
        "baseline": fmt(insight.metric, insight.baseline, currency),
        "change": change_text(insight.metric, insight.value, insight.baseline),
        "suggested_action": insight.action,
    }
    numbers = {}
    for key, value in insight.evidence.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers[key] = _evidence_text(insight.metric, key, value, currency)
    out["evidence"] = numbers
    out["offline_text"] = offline(insight, currency)[1]
    return out


def _evidence_text(metric: str, key: str, value: float, currency: str) -> str:
    if key in ("share", "share_of_change", "probability_of_missing", "customer_churn_rate"):
        return percent_text(value * 100, 1)
    if key in ("z",):
        return format_number(value, 1, grouped=False)
    if isinstance(value, int) or key.endswith(("count", "customers", "weeks", "days_outside_band")):
        return format_number(float(value))
    if key in ("spend", "previous_spend"):
        return format_value(value, "currency", currency)
    return fmt(metric, value, currency)
