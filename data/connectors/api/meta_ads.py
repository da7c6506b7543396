"""Meta (Facebook/Instagram) Marketing API connector: ad account Insights -> ad_daily.

We ask ``/act_<id>/insights`` for ``level=campaign`` and ``time_increment=1`` (one row per
campaign-day). Numbers arrive as strings in major units; dates are in the ad account's time
zone. Paging: while the answer has ``paging.next`` we ask again with ``after =
paging.cursors.after`` and our own parameters, rather than fetching the ``next`` URL as is, so a
URL from the answer can never send the token to another host.

Conversions and their value come from ``actions``/``action_values``. Meta reports the same
purchase under several action types (``purchase`` is the de-duplicated total that includes
``offsite_conversion.fb_pixel_purchase``), so we take the FIRST type present in
:data:`PURCHASE_TYPES` instead of summing them, which would double-count.

Meta signals auth and rate-limit problems in the error body (often with HTTP 400): code 190 =
invalid/expired token, 10/200-299 = missing permission, 4/17/32/613/80000-80014 = throttled.

Incremental sync (state)::

    {"last_date": "2024-06-09"}   # last day fetched; re-fetched from last_date - lookback_days
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from data.connectors.base import Chunk

from ._keys import ad_daily_id
from ._values import ChunkBuilder, currency_code, field, precise_money, text, to_date, to_float, to_int
from .connector import ApiConnector, CredentialField, SyncOptions, date_window, split_range
from .http import AuthError, Classifier

API_VERSION = "v21.0"
WINDOW_DAYS = 30
MAX_PAGE = 500
PLATFORM = "meta_ads"
PURCHASE_TYPES = ("purchase", "offsite_conversion.fb_pixel_purchase")
FIELDS = "campaign_id,campaign_name,date_start,date_stop,impressions,clicks,spend,actions,action_values,account_currency"
AUTH_CODES = {190, 102, 10, *range(200, 300)}
THROTTLE_CODES = {4, 17, 32, 613, *range(80000, 80015)}


def classify(response: httpx.Response) -> str | None:
    """Map Meta's error codes to "auth"/"retry"; None lets the HTTP status decide."""
    if response.status_code < 400:
        return None
    try:
        code = int((response.json().get("error") or {}).get("code"))
    except (ValueError, TypeError, AttributeError):
        return None
    if code in AUTH_CODES:
        return "auth"
    if code in THROTTLE_CODES:
        return "retry"
    return None


class MetaAdsConnector(ApiConnector):
    """Meta Ads: campaign x day Insights for one ad account."""

    SOURCE = "meta_ads"
    LABEL = "Meta Ads"
    DEFAULT_BASE_URL = "https://graph.facebook.com"
    AUTH_HINT = ("access token", "access token")
    TABLES = ("ad_daily",)
    ACCOUNT_FIELDS = ("ad_account_id",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "ad_account_id",
            "Ad account ID",
            secret=False,
            help="Business settings → Ad accounts (digits, or act_…).",
        ),
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help="A system-user token with the ads_read permission (long-lived tokens expire after 60 days).",
        ),
    )

    def __init__(self, credentials: Mapping[str, str], **kwargs: Any):
        super().__init__(credentials, **kwargs)
        account = self.credentials["ad_account_id"].removeprefix("act_")
        if not re.fullmatch(r"[0-9]+", account):
            raise AuthError(
                "Meta Ads ad account ID should be digits (optionally act_…): fix it in Data sources."
            )
        self.account = f"act_{account}"

    def classify_response(self) -> Classifier | None:
        """Meta's error codes, not its status codes, say what went wrong."""
        return classify

    def auth_headers(self) -> dict[str, str]:
        """Bearer header rather than ``access_token=`` in the query, so the token never sits in a URL."""
        return {"Authorization": f"Bearer {self.credentials['access_token']}"}

    def test_connection(self) -> str:
        """Read the ad account's name and currency."""
        body = self.http.get_json(
            self.url(f"/{API_VERSION}/{self.account}"),
            params={"fields": "name,currency"},
            headers=self.auth_headers(),
        )
        return f"Connected to Meta ad account {body.get('name') or self.account} ({body.get('currency') or '?'})."

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield ad_daily chunks, one per page of Insights."""
        self.new_state = dict(state)
        start, end = date_window(state, options)
        builder = ChunkBuilder("ad_daily", self.SOURCE)
        url = self.url(f"/{API_VERSION}/{self.account}/insights")
        for window_start, window_end in split_range(start, end, WINDOW_DAYS):
            params: dict[str, Any] = {
                "level": "campaign",
                "time_increment": 1,
                "time_range": json.dumps(
                    {"since": window_start.isoformat(), "until": window_end.isoformat()}
                ),
                "fields": FIELDS,
                "limit": options.page(MAX_PAGE, MAX_PAGE),
            }
            while True:
                body = self.http.get_json(url, params=params, headers=self.auth_headers())
                for row in body.get("data") or []:
                    builder.add(row.get("campaign_id"), self.map_row, row, ("campaign_id", "date_start"))
                if chunk := builder.flush():
                    yield chunk
                paging = body.get("paging") or {}
                after = (paging.get("cursors") or {}).get("after")
                if not paging.get("next") or not after:
                    break
                params = {**params, "after": after}
        self.new_state = {**state, "last_date": end.isoformat()}

    @staticmethod
    def map_row(row: dict) -> dict:
        """One Insights row -> one canonical ad_daily row (strings -> numbers, purchases -> conversions)."""
        day = field("date", to_date, row.get("date_start"))
        if day is None:
            raise ValueError("date: missing date_start")
        campaign_id = text(row.get("campaign_id"))
        name = text(row.get("campaign_name"))
        return {
            "source_id": ad_daily_id(PLATFORM, campaign_id, name, day),
            "date": day,
            "platform": PLATFORM,
            "campaign_id": campaign_id,
            "campaign": name or campaign_id,
            "spend": field("spend", precise_money, row.get("spend") or "0"),
            "currency": currency_code(row.get("account_currency")),
            "impressions": field("impressions", to_int, row.get("impressions") or "0"),
            "clicks": field("clicks", to_int, row.get("clicks") or "0"),
            "conversions": field("conversions", to_float, purchase_value(row.get("actions")) or "0"),
            "conversion_value": field(
                "conversion_value", precise_money, purchase_value(row.get("action_values")) or "0"
            ),
        }


def purchase_value(actions: Any) -> str | None:
    """The value of the first purchase action type present (see PURCHASE_TYPES), or None."""
    if not isinstance(actions, list):
        return None
    by_type = {a.get("action_type"): a.get("value") for a in actions if isinstance(a, dict)}
    for action_type in PURCHASE_TYPES:
        if by_type.get(action_type) is not None:
            return by_type[action_type]
    return None
