"""Detection by content, explicit sources, and refusing unknown files."""

from __future__ import annotations

import shutil

import pytest

from data.connectors import registry
from data.connectors.base import UnrecognisedFile
from tests.unit.connectors._helpers import FIXTURES, parse

EXPECTED = {
    "stripe_payments_new.csv": "stripe",
    "stripe_payments_old_excel.csv": "stripe",
    "stripe_subscriptions.csv": "stripe",
    "stripe_customers.csv": "stripe",
    "paypal_us.csv": "paypal",
    "paypal_eu_de.csv": "paypal",
    "shopify_orders.csv": "shopify",
    "gumroad_sales.csv": "gumroad",
    "mailchimp_campaigns.csv": "mailchimp",
    "mailchimp_excel_resave.csv": "mailchimp",
    "google_ads_campaigns.csv": "google_ads",
    "google_ads_excel_utf16.csv": "google_ads",
    "meta_ads_export.csv": "meta_ads",
    "ga4_traffic.csv": "ga4",
    "hubspot_deals.csv": "hubspot",
    "square/transactions-2024-03-01-2024-04-01.csv": "square",
    "pipedrive/deals-export.csv": "pipedrive",
    "salesforce/report1711900000000.csv": "salesforce",
    "sendgrid/single_sends_stats.csv": "sendgrid",
    "sendgrid/global_stats.csv": "sendgrid",
    "constant_contact/email_performance_report.csv": "constant_contact",
    "linkedin_ads/campaign_performance_report.csv": "linkedin_ads",
    "x_ads/campaign_export.csv": "x_ads",
    "mixpanel/events_export.csv": "mixpanel",
    "amplitude/event_segmentation_uniques.csv": "amplitude",
}


def test_con1101_file_sources():
    assert registry.FILE_SOURCES == (
        "stripe",
        "paypal",
        "shopify",
        "gumroad",
        "mailchimp",
        "google_ads",
        "meta_ads",
        "ga4",
        "hubspot",
        "square",
        "pipedrive",
        "salesforce",
        "sendgrid",
        "constant_contact",
        "linkedin_ads",
        "x_ads",
        "mixpanel",
        "amplitude",
        "generic",
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_con1102_detects_by_content_under_misleading_names(name, tmp_path):
    # every file is renamed to look like some other vendor's export
    decoy = tmp_path / ("stripe_unified_payments.csv" if EXPECTED[name] != "stripe" else "Download.CSV")
    shutil.copy(FIXTURES / name, decoy)
    assert registry.detect(decoy) == EXPECTED[name]


def test_con1103_unknown_file_raises_listing_known_formats(tmp_path):
    path = tmp_path / "stripe.csv"
    path.write_text("foo,bar,baz\n1,2,3\n", encoding="utf-8")
    with pytest.raises(UnrecognisedFile) as exc:
        registry.detect(path)
    msg = str(exc.value)
    assert msg.startswith("stripe.csv: not a recognised export; expected one of:")
    for label in (
        "Stripe payments (id, Created date (UTC), Amount",
        "PayPal",
        "Google Ads",
        "GA4",
        "HubSpot",
    ):
        assert label in msg


def test_con1104_generic_is_never_auto_detected(tmp_path):
    with pytest.raises(UnrecognisedFile):
        registry.detect(FIXTURES / "generic_sales.csv")


def test_con1105_explicit_source_must_match_content():
    with pytest.raises(UnrecognisedFile, match="does not look like paypal"):
        parse("hubspot_deals.csv", "paypal")
    assert parse("hubspot_deals.csv", "hubspot").source == "hubspot"


def test_con1106_empty_file_refused(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    with pytest.raises(UnrecognisedFile, match="empty"):
        registry.detect(path)
