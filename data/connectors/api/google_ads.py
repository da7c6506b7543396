"""Google Ads API connector (REST): ``googleAds:searchStream`` with a GAQL ``FROM campaign`` query -> ad_daily.

Auth: OAuth bearer token plus the ``developer-token`` header (and ``login-customer-id`` when
the account is reached through a manager account). The REST answer of searchStream is a JSON
ARRAY of batches ``[{"results": [...], "fieldMask": ..., "requestId": ...}, ...]``; fields are
camelCase, int64 values are strings, and proto3 JSON leaves out zero values (a campaign-day with
no clicks has no ``clicks`` key). Cost is in micros (divide by 1e6); dates are in the account's
time zone.

Incremental sync (state)::

    {"last_date": "2024-06-09"}   # last day fetched

Each sync re-fetches from ``last_date - lookback_days`` because Google revises recent days
(conversions arrive late). Ranges are fetched in WINDOW_DAYS windows to bound each answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from data.connectors.base import Chunk

from ._google import OAUTH_FIELDS, TOKEN_URL, GoogleAuth
from ._keys import ad_daily_id
from ._values import (
    ChunkBuilder,
    currency_code,
    dig,
    field,
    micros_to_major,
    precise_money,
    text,
    to_date,
    to_float,
    to_int,
)
from .connector import ApiConnector, CredentialField, SyncOptions, date_window, split_range
from .http import AuthError, ConnectorError

API_VERSION = "v20"
WINDOW_DAYS = 90
PLATFORM = "google_ads"

CAMPAIGN_QUERY = (
    "SELECT campaign.id, campaign.name, customer.currency_code, segments.date, metrics.impressions, "
    "metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value "
    "FROM campaign WHERE segments.date BETWEEN '{start}' AND '{end}' ORDER BY segments.date"
)
ACCOUNT_QUERY = "SELECT customer.id, customer.descriptive_name, customer.currency_code FROM customer LIMIT 1"


class GoogleAdsConnector(ApiConnector):
    """Google Ads: campaign x day rows for one customer (ad account)."""

    SOURCE = "google_ads"
    LABEL = "Google Ads"
    DEFAULT_BASE_URL = "https://googleads.googleapis.com"
    AUTH_HINT = ("credentials", "Google account connection and developer token")
    TABLES = ("ad_daily",)
    ACCOUNT_FIELDS = ("customer_id",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "customer_id", "Customer ID", secret=False, help="The ad account, e.g. 123-456-7890."
        ),
        CredentialField(
            "developer_token",
            "Developer token",
            secret=True,
            help="Google Ads → Tools → API Center (manager account).",
        ),
        CredentialField(
            "login_customer_id",
            "Manager account ID",
            secret=False,
            required=False,
            help="Only when access goes through a manager (MCC) account.",
        ),
        *OAUTH_FIELDS,
    )

    def __init__(self, credentials: Mapping[str, str], **kwargs: Any):
        super().__init__(credentials, **kwargs)
        self.customer_id = _digits(self.credentials["customer_id"], "Customer ID")
        self.login_customer_id = (
            _digits(self.credentials["login_customer_id"], "Manager account ID")
            if "login_customer_id" in self.credentials
            else None
        )
        # Tests point base_url at a fake server that also plays Google's token endpoint.
        token_url = f"{self.base_url}/token" if self.base_url_overridden else TOKEN_URL
        self.google = GoogleAuth(self.http, self.credentials, self.LABEL, token_url)

    def auth_headers(self) -> dict[str, str]:
        """Bearer token + developer token (+ manager account)."""
        headers = {
            "Authorization": self.google.header(),
            "developer-token": self.credentials["developer_token"],
        }
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id
        return headers

    def search_stream(self, query: str) -> list[dict]:
        """Run one GAQL query; the list of streamed batches."""
        url = self.url(f"/{API_VERSION}/customers/{self.customer_id}/googleAds:searchStream")
        body = self.http.post_json(url, json={"query": query}, headers=self.auth_headers())
        batches = body if isinstance(body, list) else [body]
        for batch in batches:
            # A stream that fails midway ends with an error object instead of results.
            if isinstance(batch, dict) and "error" in batch:
                message = self.http.redact(str(dig(batch, "error", "message") or batch["error"]))
                if dig(batch, "error", "code") in (401, 403):
                    raise AuthError(
                        f"Google Ads rejected the request: {message}", status=dig(batch, "error", "code")
                    )
                raise ConnectorError(f"Google Ads query failed: {message}")
        return batches

    def test_connection(self) -> str:
        """Read the account's name and currency."""
        batches = self.search_stream(ACCOUNT_QUERY)
        for batch in batches:
            for row in batch.get("results") or []:
                name = dig(row, "customer", "descriptiveName") or self.customer_id
                return (
                    f"Connected to Google Ads account {name} ({dig(row, 'customer', 'currencyCode') or '?'})."
                )
        return f"Connected to Google Ads account {self.customer_id}."

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield ad_daily chunks, one per streamed batch."""
        self.new_state = dict(state)
        start, end = date_window(state, options)
        builder = ChunkBuilder("ad_daily", self.SOURCE)
        for window_start, window_end in split_range(start, end, WINDOW_DAYS):
            query = CAMPAIGN_QUERY.format(start=window_start.isoformat(), end=window_end.isoformat())
            for batch in self.search_stream(query):
                for row in batch.get("results") or []:
                    builder.add(dig(row, "campaign", "id"), self.map_row, row, ("campaign", "segments"))
                if chunk := builder.flush():
                    yield chunk
        self.new_state = {**state, "last_date": end.isoformat()}

    @staticmethod
    def map_row(row: dict) -> dict:
        """One searchStream result -> one canonical ad_daily row. Absent metrics are zero (proto3 JSON)."""
        metrics = row.get("metrics") or {}
        campaign_id = text(dig(row, "campaign", "id"))
        name = text(dig(row, "campaign", "name"))
        day = field("date", to_date, dig(row, "segments", "date"))
        if day is None:
            raise ValueError("date: missing segments.date")
        return {
            "source_id": ad_daily_id(PLATFORM, campaign_id, name, day),
            "date": day,
            "platform": PLATFORM,
            "campaign_id": campaign_id,
            "campaign": name or campaign_id,
            "spend": field("spend", micros_to_major, metrics.get("costMicros", "0")),
            "currency": currency_code(dig(row, "customer", "currencyCode")),
            "impressions": field("impressions", to_int, metrics.get("impressions", "0")),
            "clicks": field("clicks", to_int, metrics.get("clicks", "0")),
            "conversions": field("conversions", to_float, metrics.get("conversions", 0)),
            "conversion_value": field("conversion_value", precise_money, metrics.get("conversionsValue", 0)),
        }


def _digits(value: str, label: str) -> str:
    """Google Ads ids are shown as 123-456-7890 but sent as digits; anything else is refused early."""
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit():
        raise AuthError(f"Google Ads {label} should look like 123-456-7890: fix it in Data sources.")
    return digits
