"""Fake Google Ads REST API: ``POST /v20/customers/{id}/googleAds:searchStream``.

Answers a JSON ARRAY of batches (``batch_size`` results each) like the REST stream; reads the
GAQL ``FROM`` resource and the ``segments.date BETWEEN 'a' AND 'b'`` range. Needs the OAuth
bearer token (from :mod:`tests.fakes.google_oauth`) AND the ``developer-token`` header.
"""

from __future__ import annotations

import re

from ._base import Recorded, Reply
from .google_oauth import GoogleOAuthServer, unauthenticated


class FakeGoogleAds(GoogleOAuthServer):
    """Google Ads REST searchStream over in-memory campaign-day rows (API-shaped dicts)."""

    def __init__(
        self,
        customer_id: str = "1234567890",
        developer_token: str = "devtok-ABCDEFGH12345678",
        refresh_token: str = "1//refresh-token-abcdef",
        client_id: str = "1234.apps.googleusercontent.com",
        client_secret: str = "GOCSPX-client-secret-xyz",
        batch_size: int = 2,
    ):
        super().__init__(refresh_token, client_id, client_secret)
        self.customer_id = customer_id
        self.developer_token = developer_token
        self.batch_size = batch_size
        self.rows: list[dict] = []
        self.account = {
            "resourceName": f"customers/{customer_id}",
            "id": customer_id,
            "descriptiveName": "Acme Ads",
            "currencyCode": "EUR",
        }
        self.route("POST", r"/v20/customers/(\d+)/googleAds:searchStream", self._stream)

    def _stream(self, request: Recorded) -> Reply:
        if request.bearer() != self.access_token:
            return Reply(401, [unauthenticated().body])
        if request.headers.get("developer-token") != self.developer_token:
            return Reply(
                401,
                [
                    {
                        "error": {
                            "code": 401,
                            "message": "The developer token is not valid.",
                            "status": "UNAUTHENTICATED",
                        }
                    }
                ],
            )
        if request.match.group(1) != self.customer_id:
            return Reply(
                403,
                [
                    {
                        "error": {
                            "code": 403,
                            "message": "User doesn't have permission to access customer.",
                            "status": "PERMISSION_DENIED",
                        }
                    }
                ],
            )
        query = request.json()["query"]
        resource = re.search(r"\bFROM\s+(\w+)", query, re.I).group(1)
        if resource == "customer":
            return Reply(
                200,
                [{"results": [{"customer": self.account}], "fieldMask": "customer.id", "requestId": "r0"}],
            )
        between = re.search(r"segments\.date BETWEEN '([\d-]+)' AND '([\d-]+)'", query)
        rows = [r for r in self.rows if between.group(1) <= r["segments"]["date"] <= between.group(2)]
        rows.sort(key=lambda r: r["segments"]["date"])
        batches = [
            {"results": rows[i : i + self.batch_size], "fieldMask": "campaign.id,...", "requestId": f"r{i}"}
            for i in range(0, len(rows), self.batch_size)
        ]
        return Reply(200, batches or [{"fieldMask": "campaign.id,...", "requestId": "r-empty"}])


def ads_row(campaign_id: str, name: str, date: str, **metrics: str | float) -> dict:
    """A searchStream result as REST JSON: camelCase, int64 as strings, zero metrics omitted."""
    return {
        "campaign": {
            "resourceName": f"customers/1234567890/campaigns/{campaign_id}",
            "id": campaign_id,
            "name": name,
        },
        "customer": {"resourceName": "customers/1234567890", "currencyCode": "EUR"},
        "segments": {"date": date},
        "metrics": metrics,
    }
