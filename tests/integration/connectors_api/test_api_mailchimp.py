"""Mailchimp connector against the fake Mailchimp API: data centre, count/offset paging, since_send_time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api.mailchimp import REFRESH_DAYS, MailchimpConnector
from tests.fakes.mailchimp import FakeMailchimp, report

KEY = "0123456789abcdef0123456789abcdef-us21"


@pytest.fixture
def api():
    with FakeMailchimp(api_key=KEY) as fake:
        fake.reports = [
            report("c1", "2024-05-01T09:30:00+00:00", title="May", emails_sent=1000, hard=10, soft=5,
                   unique_opens=400, opens_total=650, unique_clicks=50, clicks_total=80, unsubscribed=3,
                   abuse_reports=2, revenue=123.456, currency="EUR"),
            report("c2", "2024-05-08T21:30:00+02:00", title="Promo"),
            report("c3", "2024-05-15T09:30:00Z"),
            report("c4", "2024-05-22T09:30:00Z"),
            report("c5", "2024-05-29T09:30:00Z", emails_sent=0),
        ]  # fmt: skip
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    return MailchimpConnector({"api_key": KEY}, base_url=f"{api.url}/3.0", client=client, sleep=sleeps.append)


def test_api030_base_url_comes_from_the_keys_data_centre():
    assert MailchimpConnector({"api_key": KEY}).base_url == "https://us21.api.mailchimp.com/3.0"
    # A "data centre" that is really a host name must not redirect the key elsewhere.
    for bad in ("0123456789abcdef", "0123-evil.example.com/x", "0123-us21.evil"):
        with pytest.raises(AuthError) as info:
            MailchimpConnector({"api_key": bad})
        assert "data centre like '-us21'" in str(info.value) and bad not in str(info.value)


def test_api031_pages_with_count_offset_and_maps_counts(api, connector, drain, rows):
    chunks, state = drain(connector, {}, SyncOptions(start=dt.date(2024, 1, 1), page_size=2))
    requests = [r for r in api.requests if r.path == "/3.0/reports"]
    assert [(r.param("count"), r.param("offset")) for r in requests] == [("2", "0"), ("2", "2"), ("2", "4")]
    assert requests[0].param("since_send_time") == "2024-01-01T00:00:00+00:00"
    assert requests[0].basic_auth() == ("anystring", KEY)
    got = {r["source_id"]: r for r in rows(chunks["email_campaigns"])}
    assert list(got) == ["c1", "c2", "c3", "c4", "c5"]
    may = got["c1"]
    assert may == {
        "source": "mailchimp",
        "source_id": "c1",
        "sent_at": dt.datetime(2024, 5, 1, 9, 30),
        "title": "May",
        "subject": "May subject",
        "list_name": "Customers",
        "recipients": 1000,
        "delivered": 985,
        "opens": 650,
        "unique_opens": 400,
        "clicks": 80,
        "unique_clicks": 50,
        "unsubscribes": 3,
        "bounces": 15,
        "complaints": 2,  # abuse_reports
        "revenue": Decimal("123.46"),
        "currency": "EUR",
        "revenue_reporting": None,
    }
    assert got["c2"]["complaints"] == 0
    assert got["c2"]["sent_at"] == dt.datetime(2024, 5, 8, 19, 30)  # +02:00 -> UTC
    assert state == {"last_send_time": "2024-05-29T09:30:00+00:00"}


def test_api032_incremental_resume_refetches_the_refresh_window(api, connector, drain):
    drain(connector, {"last_send_time": "2024-05-29T09:30:00+00:00"}, SyncOptions())
    since = dt.datetime(2024, 5, 29, 9, 30, tzinfo=dt.UTC) - dt.timedelta(days=REFRESH_DAYS)
    assert api.requests[0].param("since_send_time") == since.isoformat()
    assert connector.new_state == {"last_send_time": "2024-05-29T09:30:00+00:00"}


def test_api033_wrong_key_raises_auth_error_without_the_key(api, client, sleeps):
    wrong = "ffffffffffffffffffffffffffffffff-us21"
    connector = MailchimpConnector(
        {"api_key": wrong}, base_url=f"{api.url}/3.0", client=client, sleep=sleeps.append
    )
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    assert str(info.value).startswith(
        "Mailchimp rejected the API key (401): check the API key in Data sources."
    )
    assert "wrong datacenter" in str(info.value)
    assert wrong not in str(info.value) and wrong not in repr(connector)


def test_api034_test_connection_names_the_account(connector):
    assert connector.test_connection() == "Connected to Mailchimp account Acme Studio."
