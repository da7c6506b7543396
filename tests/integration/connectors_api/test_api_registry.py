"""The common interface: registry, credential fields, masking, shared source_id keys, options."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import polars as pl
import pytest

from data.connectors.api import API_CONNECTORS, ApiConnector, AuthError, SyncOptions
from data.connectors.api._keys import ad_daily_id, email_hash, natural_key_id, natural_key_ids, web_daily_id
from data.connectors.api.connector import date_window, split_range
from data.connectors.api.stripe import StripeConnector
from data.schema import TABLES
from tests.fakes.stripe import FakeStripe

DUMMY = {
    "stripe": {"secret_key": "sk_live_0123456789abcdefSECRET"},
    "mailchimp": {"api_key": "0123456789abcdefSECRETSECRET-us21"},
    "hubspot": {"access_token": "pat-na1-0123456789-SECRET"},
    "google_ads": {
        "customer_id": "1234567890",
        "developer_token": "devtok-0123456789SECRET",
        "access_token": "ya29.0123456789SECRET",
    },
    "meta_ads": {"ad_account_id": "42", "access_token": "EAAG0123456789SECRET"},
    "square": {"access_token": "EAAAl0123456789SECRET"},
    "shopify": {"shop": "acme.myshopify.com", "access_token": "shpat_0123456789SECRET"},
    "paypal": {"client_id": "AcLIENT0123", "client_secret": "E0123456789SECRET"},
    "ga4": {
        "property_id": "42",
        "refresh_token": "1//0123456789SECRET",
        "client_id": "c",
        "client_secret": "GOCSPX-SECRET1",
    },
}


def test_api080_registry_lists_every_connector_with_a_complete_interface():
    assert set(API_CONNECTORS) == {
        "stripe",
        "mailchimp",
        "hubspot",
        "google_ads",
        "meta_ads",
        "ga4",
        "square",
        "shopify",
        "paypal",
    }
    for source, cls in API_CONNECTORS.items():
        assert issubclass(cls, ApiConnector) and source == cls.SOURCE and cls.__doc__
        assert cls.CREDENTIAL_FIELDS and all(f.label and f.name for f in cls.CREDENTIAL_FIELDS)
        assert set(cls.TABLES) <= set(TABLES)
        connector = cls(DUMMY[source])
        try:
            shown = repr(connector)
            for field in cls.CREDENTIAL_FIELDS:
                value = DUMMY[source].get(field.name)
                if value and field.secret:
                    assert value not in shown, (source, field.name)
            assert "SECRET" not in shown
        finally:
            connector.close()


def test_api081_missing_credentials_name_the_field():
    with pytest.raises(AuthError) as info:
        StripeConnector({})
    assert str(info.value) == "Stripe: Secret key missing: enter it in Data sources."


def test_api082_shared_keys_are_the_documented_hashes():
    day = dt.date(2024, 1, 15)
    assert (
        ad_daily_id("google_ads", "123", "Brand", day)
        == hashlib.sha256(b"google_ads|123|2024-01-15").hexdigest()[:32]
    )
    assert (
        ad_daily_id("meta_ads", None, " Brand ", day)
        == hashlib.sha256(b"meta_ads|Brand|2024-01-15").hexdigest()[:32]
    )
    assert (
        web_daily_id(day, "Direct", None, "(none)")
        == hashlib.sha256(b"2024-01-15|Direct||(none)").hexdigest()[:32]
    )
    assert email_hash(" Ann@Example.COM ") == hashlib.sha256(b"ann@example.com").hexdigest()
    assert email_hash("  ") is None and email_hash(None) is None
    vectorised = natural_key_ids(
        pl.Series(["google_ads", "google_ads"]),
        pl.Series(["123", None]),
        pl.Series(["2024-01-15", "2024-01-15"]),
    )
    assert vectorised.to_list() == [
        natural_key_id("google_ads", "123", day),
        natural_key_id("google_ads", None, day),
    ]


def test_api083_sync_options_windows():
    options = SyncOptions(end=dt.date(2024, 6, 30))
    assert date_window({}, options) == (dt.date(2022, 7, 1), dt.date(2024, 6, 30))  # two years back
    assert date_window({"last_date": "2024-06-29"}, options) == (dt.date(2024, 6, 26), dt.date(2024, 6, 30))
    assert list(split_range(dt.date(2024, 1, 1), dt.date(2024, 1, 5), 2)) == [
        (dt.date(2024, 1, 1), dt.date(2024, 1, 2)),
        (dt.date(2024, 1, 3), dt.date(2024, 1, 4)),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
    ]
    assert SyncOptions(page_size=5000).page(100, 100) == 100 and SyncOptions().page(200, 1000) == 200


def test_api084_retry_logs_never_contain_the_secret(client, sleeps, caplog):
    key = "sk_test_51LogCheckSecret00000"
    with FakeStripe(api_key=key) as api:
        api.fail_next(503, {"error": {"message": f"upstream hiccup for {key}"}}, times=2)
        connector = StripeConnector({"secret_key": key}, base_url=api.url, client=client, sleep=sleeps.append)
        with caplog.at_level(logging.DEBUG):
            connector.test_connection()
    assert len(sleeps) == 2
    assert "retry 1/4" in caplog.text and key not in caplog.text
