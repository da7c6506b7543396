"""Each detector finds a planted effect, and stays quiet on clean series (no false alarm)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from dashboard.insights import detect_business as business
from dashboard.insights import detect_changes as changes
from dashboard.insights import forecast_bridge as bridge
from dashboard.insights.engine import InsightsError, detect
from dashboard.insights.impact import Exposure
from dashboard.insights.narrate import offline
from dashboard.insights.source import GoalSpec
from data.metrics import NONE_LABEL
from tests.unit.insights_fakes import FakeSource, noisy, poisson

ORIGIN = date(2025, 1, 1)
DAYS = 426  # through 2026-03-02
END = ORIGIN + timedelta(days=DAYS - 1)
START = END - timedelta(days=27)
RANGE = slice(DAYS - 28, DAYS)
CHANGE_TYPES = {"period_change", "top_contributors", "unusual_change", "trend_change", "efficiency_change",
                "email_deliverability", "churn_spike"}  # fmt: skip


def workspace(seed: int = 1) -> FakeSource:
    """A clean business: three channels, two ad platforms, web traffic, weekly seasons, noise only."""
    src = FakeSource(ORIGIN, DAYS)
    for i, (channel, level) in enumerate((("Paid Search", 900), ("Organic", 1200), ("Email", 600))):
        src.add(
            "net_revenue", noisy(DAYS, level, level * 0.15, seed + i, weekly=level * 0.1), channel=channel
        )
    for i, platform in enumerate(("google_ads", "meta_ads")):
        s = seed + 10 * i
        src.add("spend", noisy(DAYS, 120, 10, s), platform=platform)
        src.add("impressions", poisson(DAYS, 8000, s), platform=platform)
        src.add("clicks", poisson(DAYS, 160, s + 1), platform=platform)
        src.add("conversions", poisson(DAYS, 12, s + 2), platform=platform)
        src.add("conversion_value", noisy(DAYS, 600, 80, s + 3), platform=platform)
    src.add("sessions", poisson(DAYS, 900, seed + 20), channel="Organic")
    src.add("key_events", poisson(DAYS, 30, seed + 21), channel="Organic")
    src.add("new_customers", poisson(DAYS, 8, seed + 22), channel="Organic")
    return src


def run(detector, src, *extra):
    exposure = Exposure.measure(src, START, END)
    return detector(src, START, END, exposure, *extra)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_ins001_clean_series_raise_no_change_alarm(seed):
    found = detect(workspace(seed), START, END)
    assert [(i.type, i.metric, i.dimensions) for i in found if i.type in CHANGE_TYPES] == []


def test_ins002_period_change_and_its_top_contributor():
    src = workspace()
    src.parts["net_revenue"][(("channel", "Paid Search"),)][RANGE] *= 0.3  # Paid Search loses 70%
    found = detect(src, START, END)
    top = next(i for i in found if i.metric == "net_revenue")
    assert top.type == "top_contributors"
    assert top.dimensions == {"channel": "Paid Search"}
    assert top.evidence["share_of_change"] > 0.8
    assert top.evidence["total_value"] < top.evidence["total_baseline"]
    assert top.action
    # the total's own change was absorbed into the contributor (one story, not two)
    assert not [i for i in found if i.type == "period_change" and i.metric == "net_revenue"]


def test_ins003_unusual_day_found_and_dated():
    src = workspace()
    spike = DAYS - 5
    src.parts["sessions"][(("channel", "Organic"),)][spike] *= 4
    found = run(changes.unusual_change, src)
    hits = [i for i in found if i.metric == "sessions"]
    assert hits and hits[0].period_from == src.day(spike)
    assert hits[0].value > hits[0].evidence["upper"]


def test_ins004_unusual_change_uses_a_given_band():
    """The band is a seam: a forecast's band replaces the STL one."""
    src = workspace()

    def tight(series, history):
        expected = np.full(len(series), 1.0)
        return expected, expected - 0.5, expected + 0.5

    found = run(changes.unusual_change, src, tight)
    assert any(i.metric == "sessions" for i in found)  # everything is far from 1 session a day


#: the days the unusual-day band is fitted on
HISTORY = slice(DAYS - 28 - changes.HISTORY_DAYS, DAYS - 28)
#: the STL band alone, and the engine's consensus of it with the forecast's anomalies
UNUSUAL = pytest.mark.parametrize(
    "detector", [changes.unusual_change, bridge.unusual_change], ids=["stl", "consensus"]
)


def shop(series: np.ndarray) -> FakeSource:
    """A business of one channel, "Shop", whose net revenue is ``series``."""
    return FakeSource(ORIGIN, DAYS).add("net_revenue", series, channel="Shop")


def mad(series: np.ndarray) -> float:
    """The median absolute deviation of the band's history: the spread of a typical day."""
    history = series[HISTORY]
    return float(np.median(np.abs(history - np.median(history))))


def invoices(seed: int) -> np.ndarray:
    """A channel of ~$150 days plus a $3,600 retainer invoice every month and a few projects.

    The range holds one more $5,875 project milestone, the size of one already in the history.
    """
    series = noisy(DAYS, 150, 60, seed, weekly=20)
    series[[i for i in range(DAYS) if (ORIGIN + timedelta(days=i)).day == 2]] += 3600
    rng = np.random.default_rng(seed + 100)
    series[rng.choice(np.arange(DAYS - 200, DAYS - 40), 3, replace=False)] += [4250, 4400, 5875]
    series[DAYS - 12] += 5875
    return series


@UNUSUAL
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ins017_a_segment_spike_gets_a_band_of_its_typical_day(detector, seed):
    """A $100-a-day product that never had a negative day gets no "normal range from -$70"."""
    series = noisy(DAYS, 100, 40, seed, weekly=15)
    series[DAYS - 5] += 600  # a launch day
    src = shop(series)
    hit = next(i for i in run(detector, src) if i.dimensions == {"channel": "Shop"})
    assert hit.period_from == src.day(DAYS - 5) and hit.value > hit.evidence["upper"]
    assert hit.evidence["lower"] >= 0
    # both ends within a few typical-day spreads of the expectation
    assert hit.evidence["upper"] - hit.baseline <= 8 * mad(series)
    assert hit.baseline - hit.evidence["lower"] <= 8 * mad(series)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ins018_ordinary_days_and_routine_invoices_are_not_unusual(seed):
    """Noise is not news, nor is a project invoice the size of one the channel already had."""
    assert run(changes.unusual_change, shop(noisy(DAYS, 100, 40, seed))) == []
    series = invoices(seed)
    assert run(changes.unusual_change, shop(series)) == []
    # a day far beyond anything the channel has seen still is news
    series[DAYS - 5] += 15_000
    src = shop(series)
    hits = [i for i in run(changes.unusual_change, src) if i.dimensions == {"channel": "Shop"}]
    assert [i.period_from for i in hits] == [src.day(DAYS - 5)]
    assert hits[0].evidence["lower"] >= 0


@UNUSUAL
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ins019_a_segment_with_refund_heavy_days_keeps_a_band_below_zero(detector, seed):
    """Net revenue below zero is normal for a segment whose history has such days, on that side only."""
    series = noisy(DAYS, 100, 35, seed, weekly=10)
    rng = np.random.default_rng(seed + 200)
    series[rng.choice(np.arange(DAYS - 28), 14, replace=False)] = -rng.uniform(80, 180, 14).round(2)
    series[DAYS - 5] += 600
    src = shop(series)
    hit = next(i for i in run(detector, src) if i.dimensions == {"channel": "Shop"})
    assert hit.period_from == src.day(DAYS - 5)
    assert 2 * series[HISTORY].min() <= hit.evidence["lower"] < 0
    # the refund days widen the band downwards, not upwards
    assert hit.evidence["upper"] - hit.baseline <= 8 * mad(series)


def test_ins005_trend_change_needs_a_sustained_break():
    src = workspace()
    series = src.parts["sessions"][(("channel", "Organic"),)]
    series[-42:] *= np.linspace(1.2, 1.6, 42)  # six weeks climbing away from the trend
    found = run(changes.trend_change, src)
    assert [i.metric for i in found] == ["sessions"]
    assert found[0].value > found[0].baseline
    one_day = workspace()
    one_day.parts["sessions"][(("channel", "Organic"),)][-3] *= 3  # one spike is not a trend
    assert run(changes.trend_change, one_day) == []


def test_ins006_record_high_and_none_on_a_normal_month():
    february = (date(2026, 2, 1), date(2026, 2, 28))
    src = workspace()
    found = changes.records(src, *february, Exposure.measure(src, *february))
    assert not [i for i in found if i.metric == "net_revenue"]
    src.parts["net_revenue"][(("channel", "Organic"),)][-30:] *= 1.8  # February is the best month ever
    found = changes.records(src, *february, Exposure.measure(src, *february))
    record = next(i for i in found if i.metric == "net_revenue")
    assert record.type == "record_high" and record.evidence["grain"] == "month"
    assert (record.period_from, record.period_to) == february
    assert record.value > record.baseline == record.evidence["previous_record"]
    src = workspace()
    src.parts["net_revenue"][(("channel", "Organic"),)][-9:] *= 2  # the range's last whole week
    weekly = changes.records(src, START, END, Exposure.measure(src, START, END))  # no whole month inside
    assert [(i.type, i.evidence["grain"]) for i in weekly if i.metric == "net_revenue"] == [
        ("record_high", "week")
    ]


def test_ins007_efficiency_change_names_the_platform():
    src = workspace()
    src.parts["conversions"][(("platform", "meta_ads"),)][RANGE] = poisson(28, 4, 99)  # CPA triples
    src.parts["conversion_value"][(("platform", "meta_ads"),)][RANGE] /= 3
    found = run(business.efficiency_change, src)
    assert len(found) == 1
    assert found[0].dimensions == {"platform": "meta_ads"}
    assert found[0].metric in ("cpa", "roas")
    assert found[0].money_at_stake > 0


def test_ins008_email_deliverability():
    def emails(bounce_in_range: float):
        src = FakeSource(ORIGIN, DAYS)
        sends = np.zeros(DAYS)
        sends[::7] = 2000  # a weekly newsletter
        bounces = sends * 0.01 + np.where(sends > 0, np.random.default_rng(3).normal(0, 2, DAYS), 0)
        bounces[RANGE] = sends[RANGE] * bounce_in_range
        for i in np.flatnonzero(sends):
            c = f"Newsletter {i}"
            one = np.zeros(DAYS)
            one[i] = 1
            src.add("recipients", one * sends, campaign=c)
            src.add("emails_delivered", one * (sends - bounces), campaign=c)
            src.add("bounces", one * bounces, campaign=c)
            src.add("unsubscribes", one * sends * 0.002, campaign=c)
        src.add("net_revenue", noisy(DAYS, 1000, 100), channel="Email")
        return src

    assert run(business.email_deliverability, emails(0.01)) == []
    found = run(business.email_deliverability, emails(0.05))
    assert [i.metric for i in found] == ["bounce_rate"]
    assert found[0].value == pytest.approx(0.05)


def newsletter(complaints_in_range=None, seed: int = 3) -> FakeSource:
    """A weekly newsletter to ~2,000 people: 1% bounces, spam reports at ~0.02% of deliveries.

    ``complaints_in_range(day, delivered, rng)`` gives the spam reports of each send in the
    range (default: the same Poisson rate as before it).
    """
    rng = np.random.default_rng(seed)
    src = FakeSource(ORIGIN, DAYS)
    for i in range(0, DAYS, 7):
        one = np.zeros(DAYS)
        one[i] = 1
        recipients = 2000 + int(rng.integers(-50, 50))
        bounces = int(rng.binomial(recipients, 0.01))
        delivered = recipients - bounces
        complaints = int(rng.poisson(0.0002 * delivered))
        if complaints_in_range is not None and i >= DAYS - 28:
            complaints = complaints_in_range(i, delivered, rng)
        c = f"Newsletter {i}"
        src.add("recipients", one * recipients, campaign=c)
        src.add("emails_delivered", one * delivered, campaign=c)
        src.add("bounces", one * bounces, campaign=c)
        src.add("unsubscribes", one * int(rng.binomial(delivered, 0.002)), campaign=c)
        src.add("spam_reports", one * complaints, campaign=c)
    src.add("net_revenue", noisy(DAYS, 1000, 100), channel="Email")
    return src


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_ins013_spam_report_rate_quiet_on_normal_complaints(seed):
    # the usual ~0.02%: a send with 0, 1 or 2 complaints is normal
    assert run(business.email_deliverability, newsletter(seed=seed)) == []
    # one unlucky send with 3 complaints (0.15% of it) is not a trend: 3 in ~8,000 is ~0.04%
    unlucky = newsletter(lambda day, delivered, rng: 3 if day == DAYS - 7 else 0, seed)
    assert run(business.email_deliverability, unlucky) == []


def test_ins014_spam_report_spike_found_with_its_counts():
    # a bought list: 0.5% of deliveries reported as spam in the range
    src = newsletter(lambda day, delivered, rng: int(rng.binomial(delivered, 0.005)))
    [found] = run(business.email_deliverability, src)
    assert (found.type, found.metric) == ("email_deliverability", "spam_report_rate")
    assert found.value == pytest.approx(found.evidence["spam_report_count"] / found.evidence["delivered"])
    assert found.value > 0.003
    assert found.baseline == pytest.approx(0.0002, rel=0.5)
    assert found.evidence["spam_report_count"] >= 30
    assert found.evidence["expected_count"] < 5
    assert found.money_at_stake > 0 and found.confidence > 0.99
    assert "opted in" in found.action
    headline, text = offline(found, "USD")
    assert headline == "Email spam report rate is above its normal range"
    assert f"{found.evidence['spam_report_count']:,} emails as spam" in text


def key_account_workspace(seed: int = 1) -> FakeSource:
    """The clean workspace, with Organic revenue broken down by customer: one key account
    ("Acme Ltd", ~400 a day) and twenty small buyers."""
    src = workspace(seed)
    del src.parts["net_revenue"][(("channel", "Organic"),)]
    src.add("net_revenue", noisy(DAYS, 400, 40, seed + 30), channel="Organic", customer="Acme Ltd")
    for k in range(20):
        src.add(
            "net_revenue",
            noisy(DAYS, 40, 15, seed + 40 + k),
            channel="Organic",
            customer=f"buyer{k}@example.com",
        )
    return src


def test_ins015_a_single_customers_drop_is_named():
    src = key_account_workspace()
    assert [i for i in detect(src, START, END) if i.type in CHANGE_TYPES] == []  # clean: no alarm
    src.parts["net_revenue"][(("channel", "Organic"), ("customer", "Acme Ltd"))][RANGE] = 0  # stops buying
    found = detect(src, START, END)
    top = next(i for i in found if i.metric == "net_revenue")
    assert (top.type, top.dimensions) == ("top_contributors", {"customer": "Acme Ltd"})
    e = top.evidence
    assert top.value == 0 and top.baseline == pytest.approx(400 * 28, rel=0.1)  # the customer's own numbers
    assert e["total_value"] < e["total_baseline"] and e["share_of_change"] > 0.8
    assert e["contributors"][0] == {"value": "Acme Ltd", "current": 0.0, "previous": top.baseline,
                                    "share": e["share_of_change"]}  # fmt: skip
    assert "Acme Ltd" in top.action
    assert not [i for i in found if i.type == "period_change" and i.metric == "net_revenue"]  # absorbed
    headline, text = offline(top, "USD")
    assert headline.startswith("Net revenue fell") and "customer “Acme Ltd”" in headline
    assert "Customer “Acme Ltd” went from" in text


def test_ins016_a_channel_wide_drop_stays_with_the_channel():
    # Paid Search (no single customer behind it) loses 70%: the channel explains it, not a customer
    src = key_account_workspace()
    src.parts["net_revenue"][(("channel", "Paid Search"),)][RANGE] *= 0.3
    top = next(i for i in detect(src, START, END) if i.metric == "net_revenue")
    assert top.dimensions == {"channel": "Paid Search"}


def test_ins009_churn_spike():
    def subs(spike: bool):
        src = workspace()
        days = [ORIGIN + timedelta(days=i) for i in range(DAYS)]
        churn = np.where(np.arange(DAYS) % 30 == 0, 300.0, 0.0)
        if spike:
            churn[DAYS - 10] = 3000
        src.movements = pl.DataFrame({
            "day": days, "churn": churn, "contraction": np.zeros(DAYS), "opening_mrr": np.full(DAYS, 20000.0),
            "churned_customers": (churn > 0).astype(int) * 3, "customers_start": np.full(DAYS, 200),
        })  # fmt: skip
        return src

    assert run(business.churn_spike, subs(False)) == []
    found = run(business.churn_spike, subs(True))
    assert len(found) == 1 and found[0].type == "churn_spike" and found[0].value >= 3000
    assert found[0].money_at_stake > 20_000  # a year of the lost subscriptions


def test_ins010_goal_at_risk_only_when_behind():
    march = (date(2026, 3, 1), date(2026, 3, 31))
    end = date(2026, 3, 2)
    for target, expected in ((200_000.0, 1), (50_000.0, 0)):  # run rate is ~84k a month
        src = workspace()
        src._goals = [GoalSpec("net_revenue", "month", *march, target)]
        exposure = Exposure.measure(src, START, end)
        found = business.goal_at_risk(src, START, end, exposure)
        assert len(found) == expected
        if found:
            assert found[0].baseline == target and found[0].value < target
            assert found[0].evidence["probability_of_missing"] > 0.9


def test_ins011_concentration():
    src = workspace()
    assert run(business.concentration, src) == []  # 900 / 1200 / 600: no channel above 60%
    src.parts["net_revenue"][(("channel", "Organic"),)] *= 8
    found = run(business.concentration, src)
    assert [(i.dimensions, round(i.evidence["share"], 1)) for i in found] == [({"channel": "Organic"}, 0.9)]


def test_ins020_revenue_without_a_channel_is_never_the_concentrated_channel():
    """Most revenue untracked ("(none)", shown as "Unknown") is a tracking gap, not a dependence."""
    src = workspace()
    src.add("net_revenue", noisy(DAYS, 20_000, 1_000, 7), channel=NONE_LABEL)
    assert run(business.concentration, src) == []
    src.parts["net_revenue"][(("channel", "Organic"),)] *= 40  # now a known channel dominates too
    found = run(business.concentration, src)
    assert [i.dimensions for i in found] == [{"channel": "Organic"}]
    assert "Unknown" not in found[0].action


def test_ins012_ranking_and_bad_range():
    src = workspace()
    src.parts["net_revenue"][(("channel", "Paid Search"),)][RANGE] *= 0.3
    src.parts["sessions"][(("channel", "Organic"),)][DAYS - 5] *= 4
    found = detect(src, START, END)
    severities = [i.severity for i in found]
    assert severities == sorted(severities, reverse=True)
    assert len({i.id for i in found}) == len(found)
    assert found[0].metric == "net_revenue"  # thousands of dollars outrank one busy day of sessions
    with pytest.raises(InsightsError, match="reversed"):
        detect(src, END, START)
