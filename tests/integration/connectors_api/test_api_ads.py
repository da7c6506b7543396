"""Google Ads and Meta Ads connectors against their fakes: streams, cursors, micros, strings, lookback."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api._keys import ad_daily_id
from data.connectors.api.google_ads import GoogleAdsConnector
from data.connectors.api.meta_ads import MetaAdsConnector
from tests.fakes.google_ads import FakeGoogleAds, ads_row
from tests.fakes.meta import FakeMeta, insight

# ---------------------------------------------------------------------------------------------- Google Ads


@pytest.fixture
def gads():
    with FakeGoogleAds(batch_size=2) as fake:
        fake.rows = [
            ads_row("111", "Brand", "2024-01-15", impressions="1356884", clicks="1200", costMicros="199421150000",
                    conversions=12.5, conversionsValue=1234.567),
            ads_row("111", "Brand", "2024-01-16", impressions="10"),  # no clicks/cost: proto3 omits zeros
            ads_row("222", "Généric ☂", "2024-01-16", impressions="5", clicks="1", costMicros="990000"),
            ads_row("222", "Généric ☂", "2024-05-01", costMicros="1"),
            ads_row("333", "Old", "2023-06-01", costMicros="1000000"),
        ]  # fmt: skip
        yield fake


def google_credentials(fake: FakeGoogleAds, **override) -> dict[str, str]:
    return {
        "customer_id": "123-456-7890",
        "developer_token": fake.developer_token,
        **fake.credentials(),
        **override,
    }


@pytest.fixture
def gconnector(gads, client, sleeps):
    return GoogleAdsConnector(google_credentials(gads), base_url=gads.url, client=client, sleep=sleeps.append)


def test_api050_google_ads_stream_batches_map_micros_and_int64_strings(gads, gconnector, drain, rows):
    chunks, state = drain(gconnector, {}, SyncOptions(start=dt.date(2024, 1, 1), end=dt.date(2024, 5, 31)))
    token, *streams = gads.requests
    assert token.path == "/token" and token.form()["grant_type"] == "refresh_token"
    assert [s.path for s in streams] == ["/v20/customers/1234567890/googleAds:searchStream"] * 2
    assert all(
        s.bearer() == gads.access_token and s.headers["developer-token"] == gads.developer_token
        for s in streams
    )
    queries = [s.json()["query"] for s in streams]
    assert "FROM campaign" in queries[0]
    # 152 days in 90-day windows
    assert "BETWEEN '2024-01-01' AND '2024-03-30'" in queries[0]
    assert "BETWEEN '2024-03-31' AND '2024-05-31'" in queries[1]
    assert len(chunks["ad_daily"]) == 3  # one per streamed batch: [2 rows, 1 row] + [1 row]

    got = rows(chunks["ad_daily"])
    first = got[0]
    assert first == {
        "source": "google_ads",
        "source_id": hashlib.sha256(b"google_ads|111|2024-01-15").hexdigest()[:32],  # = the file parser id
        "date": dt.date(2024, 1, 15),
        "platform": "google_ads",
        "campaign_id": "111",
        "campaign": "Brand",
        "spend": Decimal("199421.15"),
        "currency": "EUR",
        "spend_reporting": None,
        "impressions": 1356884,
        "clicks": 1200,
        "conversions": 12.5,
        "conversion_value": Decimal("1234.567"),  # kept as given (PRECISE_MONEY)
        "conversion_value_reporting": None,
    }
    zeros = got[1]
    assert (zeros["spend"], zeros["clicks"], zeros["conversions"], zeros["impressions"]) == (
        Decimal("0.00"),
        0,
        0.0,
        10,
    )
    assert got[2]["campaign"] == "Généric ☂" and got[2]["spend"] == Decimal("0.99")
    assert got[3]["spend"] == Decimal("0.000001")  # 1 micro is kept, not rounded to zero cents
    assert state == {"last_date": "2024-05-31"}


def test_api051_google_ads_resume_refetches_lookback_days(gads, gconnector, drain):
    drain(gconnector, {"last_date": "2024-05-01"}, SyncOptions(end=dt.date(2024, 5, 10), lookback_days=3))
    query = gads.requests[-1].json()["query"]
    assert "BETWEEN '2024-04-28' AND '2024-05-10'" in query
    assert gconnector.new_state == {"last_date": "2024-05-10"}


def test_api052_google_ads_revoked_refresh_token_is_an_auth_error(gads, client, sleeps):
    creds = google_credentials(gads, refresh_token="1//revoked-refresh-token")
    connector = GoogleAdsConnector(creds, base_url=gads.url, client=client, sleep=sleeps.append)
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    message = str(info.value)
    assert message.startswith("Google rejected the OAuth refresh token or client (400)")
    assert "Token has been expired or revoked" in message
    assert "1//revoked-refresh-token" not in message and gads.client_secret not in message


def test_api053_google_ads_wrong_developer_token_is_an_auth_error(gads, client, sleeps):
    creds = google_credentials(gads, developer_token="devtok-WRONGWRONG000")
    connector = GoogleAdsConnector(creds, base_url=gads.url, client=client, sleep=sleeps.append)
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    assert str(info.value).startswith("Google Ads rejected the credentials (401)")
    assert "devtok-WRONGWRONG000" not in str(info.value)
    assert gads.access_token not in str(info.value)


def test_api054_google_ads_test_connection_and_customer_id_validation(gconnector, gads):
    assert gconnector.test_connection() == "Connected to Google Ads account Acme Ads (EUR)."
    assert gads.requests[-1].headers.get("login-customer-id") is None
    with pytest.raises(AuthError):
        GoogleAdsConnector(google_credentials(gads, customer_id="123/../456"))


# ---------------------------------------------------------------------------------------------- Meta Ads


@pytest.fixture
def meta():
    with FakeMeta() as fake:
        fake.rows = [
            insight("9001", "Spring", "2024-03-01", spend="12.345678", impressions="1000", clicks="25",
                    actions={"link_click": "20", "purchase": "3", "offsite_conversion.fb_pixel_purchase": "3"},
                    action_values={"purchase": "149.70", "offsite_conversion.fb_pixel_purchase": "149.70"}),
            insight("9002", "Pixel only", "2024-03-01", spend="5",
                    actions={"offsite_conversion.fb_pixel_purchase": "2"},
                    action_values={"offsite_conversion.fb_pixel_purchase": "40.5"}),
            insight("9001", "Spring", "2024-03-02", spend="0.004"),
            insight("9002", "Pixel only", "2024-03-02"),
            insight("9003", "Later", "2024-04-15", spend="1.00"),
        ]  # fmt: skip
        yield fake


@pytest.fixture
def mconnector(meta, client, sleeps):
    creds = {"ad_account_id": f"act_{meta.ad_account}", "access_token": meta.token}
    return MetaAdsConnector(creds, base_url=meta.url, client=client, sleep=sleeps.append)


def test_api060_meta_insights_follow_cursors_and_map_strings(meta, mconnector, drain, rows):
    options = SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 20), page_size=2)
    chunks, state = drain(mconnector, {}, options)
    calls = [r for r in meta.requests if r.path.endswith("/insights")]
    # window 1 (Mar 1-30): 4 rows in pages of 2 -> 2 calls; window 2 (Mar 31-Apr 20): 1 row -> 1 call
    assert [json.loads(r.param("time_range")) for r in calls] == [
        {"since": "2024-03-01", "until": "2024-03-30"},
        {"since": "2024-03-01", "until": "2024-03-30"},
        {"since": "2024-03-31", "until": "2024-04-20"},
    ]
    assert (
        calls[0].param("after") is None
        and calls[1].param("after") is not None
        and calls[2].param("after") is None
    )
    assert all(r.param("level") == "campaign" and r.param("time_increment") == "1" for r in calls)
    assert all(
        r.param("access_token") is None and r.bearer() == meta.token for r in calls
    )  # token never in a URL

    got = {(r["campaign_id"], r["date"]): r for r in rows(chunks["ad_daily"])}
    assert len(got) == 5
    spring = got[("9001", dt.date(2024, 3, 1))]
    assert (spring["spend"], spring["impressions"], spring["clicks"]) == (
        Decimal("12.345678"),
        1000,
        25,
    )  # Meta's decimals kept
    # "purchase" already includes the pixel purchases: counted once, not 6
    assert (spring["conversions"], spring["conversion_value"]) == (3.0, Decimal("149.70"))
    assert spring["source_id"] == ad_daily_id("meta_ads", "9001", "Spring", dt.date(2024, 3, 1))
    assert spring["platform"] == "meta_ads" and spring["currency"] == "USD" and spring["source"] == "meta_ads"
    pixel = got[("9002", dt.date(2024, 3, 1))]
    assert (pixel["conversions"], pixel["conversion_value"]) == (2.0, Decimal("40.50"))
    empty = got[("9002", dt.date(2024, 3, 2))]
    assert (empty["spend"], empty["conversions"], empty["conversion_value"]) == (
        Decimal("0.00"),
        0.0,
        Decimal("0.00"),
    )
    assert state == {"last_date": "2024-04-20"}


def test_api061_meta_resume_refetches_lookback_days(meta, mconnector, drain):
    drain(mconnector, {"last_date": "2024-04-15"}, SyncOptions(end=dt.date(2024, 4, 20), lookback_days=5))
    assert json.loads(meta.requests[0].param("time_range")) == {"since": "2024-04-10", "until": "2024-04-20"}


def test_api062_meta_invalid_token_400_code_190_is_an_auth_error(meta, client, sleeps):
    creds = {"ad_account_id": meta.ad_account, "access_token": "EAAGexpiredtoken0000000000"}
    connector = MetaAdsConnector(creds, base_url=meta.url, client=client, sleep=sleeps.append)
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    assert str(info.value).startswith(
        "Meta Ads rejected the access token (400): check the access token in Data sources."
    )
    assert "EAAGexpiredtoken0000000000" not in str(info.value) and sleeps == []


def test_api063_meta_throttling_code_is_retried(meta, mconnector, sleeps):
    meta.fail_next(
        400, {"error": {"message": "User request limit reached", "type": "OAuthException", "code": 17}}
    )
    assert mconnector.test_connection() == "Connected to Meta ad account Acme Meta (USD)."
    assert len(sleeps) == 1
