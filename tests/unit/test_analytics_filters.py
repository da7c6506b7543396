"""Page filters on every panel: how each filter maps onto a metric, what a panel notes, data helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl

from callbacks import _analytics as an
from callbacks.campaigns import ads_excluded, email_excluded
from data import analytics as A
from data.metrics import query_metric
from tests.conftest import load, payments_frame


def test_flt001_channel_and_platform_meet_through_the_platform_that_buys_the_channel():
    assert an.where_for("spend", {"channel": "Paid Search"}) == {"platform": "google_ads"}
    assert an.where_for("spend", {"channel": "Email"}) == {"platform": an.NO_MATCH}
    assert an.where_for("sessions", {"platform": "meta_ads"}) == {"channel": "Paid Social"}
    assert an.where_for("new_customers", {"platform": "meta_ads", "channel": "Paid Social"}) == {
        "channel": "Paid Social"
    }
    # contradicting filters: nothing matches both, so the metric is zero rather than one of them
    assert an.where_for("spend", {"channel": "Paid Social", "platform": "google_ads"}) == {
        "platform": an.NO_MATCH
    }
    assert an.where_for("sessions", {"channel": "Email", "platform": "google_ads"}) == {
        "channel": an.NO_MATCH
    }
    assert an.where_for("mrr", {"product": "Pro", "country": "US"}) == {"plan": "Pro"}


def test_flt002_unapplied_filters_are_named():
    assert an.unapplied("mrr", {"product": "Pro", "country": "US", "channel": "Email"}) == [
        "country",
        "channel",
    ]
    assert an.unapplied("win_rate", {"channel": "Email"}) == ["channel"]
    assert an.unapplied("spend", {"channel": "Email", "campaign": "x"}) == []


def test_flt003_panels_note_the_filters_they_ignore_and_drop_them():
    panel = an.Panel(
        "p", lambda s, f, fr: None, ignores={"country": "no country"}, partial={"channel": "part"}
    )
    filters = {"country": "US", "channel": "Email", "product": "Kit"}
    assert an.applied_filters(panel, filters) == {"channel": "Email", "product": "Kit"}
    assert an.notes_for(panel, filters) == ["no country", "part"]
    assert an.notes_for(panel, {"product": "Kit"}) == []


def test_flt004_email_and_ad_panels_say_why_a_filter_rules_them_out():
    assert email_excluded({}) is None and email_excluded({"channel": "Email", "campaign": "x"}) is None
    assert "Email channel, not Paid Search" in email_excluded({"channel": "Paid Search"})
    assert "ad platform" in email_excluded({"platform": "google_ads"})
    assert ads_excluded({"channel": "Paid Search"}) is None
    assert "No ad platform buys the Email channel" in ads_excluded({"channel": "Email"})
    assert "does not buy" in ads_excluded({"channel": "Paid Search", "platform": "meta_ads"})


def test_flt005_email_table_by_campaign_and_cac_for_one_channel(services, workspace):
    sent = datetime(2026, 3, 2, 9)
    load(
        services,
        workspace,
        "email_campaigns",
        pl.DataFrame(
            [
                {
                    "source": "mailchimp",
                    "source_id": sid,
                    "sent_at": sent,
                    "title": title,
                    "list_name": "news",
                    "recipients": 100,
                    "delivered": 90,
                    "unique_opens": 45,
                    "unique_clicks": 9,
                    "unsubscribes": 1,
                    "bounces": 10,
                    "complaints": complaints,
                }
                for sid, title, complaints in (("e1", "Spring sale", 3), ("e2", "Newsletter", None))
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
                    "date": date(2026, 3, 2),
                    "platform": "google_ads",
                    "campaign": "Brand",
                    "spend": Decimal("100"),
                    "currency": "USD",
                    "impressions": 10,
                    "clicks": 1,
                    "conversions": 1.0,
                    "conversion_value": Decimal("1"),
                },
                {
                    "source": "meta_ads",
                    "source_id": "m1",
                    "date": date(2026, 3, 2),
                    "platform": "meta_ads",
                    "campaign": "Reel",
                    "spend": Decimal("40"),
                    "currency": "USD",
                    "impressions": 10,
                    "clicks": 1,
                    "conversions": 1.0,
                    "conversion_value": Decimal("1"),
                },
            ]
        ),
    )
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "p1",
                    "created": "2026-03-02 10:00",
                    "amount": "10",
                    "customer": "a",
                    "channel": "Paid Search",
                },
                {
                    "id": "p2",
                    "created": "2026-03-02 11:00",
                    "amount": "10",
                    "customer": "b",
                    "channel": "Paid Search",
                },
                {
                    "id": "p3",
                    "created": "2026-03-02 12:00",
                    "amount": "10",
                    "customer": "c",
                    "channel": "Paid Social",
                },
            ]
        ),
    )
    scoped = services.warehouse.scoped(workspace)
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    sends = {r["title"]: r for r in A.email_table(scoped, start, end).iter_rows(named=True)}
    assert (sends["Spring sale"]["spam_reports"], sends["Spring sale"]["spam_report_rate"]) == (3, 3 / 90)
    # a send whose source does not report spam reports: empty, not 0%
    assert (sends["Newsletter"]["spam_reports"], sends["Newsletter"]["spam_report_rate"]) == (None, None)
    assert A.email_table(scoped, start, end, where={"campaign": "Spring sale"})["title"].to_list() == [
        "Spring sale"
    ]
    everything = A.cac_by_channel(scoped, start, end)
    assert everything["channel"].to_list() == ["Paid Search", "Paid Social", "All paid", "Blended"]
    one = A.cac_by_channel(scoped, start, end, channel="Paid Search")
    # payback: months of one paying customer's revenue (the catalogue's revenue_per_customer_month)
    per_month = query_metric(scoped, "revenue_per_customer_month", start, end)["value"][0]
    assert one.to_dicts() == [
        {
            "channel": "Paid Search",
            "spend": 100.0,
            "new_customers": 2,
            "cac": 50.0,
            "payback_months": round(50.0 / per_month, 2),
        }
    ]
    assert A.cac_by_channel(scoped, start, end, channel="Email").height == 0


def test_flt006_rfm_over_a_range_counts_only_customers_who_paid_in_it(services, workspace):
    end = date(2026, 3, 31)
    old = end - timedelta(days=100)
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "r1",
                    "created": f"{end - timedelta(days=3)} 10:00",
                    "amount": "50",
                    "customer": "recent",
                },
                {"id": "r2", "created": f"{old} 10:00", "amount": "500", "customer": "old"},
            ]
        ),
    )
    scoped = services.warehouse.scoped(workspace)
    week = A.rfm_customers(scoped, end, lookback_days=7)
    year = A.rfm_customers(scoped, end, lookback_days=365)
    assert week.height == 1 and week["recency_days"].to_list() == [3]
    assert year.height == 2
