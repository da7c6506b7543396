"""Each metric against a tiny hand-computed fixture, plus the query API's contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from data.metrics import CATALOGUE, MetricError, comparison_range, periods, query_metric
from tests.conftest import acme_workspace, load, payments_frame, readonly_services

JAN1, JAN31 = date(2026, 1, 1), date(2026, 1, 31)


@pytest.fixture
def scoped(services, workspace):
    """The fixture below in a workspace of this test's own services (for tests that also write)."""
    return load_fixture(services, workspace)


@pytest.fixture(scope="module")
def shared_scoped(tmp_path_factory):
    """The same fixture loaded once for the module's read-only tests."""
    with readonly_services(tmp_path_factory, "metrics") as services:
        yield load_fixture(services, acme_workspace(services))


def load_fixture(services, workspace):
    """January 2026 payments, ads, web, email and subscriptions with hand-computed totals."""
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                # customer a: two payments in January (one partially refunded), first ever in December
                {
                    "id": "p0",
                    "created": "2025-12-15 10:00",
                    "amount": "50.00",
                    "customer": "a",
                    "channel": "Email",
                },
                {
                    "id": "p1",
                    "created": "2026-01-02 10:00",
                    "amount": "100.00",
                    "refunded": "30.00",
                    "fee": "3.20",
                    "customer": "a",
                    "channel": "Email",
                    "product": "Kit",
                },
                {
                    "id": "p2",
                    "created": "2026-01-05 23:30",
                    "amount": "200.00",
                    "fee": "6.10",
                    "customer": "a",
                    "channel": "Email",
                    "product": "Retainer",
                },
                # customer b: new in January, fully refunded payment still counts as gross
                {
                    "id": "p3",
                    "created": "2026-01-20 08:00",
                    "status": "refunded",
                    "amount": "80.00",
                    "refunded": "80.00",
                    "customer": "b",
                    "channel": "Paid Search",
                    "product": "Kit",
                },
                # failed payments never count
                {
                    "id": "p4",
                    "created": "2026-01-21 08:00",
                    "status": "failed",
                    "amount": "999.00",
                    "customer": "c",
                },
                # February: outside the range
                {"id": "p5", "created": "2026-02-01 00:00", "amount": "70.00", "customer": "b"},
            ]
        ),
    )
    load(
        services,
        workspace,
        "ad_daily",
        pl.DataFrame(
            [
                {
                    "source": "google_ads",
                    "source_id": "g1",
                    "date": date(2026, 1, 3),
                    "platform": "google_ads",
                    "campaign": "Brand",
                    "spend": Decimal("40.00"),
                    "currency": "USD",
                    "impressions": 1000,
                    "clicks": 50,
                    "conversions": 4.0,
                    "conversion_value": Decimal("200.00"),
                },
                {
                    "source": "meta_ads",
                    "source_id": "m1",
                    "date": date(2026, 1, 4),
                    "platform": "meta_ads",
                    "campaign": "Retarget",
                    "spend": Decimal("60.00"),
                    "currency": "USD",
                    "impressions": 3000,
                    "clicks": 30,
                    "conversions": 1.0,
                    "conversion_value": Decimal("30.00"),
                },
            ]
        ),
    )
    load(
        services,
        workspace,
        "web_daily",
        pl.DataFrame(
            [
                {
                    "source": "ga4",
                    "source_id": "w1",
                    "date": date(2026, 1, 3),
                    "channel": "Organic Search",
                    "sessions": 120,
                    "users": 100,
                    "new_users": 60,
                    "key_events": 6.0,
                },
                {
                    "source": "ga4",
                    "source_id": "w2",
                    "date": date(2026, 1, 10),
                    "channel": "Direct",
                    "sessions": 80,
                    "users": 70,
                    "new_users": 10,
                    "key_events": 2.0,
                },
            ]
        ),
    )
    load(
        services,
        workspace,
        "email_campaigns",
        pl.DataFrame(
            [
                {
                    "source": "mailchimp",
                    "source_id": "e1",
                    "sent_at": datetime(2026, 1, 6, 9),
                    "title": "Jan news",
                    "list_name": "Newsletter",
                    "recipients": 1010,
                    "delivered": 1000,
                    "unique_opens": 400,
                    "opens": 600,
                    "unique_clicks": 50,
                    "clicks": 70,
                    "unsubscribes": 5,
                    "bounces": 10,
                    "complaints": 2,
                },
                {
                    "source": "mailchimp",
                    "source_id": "e2",
                    "sent_at": datetime(2026, 1, 13, 9),
                    "title": "Sale",
                    "list_name": "Newsletter",
                    "recipients": 505,
                    "delivered": 500,
                    "unique_opens": 100,
                    "opens": 120,
                    "unique_clicks": 25,
                    "clicks": 30,
                    "unsubscribes": 0,
                    "bounces": 5,
                    "complaints": None,  # a file without a complaints column
                },
            ]
        ),
    )
    load(
        services,
        workspace,
        "subscriptions",
        pl.DataFrame(
            [
                # runs all January: 100/month
                {
                    "source": "stripe",
                    "source_id": "s1",
                    "customer_id": "a",
                    "plan": "Basic",
                    "amount": Decimal("100"),
                    "currency": "USD",
                    "mrr": Decimal("100"),
                    "start_at": datetime(2025, 11, 1),
                    "end_at": None,
                },
                # annual 1200 -> 100/month, starts mid January
                {
                    "source": "stripe",
                    "source_id": "s2",
                    "customer_id": "b",
                    "plan": "Care",
                    "amount": Decimal("1200"),
                    "currency": "USD",
                    "mrr": Decimal("100"),
                    "start_at": datetime(2026, 1, 15),
                    "end_at": None,
                },
                # ended 20 January: active at the end of week 1 and 2, not at month end
                {
                    "source": "stripe",
                    "source_id": "s3",
                    "customer_id": "c",
                    "plan": "Pro",
                    "amount": Decimal("300"),
                    "currency": "USD",
                    "mrr": Decimal("300"),
                    "start_at": datetime(2025, 6, 1),
                    "end_at": datetime(2026, 1, 20),
                },
            ]
        ),
    )
    return services.warehouse.scoped(workspace)


def total(scoped, name, start=JAN1, end=JAN31):
    return query_metric(scoped, name, start, end)["value"][0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gross_revenue", 380.00),  # 100 + 200 + 80
        ("refunds", 110.00),  # 30 + 80
        ("net_revenue", 270.00),
        ("fees", 9.30),
        ("payments_count", 3),
        ("average_order_value", 380 / 3),
        ("active_customers", 2),  # a, b
        ("new_customers", 1),  # b (a was new in December)
        ("mrr", 200.00),  # s1 + s2 at 31 Jan; s3 ended
        ("arr", 2400.00),
        ("spend", 100.00),
        ("impressions", 4000),
        ("clicks", 80),
        ("ctr", 80 / 4000),
        ("cpc", 100 / 80),
        ("cpm", 100 / 4000 * 1000),
        ("conversions", 5),
        ("cpa", 20.00),
        ("conversion_value", 230.00),
        ("roas", 2.30),
        ("sessions", 200),
        ("users", 170),
        ("new_users", 70),
        ("key_events", 8),
        ("web_conversion_rate", 8 / 200),
        ("emails_delivered", 1500),
        ("open_rate", 500 / 1500),
        ("click_rate", 75 / 1500),
        ("ctor", 75 / 500),
        ("unsubscribe_rate", 5 / 1500),
        ("bounce_rate", 15 / 1515),
        ("spam_reports", 2),
        # the send that does not report complaints is left out of the rate, not counted as 0
        ("spam_report_rate", 2 / 1000),
    ],
)
def test_met001_each_metric_matches_hand_computed_total(shared_scoped, name, expected):
    assert total(shared_scoped, name) == pytest.approx(expected, rel=1e-9, abs=0.005)


def test_met002_every_required_metric_is_in_the_catalogue():
    required = {
        "gross_revenue",
        "refunds",
        "net_revenue",
        "fees",
        "mrr",
        "arr",
        "active_customers",
        "new_customers",
        "spend",
        "impressions",
        "clicks",
        "ctr",
        "cpc",
        "conversions",
        "cpa",
        "conversion_value",
        "roas",
        "sessions",
        "emails_delivered",
        "open_rate",
        "click_rate",
    }
    assert required <= set(CATALOGUE)
    for metric in CATALOGUE.values():
        assert metric.unit in {"currency", "count", "ratio", "duration", "multiple"}
        assert metric.label and metric.description and metric.formula
        assert metric.format  # every unit has a display format


def test_met002b_roas_shows_as_a_multiple_everywhere():
    from components.formatting import format_value

    assert CATALOGUE["roas"].unit == "multiple"
    assert format_value(2.4137, "multiple") == format_value(2.4137, CATALOGUE["roas"].unit) == "2.41×"
    assert format_value(1234.5, "multiple") == "1,234.50×" and format_value(None, "multiple") == "—"
    assert format_value(0.258, "ratio") == "25.8%"  # ratios stay percentages


def test_met003_daily_grain_fills_every_day_and_splits_by_dimension(shared_scoped):
    frame = query_metric(shared_scoped, "gross_revenue", date(2026, 1, 1), date(2026, 1, 7), grain="day")
    assert frame["period"].to_list() == [f"2026-01-0{d}" for d in range(1, 8)]
    assert frame["value"].to_list() == [0, 100, 0, 0, 200, 0, 0]
    split = query_metric(shared_scoped, "gross_revenue", JAN1, JAN31, by="channel")
    assert dict(zip(split["channel"], split["value"], strict=True)) == {
        "Email": 300.0,
        "Paid Search": 80.0,
        "(none)": 0.0,
    }


def test_met004_weekly_mrr_is_a_snapshot_at_each_week_end(shared_scoped):
    frame = query_metric(shared_scoped, "mrr", date(2026, 1, 5), date(2026, 1, 25), grain="week")
    # weeks end 11 Jan (s1+s3), 18 Jan (s1+s2+s3), 25 Jan (s1+s2)
    assert frame["period"].to_list() == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert frame["value"].to_list() == [400.0, 500.0, 200.0]


def test_met005_monthly_grain_and_previous_period_comparison(shared_scoped):
    frame = query_metric(
        shared_scoped,
        "gross_revenue",
        date(2026, 1, 1),
        date(2026, 2, 28),
        grain="month",
        compare="previous_period",
    )
    assert frame["period"].to_list() == ["2026-01-01", "2026-02-01"]
    assert frame["value"].to_list() == [380.0, 70.0]
    # previous 59 days: 3 Nov - 31 Dec 2025; its first "month" holds p0 (15 Dec) -> index 1
    assert comparison_range(date(2026, 1, 1), date(2026, 2, 28), "previous_period") == (
        date(2025, 11, 3),
        date(2025, 12, 31),
    )
    assert frame["compare_value"].to_list() == [0.0, 50.0]


def test_met006_previous_year_handles_leap_day():
    assert comparison_range(date(2024, 2, 29), date(2024, 3, 1), "previous_year") == (
        date(2023, 2, 28),
        date(2023, 3, 1),
    )


def test_met007_ratio_is_null_when_denominator_is_zero(shared_scoped):
    assert total(shared_scoped, "ctr", date(2026, 3, 1), date(2026, 3, 31)) is None
    assert total(shared_scoped, "spend", date(2026, 3, 1), date(2026, 3, 31)) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "revenue"}, "unknown metric 'revenue'; known metrics:"),
        ({"grain": "year"}, "unknown grain 'year'; accepted: total, day, week, month"),
        ({"by": "planet"}, "cannot be split by 'planet'; accepted dimensions: channel, product, country"),
        ({"compare": "last_week"}, "unknown comparison 'last_week'"),
        ({"start": date(2026, 2, 1)}, "the date range is reversed"),
    ],
)
def test_met008_bad_requests_name_the_bad_value(shared_scoped, kwargs, message):
    args = {
        "name": "gross_revenue",
        "start": JAN1,
        "end": JAN31,
        "grain": "total",
        "by": None,
        "compare": None,
    }
    args.update(kwargs)
    with pytest.raises(MetricError, match=message.replace("(", r"\(").replace(")", r"\)")):
        query_metric(
            shared_scoped,
            args["name"],
            args["start"],
            args["end"],
            grain=args["grain"],
            by=args["by"],
            compare=args["compare"],
        )


def test_met009_workspaces_never_see_each_others_rows(services, scoped, other_workspace):
    other = services.warehouse.scoped(other_workspace)
    assert query_metric(other, "gross_revenue", JAN1, JAN31)["value"][0] == 0.0
    assert query_metric(scoped, "gross_revenue", JAN1, JAN31)["value"][0] == 380.0


def test_met010_days_are_in_the_workspace_time_zone(services, other_workspace):
    # 23:30 UTC on 5 Jan is 00:30 on 6 Jan in Berlin
    load(
        services,
        other_workspace,
        "payments",
        payments_frame([{"id": "x", "created": "2026-01-05 23:30", "amount": "10.00", "currency": "EUR"}]),
    )
    frame = query_metric(
        services.warehouse.scoped(other_workspace),
        "gross_revenue",
        date(2026, 1, 5),
        date(2026, 1, 6),
        grain="day",
    )
    assert frame["value"].to_list() == [0.0, 10.0]


def test_met011_periods_cover_partial_weeks_and_months():
    assert periods(date(2026, 1, 7), date(2026, 1, 20), "week") == [
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    ]
    assert periods(date(2025, 12, 15), date(2026, 2, 1), "month") == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_met012_refunds_are_dated_as_the_description_says(services, workspace):
    """The description said "dated by the original payment's day": a PayPal refund line is not."""
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [{"id": "s1", "created": "2026-01-02 10:00", "amount": "100.00", "refunded": "30.00"}]
        ),
    )
    # a refund of its own (PayPal's "Payment Refund" row), made on 20 January
    refund = {
        "id": "r1",
        "created": "2026-01-20 10:00",
        "amount": "25.00",
        "kind": "refund",
        "source": "paypal",
    }
    load(services, workspace, "payments", payments_frame([refund]))
    frame = query_metric(services.warehouse.scoped(workspace), "refunds", JAN1, JAN31, grain="day")
    by_day = dict(zip(map(str, frame["period"].to_list()), frame["value"].to_list(), strict=True))
    by_day = {day[:10]: value for day, value in by_day.items()}
    assert by_day["2026-01-02"] == 30.0  # on its sale: the sale's day
    assert by_day["2026-01-20"] == 25.0  # a line of its own: its own day
    description = CATALOGUE["refunds"].description
    assert "original payment's day" not in description
    assert "the sale's day" in description and "its own day" in description


#: every file connector that writes payments rows, i.e. every source a refund can come from
PAYMENT_FILE_SOURCES = {
    "stripe": "Stripe",
    "paypal": "PayPal",
    "shopify": "Shopify",
    "gumroad": "Gumroad",
    "square": "Square",
}


def test_met013_the_refunds_description_names_every_payments_source():
    """A Square owner reading "Refunds" learns which day their refunds count on (it left Square out)."""
    import inspect

    from data.connectors import registry

    writers = {
        source
        for source in registry.FILE_SOURCES
        if source != "generic" and '"payments"' in inspect.getsource(registry.module(source))
    }
    assert writers == set(PAYMENT_FILE_SOURCES)  # a new payments connector: name it below too
    description = CATALOGUE["refunds"].description
    assert [name for name in PAYMENT_FILE_SOURCES.values() if name not in description] == []
