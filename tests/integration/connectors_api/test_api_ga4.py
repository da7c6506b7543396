"""GA4 connector against the fake Data API: limit/offset paging with rowCount, strings -> numbers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api._keys import web_daily_id
from data.connectors.api.ga4 import Ga4Connector
from tests.fakes.ga4 import FakeGa4


def ga4_row(date, channel, source, medium, sessions, users, new, key_events, revenue):
    return {
        "date": date,
        "sessionDefaultChannelGroup": channel,
        "sessionSource": source,
        "sessionMedium": medium,
        "sessions": sessions,
        "totalUsers": users,
        "newUsers": new,
        "keyEvents": key_events,
        "totalRevenue": revenue,
    }


@pytest.fixture
def api():
    with FakeGa4() as fake:
        fake.rows = [
            ga4_row("20240301", "Organic Search", "google", "organic", "120", "100", "60", "4.5", "399.999"),
            ga4_row("20240301", "Direct", "(direct)", "(none)", "50", "45", "20", "0", "0"),
            ga4_row("20240302", "Paid Social", "facebook", "cpc", "30", "28", "25", "1", "19.9"),
            ga4_row("20240302", "Email", "newsletter", "email", "12", "11", "2", "0", "0"),
            ga4_row("20240303", "Unassigned", "(not set)", "(not set)", "1", "1", "1", "0", "0"),
        ]
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    creds = {"property_id": api.property_id, **api.credentials()}
    return Ga4Connector(creds, base_url=api.url, client=client, sleep=sleeps.append)


def test_api070_run_report_pages_by_offset_until_row_count(api, connector, drain, rows):
    chunks, state = drain(
        connector, {}, SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31), page_size=2)
    )
    reports = [r for r in api.requests if r.path.endswith(":runReport")]
    assert [(r.json()["limit"], r.json()["offset"]) for r in reports] == [("2", "0"), ("2", "2"), ("2", "4")]
    body = reports[0].json()
    assert body["dateRanges"] == [{"startDate": "2024-03-01", "endDate": "2024-03-31"}]
    assert [d["name"] for d in body["dimensions"]] == [
        "date",
        "sessionDefaultChannelGroup",
        "sessionSource",
        "sessionMedium",
    ]
    assert [m["name"] for m in body["metrics"]] == [
        "sessions",
        "totalUsers",
        "newUsers",
        "keyEvents",
        "totalRevenue",
    ]
    assert all(r.bearer() == api.access_token for r in reports)

    got = rows(chunks["web_daily"])
    assert len(got) == 5
    organic = next(r for r in got if r["channel"] == "Organic Search")
    assert organic == {
        "source": "ga4",
        "source_id": web_daily_id(dt.date(2024, 3, 1), "Organic Search", "google", "organic"),
        "date": dt.date(2024, 3, 1),
        "channel": "Organic Search",
        "source_name": "google",
        "medium": "organic",
        "sessions": 120,
        "users": 100,
        "new_users": 60,
        "key_events": 4.5,
        "revenue": Decimal("400.00"),
        "currency": "GBP",
        "revenue_reporting": None,
    }
    assert state == {"last_date": "2024-03-31"}


def test_api071_empty_report_ends_after_one_request(api, connector, drain):
    chunks, state = drain(connector, {}, SyncOptions(start=dt.date(2023, 1, 1), end=dt.date(2023, 1, 31)))
    assert chunks == {} and state == {"last_date": "2023-01-31"}
    assert len([r for r in api.requests if r.path.endswith(":runReport")]) == 1


def test_api072_resume_refetches_lookback_days(api, connector, drain):
    drain(connector, {"last_date": "2024-03-02"}, SyncOptions(end=dt.date(2024, 3, 3)))
    body = api.requests[-1].json()
    assert body["dateRanges"] == [{"startDate": "2024-02-28", "endDate": "2024-03-03"}]


def test_api073_bad_access_token_is_an_auth_error(api, client, sleeps):
    creds = {"property_id": api.property_id, "access_token": "ya29.expired-token-000000"}
    connector = Ga4Connector(creds, base_url=api.url, client=client, sleep=sleeps.append)
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    assert str(info.value).startswith("Google Analytics rejected the credentials (401)")
    assert "ya29.expired-token-000000" not in str(info.value)


def test_api074_missing_google_credentials_are_refused_up_front():
    with pytest.raises(AuthError) as info:
        Ga4Connector({"property_id": "123"})
    assert "connect a Google account" in str(info.value)


# -- service accounts (JWT bearer grant) ------------------------------------------------------


def _service_account(email: str = "pulseboard@acme-analytics.iam.gserviceaccount.com"):
    """A freshly generated key in Google's JSON key-file layout, and its public half."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "acme-analytics",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": email,
        "client_id": "123456789012345678901",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return json.dumps(info, indent=2), key.public_key()


def test_api076_service_account_key_gets_a_token_by_signed_jwt(api, client, sleeps, drain, rows):
    from data.connectors.api.ga4 import SCOPE

    text, public = _service_account()
    api.add_service_account("pulseboard@acme-analytics.iam.gserviceaccount.com", public, SCOPE)
    creds = {"property_id": api.property_id, "service_account_key": text}
    connector = Ga4Connector(creds, base_url=api.url, client=client, sleep=sleeps.append)
    chunks, _ = drain(connector, {}, SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31)))
    assert len(rows(chunks["web_daily"])) == 5
    grants = [r.form() for r in api.requests if r.path == "/token"]
    assert len(grants) == 1  # one token for the whole sync
    assert grants[0]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    reports = [r for r in api.requests if r.path.endswith(":runReport")]
    assert all(r.bearer() == api.access_token for r in reports)


def test_api077_a_key_google_does_not_know_is_a_clear_auth_error(api, client, sleeps):
    from data.connectors.api.ga4 import SCOPE

    text, _ = _service_account()
    _, other_public = _service_account()
    api.add_service_account("pulseboard@acme-analytics.iam.gserviceaccount.com", other_public, SCOPE)
    creds = {"property_id": api.property_id, "service_account_key": text}
    connector = Ga4Connector(creds, base_url=api.url, client=client, sleep=sleeps.append)
    with pytest.raises(AuthError) as err:
        connector.test_connection()
    message = str(err.value)
    assert (
        "pulseboard@acme-analytics.iam.gserviceaccount.com" in message and "Invalid JWT Signature" in message
    )
    assert "PRIVATE KEY" not in message


@pytest.mark.parametrize(
    "key_text, reason",
    [
        ("{not json", "not valid JSON"),
        ('{"type": "authorized_user"}', "not a service account key"),
        ('{"type": "service_account", "client_email": "a@b.c"}', "no private_key"),
        ('{"type": "service_account", "client_email": "a@b.c", "private_key": "garbage"}', "cannot be read"),
    ],
)
def test_api078_malformed_service_account_keys_say_what_is_wrong(api, client, key_text, reason):
    with pytest.raises(AuthError, match=reason):
        Ga4Connector(
            {"property_id": api.property_id, "service_account_key": key_text}, base_url=api.url, client=client
        )
