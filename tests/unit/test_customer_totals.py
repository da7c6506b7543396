"""Per-customer totals of a range (top customers, RFM) equal a plain sum over customer_daily.

``data.analytics.customers`` sums whole months from customer_monthly (or, with a channel or
country filter, customer_monthly_dim_totals) and only the partial months at either end from
customer_daily. These tests import payments twice (the second import moves, replaces and adds
rows, so the rollups are refreshed incrementally), then compare every customer's payments, gross,
days with a payment and last day, for ranges with and without partial months and every kind of
filter, with the same figures summed straight from customer_daily.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from data.analytics import customers as cus
from data.metrics import dimension_sql
from data.metrics.catalogue import PAYMENT_DIMS
from tests.conftest import load, payments_frame

RANGES = [
    (date(2026, 1, 1), date(2026, 3, 31)),  # whole months only
    (date(2026, 1, 10), date(2026, 4, 20)),  # partial months at both ends
    (date(2025, 12, 20), date(2026, 2, 28)),  # across a year, a partial first month
    (date(2026, 2, 3), date(2026, 2, 25)),  # inside one month: no whole month
    (date(2026, 3, 1), date(2026, 3, 1)),  # one day, the first of a month
    (date(2025, 11, 1), date(2026, 6, 30)),  # everything
]
FILTERS = [
    None,
    {"channel": "Paid Search"},
    {"channel": "(none)"},  # a missing channel
    {"country": "DE"},
    {"product": "Pro"},  # no monthly rollup by product: read from customer_daily
    {"channel": "Email", "country": "US"},  # two dimensions: read from customer_daily
    {"platform": "google_ads"},  # not a payment dimension: no filter at all
]


def _payments(rng: random.Random, ids: range, base: datetime, days: int) -> list[dict]:
    """Payments of ~30 customers over ``days`` days; several a day for some, missing dimensions."""
    rows = []
    for i in ids:
        customer = rng.randint(0, 30)
        rows.append(
            {
                "id": f"ch_{i}",
                "created": base + timedelta(days=rng.randint(0, days), hours=rng.randint(0, 23)),
                "amount": f"{rng.randint(5, 500)}.{rng.randint(0, 99):02d}",
                "status": rng.choice(["succeeded", "succeeded", "succeeded", "refunded", "failed"]),
                "refunded": "0",
                "currency": "EUR",
                "customer": f"cus_{customer}",
                # a customer mostly keeps a channel and a country, and sometimes pays otherwise
                "channel": rng.choice([("Email", "Paid Search", None)[customer % 3], "Email", None]),
                "country": rng.choice([("US", "DE")[customer % 2], "US", "DE", None]),
                "product": rng.choice(["Pro", "Basic", None]),
            }
        )
    return rows


@pytest.fixture
def imported(services, other_workspace):
    """A Europe/Berlin workspace after two overlapping imports (the second refreshes incrementally)."""
    rng = random.Random(20261203)
    first = _payments(rng, range(0, 700), datetime(2025, 11, 1), 240)
    # ids 500-699 again (moved to other days, customers and values), plus new ones
    second = _payments(rng, range(500, 900), datetime(2026, 1, 15), 60)
    for rows in (first, second):
        result = load(services, other_workspace, "payments", payments_frame(rows))
        assert result.status == "ok", result.error
    return services.warehouse.scoped(other_workspace)


def _expected(scoped, start: date, end: date, where: dict | None) -> pl.DataFrame:
    """Each customer's totals in the range, summed from customer_daily alone."""
    dims, params = dimension_sql(where, PAYMENT_DIMS)
    return scoped.execute_sql(
        f"""
        SELECT customer_no, CAST(sum(payments) AS BIGINT) AS payments, sum(gross) AS gross,
               CAST(count(DISTINCT day) AS BIGINT) AS days, max(day) AS last_day
        FROM customer_daily WHERE workspace_id = $ws AND day BETWEEN $s AND $e{dims}
        GROUP BY customer_no ORDER BY customer_no
        """,
        {"s": start, "e": end, **params},
    )


@pytest.mark.parametrize("where", FILTERS, ids=str)
def test_customer_activity_equals_the_sum_of_customer_days(imported, where):
    seen = 0
    for start, end in RANGES:
        want = _expected(imported, start, end, where)
        seen += want.height
        sql, params = cus._customer_activity(start, end, where)
        got = imported.execute_sql(f"SELECT * FROM ({sql}) ORDER BY customer_no", params)
        assert got.cast(want.schema).rows() == want.rows(), (start, end, where)
    assert seen > 0, "the fixture should have customers for every filter"


@pytest.mark.parametrize("where", FILTERS, ids=str)
def test_top_customers_and_rfm_follow_the_sum_of_customer_days(imported, where):
    keys = imported.execute_sql(
        "SELECT customer_no, customer_key FROM customer_keys WHERE workspace_id = $ws"
    )
    for start, end in RANGES:
        want = _expected(imported, start, end, where).join(keys, on="customer_no")
        top = cus.top_customers(imported, start, end, where=where, limit=10)
        by_gross = want.sort(["gross", "customer_key"], descending=[True, False]).head(10)
        assert top["customer"].to_list() == by_gross["customer_key"].to_list(), (start, end, where)
        assert top["payments"].to_list() == by_gross["payments"].to_list()
        assert top["last_day"].to_list() == by_gross["last_day"].to_list()
        assert top["revenue"].to_list() == [round(float(g), 2) for g in by_gross["gross"]]

        lookback = (end - start).days + 1
        rfm = cus.rfm_scores(imported, end, lookback_days=lookback, where=where).sort("customer_no")
        assert rfm["customer_no"].to_list() == want["customer_no"].to_list(), (start, end, where)
        assert rfm["frequency"].to_list() == want["days"].to_list()
        assert rfm["last_day"].to_list() == want["last_day"].to_list()
        assert rfm["monetary"].to_list() == [round(float(g), 2) for g in want["gross"]]


def test_a_channel_or_country_filter_reads_whole_months_from_the_dimension_rollup():
    """Whole months come from a monthly rollup; only a product filter or two filters read days."""
    for where, table in [
        (None, "FROM customer_monthly "),
        ({"channel": "Email"}, "FROM customer_monthly_dim_totals "),
        ({"country": "DE"}, "FROM customer_monthly_dim_totals "),
    ]:
        sql, _ = cus._customer_rows(date(2026, 1, 10), date(2026, 4, 20), where)
        assert table in sql, where
        # the partial months: two range reads of customer_daily (zone maps skip the rest)
        assert sql.count("FROM customer_daily") == 2 and " OR " not in sql, where
    for where in ({"product": "Pro"}, {"channel": "Email", "country": "US"}):
        sql, _ = cus._customer_rows(date(2026, 1, 10), date(2026, 4, 20), where)
        assert "customer_monthly" not in sql, where
