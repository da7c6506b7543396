"""Fake Mailchimp Marketing API: ``/3.0/`` (account root) and ``/3.0/reports``.

Paging is ``count`` (default 10, max 1000; more is a 400) and ``offset``, with ``total_items``
in every page. ``since_send_time``/``before_send_time`` filter on ``send_time``. Auth is HTTP
Basic with any user name and the API key as password; failures use Mailchimp's problem+json shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ._base import FakeServer, Recorded, Reply


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _problem(status: int, title: str, detail: str) -> Reply:
    return Reply(
        status,
        {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "2b6c5c8e-0000-4000-8000-000000000000",
        },
        headers={"Content-Type": "application/problem+json"},
    )


class FakeMailchimp(FakeServer):
    """Mailchimp reports over in-memory data; build reports with :func:`report`."""

    def __init__(
        self, api_key: str = "0123456789abcdef0123456789abcdef-us21", account_name: str = "Acme Studio"
    ):
        super().__init__()
        self.api_key = api_key
        self.account_name = account_name
        self.reports: list[dict] = []
        self.route("GET", "/3.0/?", self._root)
        self.route("GET", "/3.0/reports", self._reports)

    def _denied(self, request: Recorded) -> Reply | None:
        auth = request.basic_auth()
        if auth is None or auth[1] != self.api_key:
            return _problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        return None

    def _root(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        return Reply(200, {"account_id": "8d3a3db4d97663a9074efcc16", "account_name": self.account_name})

    def _reports(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        count = int(request.param("count") or 10)
        offset = int(request.param("offset") or 0)
        if count > 1000:
            return _problem(400, "Invalid Resource", "count: must be less than or equal to 1000")
        reports = self.reports
        if since := request.param("since_send_time"):
            reports = [r for r in reports if _when(r["send_time"]) >= _when(since)]
        if before := request.param("before_send_time"):
            reports = [r for r in reports if _when(r["send_time"]) < _when(before)]
        return Reply(
            200, {"reports": reports[offset : offset + count], "total_items": len(reports), "_links": []}
        )


def report(
    id: str,
    send_time: str,
    *,
    title: str = "Newsletter",
    emails_sent: int = 1000,
    hard: int = 0,
    soft: int = 0,
    unique_opens: int = 0,
    opens_total: int = 0,
    unique_clicks: int = 0,
    clicks_total: int = 0,
    unsubscribed: int = 0,
    abuse_reports: int = 0,
    revenue: float = 0,
    currency: str = "USD",
    **extra: Any,
) -> dict:
    """A ``/reports`` item as Mailchimp sends it (rates as fractions)."""
    delivered = emails_sent - hard - soft
    return {
        "id": id,
        "campaign_title": title,
        "type": "regular",
        "list_id": "57afe96172",
        "list_name": "Customers",
        "subject_line": f"{title} subject",
        "emails_sent": emails_sent,
        "abuse_reports": abuse_reports,
        "unsubscribed": unsubscribed,
        "send_time": send_time,
        "bounces": {"hard_bounces": hard, "soft_bounces": soft, "syntax_errors": 0},
        "forwards": {"forwards_count": 0, "forwards_opens": 0},
        "opens": {
            "opens_total": opens_total,
            "unique_opens": unique_opens,
            "open_rate": unique_opens / delivered if delivered else 0,
            "last_open": send_time,
        },
        "clicks": {
            "clicks_total": clicks_total,
            "unique_clicks": unique_clicks,
            "unique_subscriber_clicks": unique_clicks,
            "click_rate": unique_clicks / delivered if delivered else 0,
            "last_click": send_time,
        },
        "ecommerce": {
            "total_orders": 0,
            "total_spent": revenue,
            "total_revenue": revenue,
            "currency_code": currency,
        },
        **extra,
    }
