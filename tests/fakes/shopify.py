"""Fake Shopify Admin REST API: shop and orders with cursor (page_info) pagination.

* ``GET /admin/api/<version>/orders.json``: ``status`` (any/open/closed/cancelled),
  ``updated_at_min``, ``created_at_min``/``created_at_max``, ``order`` (``updated_at asc``),
  ``limit`` (1..250). The next page is announced in a ``Link: <...page_info=...>; rel="next"``
  header; like Shopify, a request with ``page_info`` may carry only ``limit`` (else 400).
* ``GET /admin/api/<version>/shop.json``: the shop.

Auth is the ``X-Shopify-Access-Token`` header; a bad token gets Shopify's
``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from ._base import FakeServer, Recorded, Reply


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def order(number: int, created_at: str, total: str, **extra) -> dict:
    """A Shopify order object with the fields the connector reads."""
    body = {
        "id": 450789469000 + number,
        "name": f"#{number}",
        "email": f"buyer{number}@example.com",
        "created_at": created_at,
        "updated_at": created_at,
        "currency": "USD",
        "total_price": total,
        "financial_status": "paid",
        "cancelled_at": None,
        "billing_address": {"name": f"Buyer {number}", "country_code": "US"},
        "line_items": [{"title": "UI Kit", "quantity": 1, "price": total}],
        "refunds": [],
    }
    body.update(extra)
    return body


class FakeShopify(FakeServer):
    """A shop's orders in memory."""

    VERSION = "2024-04"

    def __init__(self, token: str = "shpat_test_token"):
        super().__init__()
        self.token = token
        self.orders: list[dict] = []
        self.route("GET", rf"/admin/api/{self.VERSION}/shop.json", self._shop)
        self.route("GET", rf"/admin/api/{self.VERSION}/orders.json", self._orders)

    def refund(self, name: str, when: str, amount: str) -> None:
        """Refund part of a stored order the way Shopify records it (and bump its updated_at)."""
        target = next(o for o in self.orders if o["name"] == name)
        target["refunds"].append(
            {
                "id": len(target["refunds"]) + 1,
                "created_at": when,
                "transactions": [{"kind": "refund", "status": "success", "amount": amount}],
            }
        )
        refunded = sum(float(t["amount"]) for r in target["refunds"] for t in r["transactions"])
        target["financial_status"] = (
            "refunded" if refunded >= float(target["total_price"]) else "partially_refunded"
        )
        target["updated_at"] = when

    def _denied(self, request: Recorded) -> Reply | None:
        if request.headers.get("x-shopify-access-token") != self.token:
            return Reply(
                401,
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
            )
        return None

    def _shop(self, request: Recorded) -> Reply:
        return self._denied(request) or Reply(200, {"shop": {"name": "Acme Store"}})

    def _orders(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        limit = int(request.param("limit") or 50)
        if not 1 <= limit <= 250:
            return Reply(400, {"errors": {"limit": ["must be between 1 and 250"]}})
        page_info = request.param("page_info")
        if page_info:
            if set(request.query) - {"page_info", "limit"}:
                return Reply(400, {"errors": {"page_info": ["Invalid value."]}})
            filters, start = json.loads(base64.urlsafe_b64decode(page_info))
        else:
            filters, start = {k: v[0] for k, v in request.query.items() if k != "limit"}, 0
        chosen = [o for o in self.orders if self._matches(o, filters)]
        chosen.sort(
            key=lambda o: o["updated_at"] if filters.get("order") == "updated_at asc" else o["created_at"]
        )
        page = chosen[start : start + limit]
        headers = {}
        if start + limit < len(chosen):
            token = base64.urlsafe_b64encode(json.dumps([filters, start + limit]).encode()).decode()
            headers["Link"] = (
                f'<{self.url}/admin/api/{self.VERSION}/orders.json?limit={limit}&page_info={token}>; rel="next"'
            )
        return Reply(200, {"orders": page}, headers=headers)

    @staticmethod
    def _matches(o: dict, f: dict) -> bool:
        if f.get("status", "open") == "open" and (o["cancelled_at"] or o.get("closed_at")):
            return False
        if "updated_at_min" in f and _when(o["updated_at"]) < _when(f["updated_at_min"]):
            return False
        if "created_at_min" in f and _when(o["created_at"]) < _when(f["created_at_min"]):
            return False
        return not ("created_at_max" in f and _when(o["created_at"]) > _when(f["created_at_max"]))
