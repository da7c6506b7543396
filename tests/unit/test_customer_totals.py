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


def _payments(rng: random.Random, ids: range, base: datetime, days: int, customers: int = 30) -> list[dict]:
    """Payments of ~``customers`` customers over ``days`` days; several a day for some, missing dimensions."""
    rows = []
    for i in ids:
        customer = rng.randint(0, customers)
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


#: ranges over a leap year's February: a lookback starting a few days into a month (its month
#: read whole, less the days before the start), the leap day alone, a month's tail, ranges with
#: no payment at all and ranges whose first month's payments all fall before the start
LEAP_RANGES = [
    (date(2024, 2, 29), date(2024, 2, 29)),  # the leap day
    (date(2024, 2, 2), date(2024, 4, 15)),  # one day of February left out, a partial last month
    (date(2024, 2, 8), date(2024, 3, 31)),  # seven of 29 days left out, whole months to the end
    (date(2024, 2, 9), date(2024, 3, 31)),  # eight left out: read by day
    (date(2024, 3, 5), date(2024, 3, 31)),  # a month's tail: the month less its first days
    (date(2024, 3, 3), date(2024, 3, 20)),  # inside one month: read by day
    (date(2024, 2, 29), date(2024, 3, 30)),  # from the leap day to a day before a month's end
    (date(2023, 12, 2), date(2024, 1, 31)),  # across a year, a partial first month
    (date(2024, 1, 3), date(2025, 1, 1)),  # a year and a day, past the last payment
    (date(2024, 9, 2), date(2024, 10, 30)),  # after the last payment: empty
    (date(2023, 10, 2), date(2023, 11, 29)),  # before the first payment: empty
]


@pytest.fixture
def leap_imported(services, other_workspace):
    """The Europe/Berlin workspace with payments from December 2023 to June 2024, imported twice."""
    rng = random.Random(20240229)
    # many customers with a few payments each: some pay only on the days a range leaves out
    first = _payments(rng, range(0, 900), datetime(2023, 12, 1), 190, customers=300)
    second = _payments(rng, range(700, 1000), datetime(2024, 2, 20), 20, customers=300)  # around the leap day
    for rows in (first, second):
        result = load(services, other_workspace, "payments", payments_frame(rows))
        assert result.status == "ok", result.error
    return services.warehouse.scoped(other_workspace)


def _from_payments(scoped, start: date, end: date, where: dict | None) -> pl.DataFrame:
    """Each customer's payments, gross, days with a payment and last day, from payment rows.

    Successful sales (refund and payout lines are not purchases) on their local calendar day
    in the workspace's zone, straight from the payments table: no rollup involved.
    """
    dims, params = dimension_sql(where, PAYMENT_DIMS)
    return scoped.execute_sql(
        f"""
        WITH sales AS (
            SELECT CAST(timezone($tz, created AT TIME ZONE 'UTC') AS DATE) AS day,
                   customer_id, amount_reporting, channel, product, country
            FROM payments
            WHERE workspace_id = $ws AND status IN ('succeeded', 'refunded')
              AND kind IS DISTINCT FROM 'refund' AND kind IS DISTINCT FROM 'payout'
        )
        SELECT k.customer_no, CAST(count(*) AS BIGINT) AS payments, sum(s.amount_reporting) AS gross,
               CAST(count(DISTINCT s.day) AS BIGINT) AS days, max(s.day) AS last_day
        FROM sales s JOIN customer_keys k ON k.workspace_id = $ws AND k.customer_key = s.customer_id
        WHERE s.day BETWEEN $s AND $e{dims}
        GROUP BY k.customer_no ORDER BY k.customer_no
        """,
        {"s": start, "e": end, "tz": scoped.workspace.timezone, **params},
    )


@pytest.mark.parametrize("where", [None, {"channel": "Paid Search"}, {"country": "(none)"}], ids=str)
def test_rfm_over_odd_ranges_equals_a_sum_over_payments(leap_imported, where):
    """Whole months less the days before the range (or plus the partial ones) sum as payments do."""
    keys = leap_imported.execute_sql(
        "SELECT customer_no, customer_key FROM customer_keys WHERE workspace_id = $ws"
    )
    empty = nonempty = netted = 0
    for start, end in LEAP_RANGES:
        want = _from_payments(leap_imported, start, end, where)
        sql, params = cus._customer_activity(start, end, where)
        netted += cus._customer_rows(start, end, where, net=True)[1].get("a_from", start) < start
        got = leap_imported.execute_sql(f"SELECT * FROM ({sql}) ORDER BY customer_no", params)
        assert got.cast(want.schema).rows() == want.rows(), (start, end, where)

        lookback = (end - start).days + 1
        rfm = cus.rfm_scores(leap_imported, end, lookback_days=lookback, where=where).sort("customer_no")
        assert rfm["customer_no"].to_list() == want["customer_no"].to_list(), (start, end, where)
        assert rfm["frequency"].to_list() == want["days"].to_list(), (start, end, where)
        assert rfm["last_day"].to_list() == want["last_day"].to_list(), (start, end, where)
        assert rfm["recency_days"].to_list() == [(end - d).days for d in want["last_day"]]
        assert rfm["monetary"].to_list() == [round(float(g), 2) for g in want["gross"]]
        named = cus.rfm_customers(leap_imported, end, lookback_days=lookback, where=where)
        by_key = want.join(keys, on="customer_no").sort("customer_key")
        assert sorted(named["customer"].to_list()) == by_key["customer_key"].to_list()
        empty += want.height == 0
        nonempty += want.height > 0
    assert empty >= 2 and nonempty >= 6, "the fixture should leave some ranges empty and fill the others"
    assert netted >= 3, "some ranges should read their first month whole, less the days before them"


def test_a_first_month_mostly_in_the_range_is_read_whole_less_its_first_days():
    """Up to a quarter of the month before the start: the month, minus those days (rows negated)."""
    sql, params = cus._customer_rows(date(2025, 12, 4), date(2026, 12, 3), None, net=True)
    assert params["a_from"] == date(2025, 12, 1) and sql.count("FROM customer_daily") == 2
    assert "-payments" in sql and "$a_from AND $a_start - 1" in sql
    # without net, or with more than a quarter of the month before the start: by day
    for start, net in ((date(2025, 12, 4), False), (date(2025, 12, 9), True)):
        sql, params = cus._customer_rows(start, date(2026, 12, 3), None, net=net)
        assert params["a_from"] == date(2026, 1, 1) and "-payments" not in sql
