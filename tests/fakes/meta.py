"""Fake Meta Graph API: ad account and ad account Insights.

``GET /v21.0/act_{id}/insights`` with ``level``, ``time_increment``, ``time_range`` (JSON),
``fields``, ``limit`` and ``after``: answers ``{data, paging: {cursors: {before, after}, next}}``
with ``next`` (an absolute URL) only when more rows exist. All numbers are strings. Auth is the
token as ``access_token=`` or a Bearer header; a bad token is HTTP 400 with OAuthException
code 190, as Meta does.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from ._base import FakeServer, Recorded, Reply


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor-{index}".encode()).decode()


def _index(cursor: str) -> int:
    return int(base64.b64decode(cursor).decode().split("-")[1])


class FakeMeta(FakeServer):
    """Meta Insights over in-memory rows built with :func:`insight`."""

    def __init__(self, ad_account: str = "1122334455", token: str = "EAAGfaketoken0123456789abcdef"):
        super().__init__()
        self.ad_account = ad_account
        self.token = token
        self.rows: list[dict] = []
        self.route("GET", r"/v21\.0/act_(\d+)/insights", self._insights)
        self.route("GET", r"/v21\.0/act_(\d+)", self._account)

    def _denied(self, request: Recorded) -> Reply | None:
        token = request.bearer() or request.param("access_token")
        if token != self.token:
            return Reply(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token - Cannot parse access token",
                        "type": "OAuthException",
                        "code": 190,
                        "fbtrace_id": "AbCdEfGhIjK",
                    }
                },
                headers={"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'},
            )
        if request.match.group(1) != self.ad_account:
            return Reply(
                400,
                {
                    "error": {
                        "message": "Unsupported get request.",
                        "type": "GraphMethodException",
                        "code": 100,
                    }
                },
            )
        return None

    def _account(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        return Reply(200, {"id": f"act_{self.ad_account}", "name": "Acme Meta", "currency": "USD"})

    def _insights(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        rng = json.loads(request.param("time_range") or "{}")
        limit = int(request.param("limit") or 25)
        start = _index(request.param("after")) + 1 if request.param("after") else 0
        rows = sorted(
            (r for r in self.rows if rng.get("since", "") <= r["date_start"] <= rng.get("until", "9999")),
            key=lambda r: (r["date_start"], r["campaign_id"]),
        )
        page = rows[start : start + limit]
        body: dict = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}}
            if start + limit < len(rows):
                query = {k: v[0] for k, v in request.query.items() if k != "after"}
                query["after"] = body["paging"]["cursors"]["after"]
                body["paging"]["next"] = f"{self.url}{request.path}?{urlencode(query)}"
        return Reply(200, body)


def insight(
    campaign_id: str,
    name: str,
    date: str,
    *,
    spend="0",
    impressions="0",
    clicks="0",
    actions=None,
    action_values=None,
    currency: str = "USD",
) -> dict:
    """An Insights row as Meta returns it (strings everywhere; actions as lists of {action_type, value})."""
    row = {
        "campaign_id": campaign_id,
        "campaign_name": name,
        "date_start": date,
        "date_stop": date,
        "impressions": impressions,
        "clicks": clicks,
        "spend": spend,
        "account_currency": currency,
    }
    if actions is not None:
        row["actions"] = [{"action_type": k, "value": v} for k, v in actions.items()]
    if action_values is not None:
        row["action_values"] = [{"action_type": k, "value": v} for k, v in action_values.items()]
    return row
