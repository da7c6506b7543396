"""Numbers that read right: one date-range format, flat changes said as 0.0, bands that stop at zero.

Issue 9's metric layer: date ranges read "3 Nov – 2 Dec 2026" on pages, reports and insights
alike; a rate change that rounds to zero reads "0.0 pp" without a minus sign or a colour; a
metric that cannot go below zero (the catalogue's ``can_be_negative``) never gets a normal
range, anomaly expectation or forecast band below zero.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pytest

from components.formatting import (
    MINUS,
    change_tone,
    format_change,
    format_date_range,
    format_delta,
    is_flat,
)
from dashboard.forecast.engine import forecast
from dashboard.insights import detect_changes as changes
from dashboard.insights.model import Insight
from dashboard.insights.narrate import change_text, offline, pct
from data.metrics import CATALOGUE, get_metric
from reports.assemble import Kpi
from reports.periods import period_label
from tests.unit.forecast_helpers import series_of

# -- one date-range format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        (date(2026, 11, 3), date(2026, 12, 2), "3 Nov – 2 Dec 2026"),
        (date(2026, 11, 1), date(2026, 11, 30), "1 – 30 Nov 2026"),
        (date(2025, 12, 28), date(2026, 1, 3), "28 Dec 2025 – 3 Jan 2026"),
        (date(2026, 11, 3), date(2026, 11, 3), "3 Nov 2026"),
        ("2026-11-03", "2026-12-02T00:00:00", "3 Nov – 2 Dec 2026"),
        (datetime(2026, 1, 1, 9, tzinfo=timezone.utc), date(2026, 1, 9), "1 – 9 Jan 2026"),
        (None, None, "—"),
    ],
)
def test_fmt014_a_date_range_says_each_month_and_year_once(start, end, shown):
    assert format_date_range(start, end) == shown


def test_fmt015_reports_and_insights_write_ranges_as_the_pages_do():
    assert period_label(date(2026, 11, 3), date(2026, 12, 2)) == "3 Nov – 2 Dec 2026"
    assert period_label(date(2026, 11, 3), date(2026, 11, 3)) == "Tue 3 Nov 2026"  # one day: its weekday
    insight = Insight("period_change", "net_revenue", date(2026, 11, 3), date(2026, 12, 2), 1200.0, 1000.0)
    _, text = offline(insight, "USD")
    assert "in 3 Nov – 2 Dec 2026," in text
    assert "Nov 3" not in text and "2026-11" not in text
    one_day = Insight("unusual_change", "refunds", date(2026, 11, 3), date(2026, 11, 3), 90.0, 10.0)
    assert "on 3 Nov 2026" in offline(one_day, "USD")[0]


# -- flat changes ---------------------------------------------------------------------------------


def test_fmt016_a_change_that_rounds_to_zero_reads_zero_without_a_sign():
    assert format_change(-0.0004, "ratio") == "0.0 pp"  # never "−0.0 pp"
    assert format_change(-0.0004) == "0.0%"
    assert format_change(0.0004) == "0.0%"  # nor "+0.0%"
    assert format_change(-0.068, "ratio") == f"{MINUS}6.8 pp"
    assert format_change(0.123) == "+12.3%"
    assert format_change(None) == "—"
    assert format_delta(0.0284, 0.0288, "ratio") == ("0.0 pp", pytest.approx(-0.0004))
    assert is_flat(-0.0004) and is_flat(None) and not is_flat(-0.0006)


def test_fmt017_a_flat_change_is_neither_good_nor_bad():
    assert change_tone(-0.0004, up_is_good=True) is None
    assert change_tone(-0.01, up_is_good=True) is False
    assert change_tone(-0.01, up_is_good=False) is True
    ctr = Kpi("ctr", "CTR", "ratio", True, 0.0284, 0.0288, "USD")
    assert ctr.change_text == "0.0 pp" and ctr.good is None  # grey, not red
    drop = Kpi("ctr", "CTR", "ratio", True, 0.0200, 0.0288, "USD")
    assert drop.change_text == f"{MINUS}0.9 pp" and drop.good is False
    revenue = Kpi("net_revenue", "Net revenue", "currency", True, 99_999.0, 100_000.0, "USD")
    assert revenue.change_text == "0.0%" and revenue.good is None


def test_fmt018_insights_say_changes_with_the_same_formatter():
    assert change_text("ctr", 0.0284, 0.0288) == "0.0 pp"
    assert change_text("ctr", 0.0200, 0.0288) == f"{MINUS}0.9 pp"
    assert change_text("net_revenue", 900.0, 1000.0) == f"{MINUS}10.0%"
    assert change_text("net_revenue", 900.0, 0.0) == "—"
    assert pct(-0.04) == "0.0%" and pct(12.34) == "+12.3%"


# -- metrics that cannot go below zero ------------------------------------------------------------


def test_nneg001_the_catalogue_says_which_metrics_can_go_below_zero():
    negative = {name for name, m in CATALOGUE.items() if m.can_be_negative}
    assert {"net_revenue", "net_mrr_churn"} <= negative
    for name in ("gross_revenue", "refunds", "spend", "payments_count", "ctr", "mrr", "nrr", "ltv"):
        assert not get_metric(name).can_be_negative, name
    assert all(not m.can_be_negative for m in CATALOGUE.values() if m.unit == "count")


def test_nneg002_floor_keeps_non_negative_metrics_at_zero():
    refunds, net = get_metric("refunds"), get_metric("net_revenue")
    assert refunds.floor(-120.0) == 0.0 and refunds.floor(300.0) == 300.0
    assert refunds.floor(None) is None and np.isnan(refunds.floor(float("nan")))
    assert list(refunds.floor(np.array([-1.0, 2.0]))) == [0.0, 2.0]
    assert net.floor(-120.0) == -120.0


class _NoMoney:
    def money(self, *_):
        return 0.0


def _wide_band(series, history):
    """A band far wider than the series: its lower edge is well below zero."""
    expected = np.full(len(series), 10.0)
    return expected, expected - 50.0, expected + 20.0


# net revenue may go below zero, but this history never did: its range stops at zero too
# (a segment with refund-heavy days keeps a negative lower edge: ins019)
@pytest.mark.parametrize(("metric", "lowest"), [("refunds", 0.0), ("net_revenue", 0.0)])
def test_nneg003_an_unusual_days_normal_range_stops_at_zero(metric, lowest):
    rng = np.random.default_rng(1)
    series = np.concatenate([10 + rng.normal(0, 2, 60), [100.0]])  # the last day is unusual
    found = changes._unusual(metric, {}, series, date(2026, 1, 1), 60, _wide_band, _NoMoney())
    assert found is not None
    assert found.evidence["lower"] == lowest
    text = offline(found, "USD")[1]
    assert ("normal range $0.00 to" in text) == (lowest == 0.0)
    assert f"{MINUS}$" not in text or metric == "net_revenue"


def test_nneg004_a_forecast_of_a_non_negative_metric_keeps_its_band_at_zero():
    # a small, noisy series that dips below zero now and then (refund lines net of a reversal)
    s = series_of(lambda t: 2.0 + 0 * t, n=70, noise=4)
    assert s.values.min() < 0
    free = forecast(s, horizon=14, candidates=("naive", "snaive"))
    assert free.lower.min() < 0  # the history allows it: the band goes below zero
    kept = forecast(s, horizon=14, candidates=("naive", "snaive"), non_negative=True)
    assert kept.lower.min() >= 0 and kept.yhat.min() >= 0
    assert np.all(kept.upper >= kept.lower)
    # the band is read from each forecast's own past errors, and a non-negative one's past
    # forecasts are clipped at zero too: its top differs a little, it is not blown up or lost
    assert kept.upper.max() == pytest.approx(free.upper.max(), rel=0.35)


def test_nneg005_dates_in_the_forecast_views_read_as_dates():
    from components.forecast import anomalies_list, summary

    payload = {
        "unit": "currency",
        "currency": "USD",
        "metric": "refunds",
        "model": "naive",
        "grain": "day",
        "reason": "",
        "accuracy": "",
        "rows": [{"period": "2026-12-03", "yhat": 1.0, "lower": 0.0, "upper": 2.0}],
        "partial": {"period": "2026-12-02", "value": 3.0},
        "anomalies": [{"date": "2026-11-20", "actual": 90.0, "expected": 0.0, "score": 5.0}],
    }
    text = str(summary(payload)) + str(anomalies_list(payload))
    assert "2 Dec 2026" in text and "20 Nov 2026" in text
    assert "2026-1" not in text


def test_fmt030_insights_name_an_ad_platform_as_people_do_not_by_its_source_id():
    """The campaigns page showed 'mostly from platform “google_ads”' (its filters say Google Ads)."""
    top = Insight(
        "top_contributors",
        "conversions",
        date(2026, 11, 3),
        date(2026, 12, 2),
        261.0,
        208.0,
        dimensions={"platform": "google_ads"},
        evidence={"total_value": 379.0, "total_baseline": 295.0, "share_of_change": 0.63},
    )
    headline, text = offline(top, "USD")
    assert "“Google Ads”" in headline and "“Google Ads”" in text
    assert "google_ads" not in headline + text
    day = date(2026, 11, 3)
    for dim, value, shown in (("platform", "meta_ads", "Meta Ads"), ("channel", "Email", "Email")):
        unusual = Insight("unusual_change", "spend", day, day, 90.0, 10.0, dimensions={dim: value})
        assert f"{dim} “{shown}”" in offline(unusual, "USD")[0]  # other dimensions as they are


def test_fmt031_a_record_is_best_only_where_up_is_good():
    """The Revenue page read "Refunds: best week on record" beside "Find what made this week the
    worst on record": refunds' highest week is no best."""
    week = (date(2026, 11, 23), date(2026, 11, 29))
    evidence = {"grain": "week", "periods_in_history": 53, "previous_record": 238814.0}
    refunds = Insight("record_high", "refunds", *week, 244468.4, 238814.0, evidence=evidence)
    revenue = Insight("record_high", "net_revenue", *week, 244468.4, 238814.0, evidence=evidence)
    low = Insight("record_low", "net_revenue", *week, 1000.0, 2000.0, evidence=evidence)
    assert offline(refunds, "USD")[0] == "Refunds: highest week on record"
    assert "the highest of the 53 weeks" in offline(refunds, "USD")[1]
    assert offline(revenue, "USD")[0] == "Net revenue: best week on record"
    assert offline(low, "USD")[0] == "Net revenue: lowest week on record"
