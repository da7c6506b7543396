"""Fake GA4 Data API: ``POST /v1beta/properties/{id}:runReport`` and ``GET .../metadata``.

``limit``/``offset`` paging with ``rowCount``; rows ordered by the requested ``orderBys``; an
empty report has neither ``rows`` nor ``rowCount``. OAuth via :mod:`tests.fakes.google_oauth`.
"""

from __future__ import annotations

from ._base import Recorded, Reply
from .google_oauth import GoogleOAuthServer, unauthenticated


class FakeGa4(GoogleOAuthServer):
    """GA4 Data API runReport over in-memory rows (dicts of dimension/metric name -> string value)."""

    def __init__(
        self,
        property_id: str = "987654321",
        refresh_token: str = "1//ga4-refresh-token-abcdef",
        client_id: str = "5678.apps.googleusercontent.com",
        client_secret: str = "GOCSPX-ga4-secret-xyz",
        currency: str = "GBP",
    ):
        super().__init__(refresh_token, client_id, client_secret)
        self.property_id = property_id
        self.currency = currency
        self.rows: list[dict[str, str]] = []
        self.route("POST", r"/v1beta/properties/(\d+):runReport", self._run_report)
        self.route("GET", r"/v1beta/properties/(\d+)/metadata", self._metadata)

    def _check(self, request: Recorded) -> Reply | None:
        if request.bearer() != self.access_token:
            return unauthenticated()
        if request.match.group(1) != self.property_id:
            return Reply(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "User does not have sufficient permissions for this property.",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )
        return None

    def _metadata(self, request: Recorded) -> Reply:
        if denied := self._check(request):
            return denied
        return Reply(
            200, {"name": f"properties/{self.property_id}/metadata", "dimensions": [], "metrics": []}
        )

    def _run_report(self, request: Recorded) -> Reply:
        if denied := self._check(request):
            return denied
        body = request.json()
        limit = int(body.get("limit") or 10_000)
        offset = int(body.get("offset") or 0)
        if limit > 250_000:
            return Reply(
                400,
                {"error": {"code": 400, "message": "limit must be <= 250000", "status": "INVALID_ARGUMENT"}},
            )
        dims = [d["name"] for d in body["dimensions"]]
        mets = [m["name"] for m in body["metrics"]]
        rng = body["dateRanges"][0]
        start, end = rng["startDate"].replace("-", ""), rng["endDate"].replace("-", "")
        rows = [r for r in self.rows if start <= r["date"] <= end]
        for order in reversed(body.get("orderBys") or []):
            rows.sort(key=lambda r: r[order["dimension"]["dimensionName"]])
        answer: dict = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in mets],
            "metadata": {"currencyCode": self.currency, "timeZone": "Europe/London"},
            "kind": "analyticsData#runReport",
        }
        if rows:  # like GA4, an empty report has neither rows nor rowCount
            answer["rows"] = [
                {
                    "dimensionValues": [{"value": r[d]} for d in dims],
                    "metricValues": [{"value": r[m]} for m in mets],
                }
                for r in rows[offset : offset + limit]
            ]
            answer["rowCount"] = len(rows)
        return Reply(200, answer)
