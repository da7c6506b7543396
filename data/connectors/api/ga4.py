"""Google Analytics 4 Data API connector: ``properties/{id}:runReport`` -> web_daily.

One report: dimensions ``date`` (``YYYYMMDD`` in the property's time zone),
``sessionDefaultChannelGroup``, ``sessionSource``, ``sessionMedium``; metrics ``sessions``,
``totalUsers``, ``newUsers``, ``keyEvents``, ``totalRevenue``. Every value is a string. Paging is
``limit``/``offset`` until ``offset`` reaches ``rowCount``; the report is ordered explicitly so
pages do not shift under us. The revenue currency is the property's (``metadata.currencyCode``).
Columns are looked up by header name, never by position.

Incremental sync (state)::

    {"last_date": "2024-06-09"}   # re-fetched from last_date - lookback_days: GA4 data settles over ~3 days
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from data.connectors.base import Chunk

from ._google import OAUTH_FIELDS, SERVICE_ACCOUNT_FIELD, TOKEN_URL, GoogleAuth
from ._keys import web_daily_id
from ._values import ChunkBuilder, currency_code, field, money, text, to_date, to_float, to_int
from .connector import ApiConnector, CredentialField, SyncOptions, date_window
from .http import AuthError

API_VERSION = "v1beta"
#: read-only access to Analytics data (what a service account asks for)
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
DEFAULT_PAGE = 10_000
MAX_PAGE = 250_000
DIMENSIONS = ("date", "sessionDefaultChannelGroup", "sessionSource", "sessionMedium")
METRICS = ("sessions", "totalUsers", "newUsers", "keyEvents", "totalRevenue")


class Ga4Connector(ApiConnector):
    """GA4: sessions, users, key events and revenue per day x channel group x source/medium."""

    SOURCE = "ga4"
    LABEL = "Google Analytics"
    DEFAULT_BASE_URL = "https://analyticsdata.googleapis.com"
    AUTH_HINT = ("credentials", "Google account connection")
    TABLES = ("web_daily",)
    ACCOUNT_FIELDS = ("property_id",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "property_id",
            "Property ID",
            secret=False,
            help="Admin → Property details: the numeric property ID.",
        ),
        SERVICE_ACCOUNT_FIELD,
        *OAUTH_FIELDS,
    )

    def __init__(self, credentials: Mapping[str, str], **kwargs: Any):
        super().__init__(credentials, **kwargs)
        prop = self.credentials["property_id"].removeprefix("properties/")
        if not re.fullmatch(r"[0-9]+", prop):
            raise AuthError("Google Analytics property ID should be digits: fix it in Data sources.")
        self.property_id = prop
        token_url = f"{self.base_url}/token" if self.base_url_overridden else TOKEN_URL
        self.google = GoogleAuth(self.http, self.credentials, self.LABEL, token_url, scope=SCOPE)

    def auth_headers(self) -> dict[str, str]:
        """OAuth bearer token."""
        return {"Authorization": self.google.header()}

    def test_connection(self) -> str:
        """Fetch the property's metadata (cheap, needs the same read access)."""
        self.http.get_json(
            self.url(f"/{API_VERSION}/properties/{self.property_id}/metadata"), headers=self.auth_headers()
        )
        return f"Connected to Google Analytics property {self.property_id}."

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield web_daily chunks, one per report page."""
        self.new_state = dict(state)
        start, end = date_window(state, options)
        limit = options.page(DEFAULT_PAGE, MAX_PAGE)
        url = self.url(f"/{API_VERSION}/properties/{self.property_id}:runReport")
        builder = ChunkBuilder("web_daily", self.SOURCE)
        offset = 0
        while True:
            body = self.http.post_json(
                url,
                json={
                    "dateRanges": [{"startDate": start.isoformat(), "endDate": end.isoformat()}],
                    "dimensions": [{"name": d} for d in DIMENSIONS],
                    "metrics": [{"name": m} for m in METRICS],
                    "orderBys": [{"dimension": {"dimensionName": d}} for d in DIMENSIONS],
                    "limit": str(limit),
                    "offset": str(offset),
                },
                headers=self.auth_headers(),
            )
            dims = [h.get("name") for h in body.get("dimensionHeaders") or []]
            mets = [h.get("name") for h in body.get("metricHeaders") or []]
            currency = currency_code((body.get("metadata") or {}).get("currencyCode"))
            rows = body.get("rows") or []
            for row in rows:
                record = {
                    name: cell.get("value")
                    for name, cell in zip(dims, row.get("dimensionValues") or [], strict=False)
                }
                record.update(
                    {
                        name: cell.get("value")
                        for name, cell in zip(mets, row.get("metricValues") or [], strict=False)
                    }
                )
                record["currency"] = currency
                builder.add(None, self.map_row, record, DIMENSIONS)
            if chunk := builder.flush():
                yield chunk
            offset += len(rows)
            if not rows or offset >= int(body.get("rowCount") or 0):
                break
        self.new_state = {**state, "last_date": end.isoformat()}

    @staticmethod
    def map_row(record: dict) -> dict:
        """One report row (already keyed by header name) -> one canonical web_daily row."""
        day = field("date", to_date, record.get("date"))
        if day is None:
            raise ValueError("date: missing")
        channel = text(record.get("sessionDefaultChannelGroup"))
        source = text(record.get("sessionSource"))
        medium = text(record.get("sessionMedium"))
        revenue = field("revenue", money, record.get("totalRevenue"))
        return {
            "source_id": web_daily_id(day, channel, source, medium),
            "date": day,
            "channel": channel,
            "source_name": source,
            "medium": medium,
            "sessions": field("sessions", to_int, record.get("sessions")),
            "users": field("users", to_int, record.get("totalUsers")),
            "new_users": field("new_users", to_int, record.get("newUsers")),
            "key_events": field("key_events", to_float, record.get("keyEvents")),
            "revenue": revenue,
            "currency": record.get("currency") if revenue is not None else None,
        }
