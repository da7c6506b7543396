"""Shared HTTP machinery: retries, Retry-After, time-outs, error mapping, secret masking."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import httpx
import pytest

from data.connectors.api import AuthError, ConnectorError, RetryPolicy, make_client
from data.connectors.api.http import HttpClient, mask, parse_retry_after
from data.connectors.api.stripe import StripeConnector
from tests.fakes._base import FakeServer, Reply
from tests.fakes.stripe import FakeStripe

KEY = "sk_test_51FakeKeyForTests0000"


@pytest.fixture
def stripe_api():
    with FakeStripe(api_key=KEY) as api:
        yield api


def stripe(api, client, sleeps, **kwargs):
    return StripeConnector(
        {"secret_key": KEY}, base_url=api.url, client=client, sleep=sleeps.append, **kwargs
    )


def test_api001_429_with_retry_after_seconds_is_honoured(stripe_api, client, sleeps):
    stripe_api.fail_next(429, {"error": {"message": "Too many requests"}}, headers={"Retry-After": "7"})
    assert stripe(stripe_api, client, sleeps).test_connection() == "Connected to Stripe (test mode)."
    assert sleeps == [7.0]
    assert len(stripe_api.requests) == 2


def test_api002_429_with_retry_after_http_date_is_honoured(stripe_api, client, sleeps):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    stripe_api.fail_next(429, {}, headers={"Retry-After": email.utils.format_datetime(when, usegmt=True)})
    stripe(stripe_api, client, sleeps).test_connection()
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_api003_503_then_success_backs_off_with_jitter(stripe_api, client, sleeps):
    stripe_api.fail_next(503, {"error": {"message": "Service unavailable"}}, times=2)
    stripe(stripe_api, client, sleeps).test_connection()
    # base 1 s: first retry waits 0.5-1 s, second 1-2 s (half fixed, half random)
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    assert len(stripe_api.requests) == 3


def test_api004_time_out_then_success(stripe_api, sleeps):
    stripe_api.stall_next(1.0)
    with make_client(timeout=httpx.Timeout(0.2)) as short:
        assert stripe(stripe_api, short, sleeps).test_connection().startswith("Connected to Stripe")
    assert len(sleeps) == 1
    assert len(stripe_api.requests) == 2


def test_api005_gives_up_after_max_attempts_with_a_clear_message(stripe_api, client, sleeps):
    stripe_api.fail_next(503, {}, times=10)
    connector = stripe(stripe_api, client, sleeps, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(ConnectorError) as info:
        connector.test_connection()
    assert not isinstance(info.value, AuthError)
    assert str(info.value) == "Stripe API still failing after 3 attempts (HTTP 503 on /v1/charges)."
    assert len(stripe_api.requests) == 3 and len(sleeps) == 2


def test_api006_retry_after_beyond_the_limit_fails_instead_of_sleeping(stripe_api, client, sleeps):
    stripe_api.fail_next(429, {}, headers={"Retry-After": "3600"})
    with pytest.raises(ConnectorError) as info:
        stripe(stripe_api, client, sleeps).test_connection()
    assert info.value.retry_after == 3600 and "wait 3600 s" in str(info.value)
    assert sleeps == []


def test_api007_client_errors_are_not_retried_and_carry_the_vendor_message(stripe_api, client, sleeps):
    stripe_api.fail_next(
        400, {"error": {"type": "invalid_request_error", "message": "Invalid currency: xxx"}}
    )
    with pytest.raises(ConnectorError) as info:
        stripe(stripe_api, client, sleeps).test_connection()
    assert str(info.value) == "Stripe API error 400 on /v1/charges: Invalid currency: xxx"
    assert info.value.status == 400 and sleeps == [] and len(stripe_api.requests) == 1


def test_api008_auth_error_is_clear_and_never_contains_the_secret(stripe_api, client, sleeps):
    wrong = "sk_live_51WrongKeyWrongKeyWrong9999"
    connector = StripeConnector(
        {"secret_key": wrong}, base_url=stripe_api.url, client=client, sleep=sleeps.append
    )
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    message = str(info.value)
    assert message.startswith("Stripe rejected the API key (401): check the secret key in Data sources.")
    assert wrong not in message and wrong not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert wrong not in repr(connector) and "sk_…9999" in repr(connector)
    assert sleeps == []


def test_api009_echoed_secrets_are_masked_in_errors(client, sleeps):
    secret = "pat-na1-topsecret-0123456789"
    with FakeServer() as server:
        server.route(
            "GET", "/echo", lambda r: Reply(400, {"message": f"bad token {secret} and {r.bearer()}"})
        )
        http = HttpClient("HubSpot", client=client, secrets=[secret], sleep=sleeps.append)
        with pytest.raises(ConnectorError) as info:
            http.get_json(f"{server.url}/echo", headers={"Authorization": f"Bearer {secret}"})
    assert secret not in str(info.value)
    assert mask(secret) in str(info.value)


def test_api010_retry_after_parsing_and_backoff_bounds():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    date = email.utils.format_datetime(now + dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(date, now=now.timestamp()) == 90.0
    policy = RetryPolicy(base_delay=2, max_delay=10)
    rng = random.Random(1)
    for attempt, (low, high) in enumerate([(1, 2), (2, 4), (4, 8), (5, 10), (5, 10)], start=1):
        assert low <= policy.backoff(attempt, rng) <= high


def test_api011_network_failure_is_retried_then_reported_without_the_url_query(sleeps):
    # Port 9 on loopback: nothing listens, the connection is refused.
    with make_client(timeout=httpx.Timeout(1.0)) as c:
        http = HttpClient("Stripe", client=c, sleep=sleeps.append, retry=RetryPolicy(max_attempts=2))
        with pytest.raises(ConnectorError) as info:
            http.get_json("http://127.0.0.1:9/v1/charges", params={"key": "secret-in-query"})
    assert "network error (ConnectError)" in str(info.value)
    assert "secret-in-query" not in str(info.value)
    assert len(sleeps) == 1
