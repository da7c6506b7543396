"""Derived catalogue metrics (ARPA, LTV, NRR, churn, CAC, CAC payback, open pipeline...).

Each against numbers computed by hand from the fixture of test_metrics.py, plus the contract
that they answer exactly what the pages' own computations (data.analytics) answer.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data import analytics as A
from data.metrics import (
    CATALOGUE,
    DAYS_PER_MONTH,
    MetricError,
    explain_metric,
    get_metric,
    query_metric,
    query_metrics,
)
from tests.conftest import load
from tests.unit.test_analytics import _deal
from tests.unit.test_metrics import JAN1, JAN31, shared_scoped  # noqa: F401 (the fixture)

#: January: opening MRR 400 (a 100, c 300), closing 200 (a 100, b 100); c churned, b is new.
MONTHS_IN_JANUARY = 31 / DAYS_PER_MONTH
REVENUE_PER_CUSTOMER_MONTH = 270 / 2 / MONTHS_IN_JANUARY  # net revenue / active customers / months


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("customer_churn_rate", 1 / 2),
        ("gross_mrr_churn", 300 / 400),
        ("net_mrr_churn", 300 / 400),
        ("nrr", 1 - 300 / 400),
        ("arpa", 200 / 2),
        ("ltv", round(100 / (0.5 * DAYS_PER_MONTH / 31), 2)),
        ("revenue_per_customer_month", round(REVENUE_PER_CUSTOMER_MONTH, 2)),
        ("cac", 100 / 1),  # spend / new customers (b)
        ("cac_payback", 100 / REVENUE_PER_CUSTOMER_MONTH),
        ("returning_customers", 1),  # a paid before January
        ("open_pipeline_value", 0),
        ("open_deals", 0),
    ],
)
def test_mder001_each_derived_metric_matches_hand_computed_total(shared_scoped, name, expected):  # noqa: F811
    assert query_metric(shared_scoped, name, JAN1, JAN31)["value"][0] == pytest.approx(expected, rel=1e-9)


def test_mder002_every_number_a_page_shows_is_in_the_catalogue():
    shown = {
        "arpa",
        "ltv",
        "nrr",
        "gross_mrr_churn",
        "net_mrr_churn",
        "customer_churn_rate",
        "cac",
        "cac_payback",
        "open_pipeline_value",
        "returning_customers",
    }
    missing = shown - set(CATALOGUE)
    assert missing == set()
    assert get_metric("cac_payback").unit == "duration" and get_metric("cac_payback").unit_label == "months"
    assert get_metric("sales_cycle_days").unit_label == "days"
    ratios = {m.name for m in CATALOGUE.values() if m.change_unit == "points"}
    assert ratios == {m.name for m in CATALOGUE.values() if m.unit == "ratio"}
    assert {"nrr", "net_mrr_churn", "ctr"} <= ratios
    assert get_metric("net_revenue").change_unit == "percent"


def test_mder003_subscription_metrics_equal_the_revenue_page_kpis(shared_scoped):  # noqa: F811
    for start, end in [(JAN1, JAN31), (date(2025, 12, 1), JAN31), (date(2026, 1, 10), date(2026, 1, 25))]:
        kpis = A.subscription_kpis(shared_scoped, start, end)
        for name in ("arpa", "ltv", "nrr", "gross_mrr_churn", "net_mrr_churn", "customer_churn_rate"):
            got = query_metric(shared_scoped, name, start, end)["value"][0]
            if kpis[name] is None:
                assert got is None, name
            else:
                assert got == pytest.approx(kpis[name], rel=1e-9, abs=0.005), name  # money in cents


def test_mder004_derived_metrics_per_period_and_compared(shared_scoped):  # noqa: F811
    frame = query_metric(
        shared_scoped, "gross_mrr_churn", date(2025, 12, 1), JAN31, grain="month", compare="previous_period"
    )
    assert frame["period"].to_list() == ["2025-12-01", "2026-01-01"]
    # December: no movement at all (0 churn over 400 opening MRR); January: c churned
    assert frame["value"].to_list() == [0.0, 0.75]
    # the comparison's periods are October and November: MRR 100 then 400, no churn
    assert frame["compare_value"].to_list() == [0.0, 0.0]
    # LTV is empty (not zero) where nobody churned
    ltv = query_metric(shared_scoped, "ltv", date(2025, 12, 1), JAN31, grain="month")
    assert ltv["value"][0] is None and ltv["value"][1] > 0


def test_mder005_plan_filter_and_no_split(shared_scoped):  # noqa: F811
    pro = query_metric(shared_scoped, "gross_mrr_churn", JAN1, JAN31, where={"plan": "Pro"})
    assert pro["value"][0] == 1.0  # the Pro plan lost all its MRR
    basic = query_metric(shared_scoped, "arpa", JAN1, JAN31, where={"plan": "Basic"})
    assert basic["value"][0] == 100.0
    with pytest.raises(MetricError, match="cannot be split"):
        query_metric(shared_scoped, "nrr", JAN1, JAN31, by="plan")
    with pytest.raises(MetricError, match="cannot be filtered by 'channel'"):
        query_metric(shared_scoped, "nrr", JAN1, JAN31, where={"channel": "Email"})


def test_mder006_open_pipeline_snapshots_match_the_pipeline_kpi(services, workspace):
    load(
        services,
        workspace,
        "deals",
        pl.DataFrame(
            [
                _deal("d1", "2026-01-01 09:00", "2026-01-11 09:00", True, "1000"),
                _deal("d2", "2026-01-05", "2026-01-25", False, "500"),
                _deal("d3", "2026-01-10", None, None, "2000"),
                _deal("d4", "2025-12-01", "2026-03-05", True, "3000"),
            ]
        ),
    )
    s = services.warehouse.scoped(workspace)
    feb28 = date(2026, 2, 28)
    assert (
        query_metric(s, "open_pipeline_value", JAN1, feb28)["value"][0]
        == A.open_pipeline(s, feb28)["open_value"]
    )
    assert query_metric(s, "open_deals", JAN1, feb28)["value"][0] == A.open_pipeline(s, feb28)["open_deals"]
    weekly = query_metric(s, "open_deals", JAN1, JAN31, grain="week")
    # each week's value is the deals open at its end (clipped to the range), as open_pipeline says
    ends = [date(2026, 1, 4), date(2026, 1, 11), date(2026, 1, 18), date(2026, 1, 25), JAN31]
    assert weekly["value"].to_list() == [A.open_pipeline(s, d)["open_deals"] for d in ends]
    assert weekly["value"].to_list() == [2, 3, 3, 2, 2]
    assert query_metric(s, "open_pipeline_value", JAN1, feb28)["value"][0] == 5000.0  # d3 and d4
    # the deals are kept per data version: a new import is counted at once
    load(
        services,
        workspace,
        "deals",
        pl.DataFrame([_deal("d5", "2026-01-02", None, None, "700")]),
        name="more",
    )
    assert query_metric(s, "open_deals", JAN1, feb28)["value"][0] == A.open_pipeline(s, feb28)["open_deals"]
    assert query_metric(s, "open_pipeline_value", JAN1, feb28)["value"][0] == 5700.0


def test_mder007_cac_table_payback_uses_revenue_per_customer(shared_scoped):  # noqa: F811
    table = A.cac_by_channel(shared_scoped, JAN1, JAN31)
    blended = table.filter(pl.col("channel") == "Blended").row(0, named=True)
    assert blended["cac"] == query_metric(shared_scoped, "cac", JAN1, JAN31)["value"][0]
    assert blended["payback_months"] == round(
        query_metric(shared_scoped, "cac_payback", JAN1, JAN31)["value"][0], 2
    )


def test_mder008_derived_metrics_asked_together_equal_one_by_one(shared_scoped):  # noqa: F811
    names = ["net_revenue", "arpa", "nrr", "cac", "returning_customers", "mrr"]
    together = query_metrics(shared_scoped, names, JAN1, JAN31, grain="week", compare="previous_year")
    for name in names:
        alone = query_metric(shared_scoped, name, JAN1, JAN31, grain="week", compare="previous_year")
        assert together[name].equals(alone), name


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_mder009_every_metric_shows_sql_that_runs_as_printed(shared_scoped, name):  # noqa: F811
    text = explain_metric(shared_scoped, name, JAN1, JAN31, grain="week", compare="previous_period")
    assert text.startswith(f"-- {name}: {CATALOGUE[name].label} ")
    statements = text.split("\n-- statement ")[1:]
    assert statements, "no statement shown"
    for statement in statements:
        sql = statement.split("\n", 1)[1]
        assert "$" not in sql
        shared_scoped.warehouse.cursor().execute(sql).fetchall()  # runs as printed
