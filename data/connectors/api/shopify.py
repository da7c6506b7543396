"""Shopify Admin REST API connector: orders -> payments (one row per order, like the Orders export).

Auth is a custom app's Admin API access token (``shpat_…``) in ``X-Shopify-Access-Token``; the
base URL is the shop's own ``https://<shop>.myshopify.com``. ``GET /admin/api/<version>/orders.json``
is paged with cursor links: the response's ``Link`` header names the next page
(``<...page_info=...>; rel="next"``), and a page_info request may carry only ``limit`` (<= 250).

An order row matches the file connector's: source_id = the order ``name`` (``#1001``, the
export's Name), amount = ``total_price``, amount_refunded = the successful refund transactions
of the order's ``refunds``, status from ``financial_status`` (a cancelled, unrefunded order is
failed), product = the line item's title (``multiple`` for several).

Incremental sync (state)::

    {"orders_updated": "2024-03-01T10:00:00Z"}   # newest updated_at seen

Orders are listed with ``updated_at_min = mark - OVERLAP`` and ``status=any``: a refund or a
cancellation updates the order, so changed old orders come back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from data.connectors.base import Chunk

from ._keys import email_hash
from ._values import ChunkBuilder, FieldError, currency_code, dig, field, from_iso, money, text
from .connector import ApiConnector, CredentialField, SyncOptions
from .http import AuthError

API_VERSION = "2024-04"
MAX_PAGE = 250
OVERLAP = dt.timedelta(minutes=5)
STATUS = {
    "paid": "succeeded",
    "partially_refunded": "succeeded",
    "refunded": "refunded",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "voided": "failed",
    "expired": "failed",
}
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def _iso(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShopifyConnector(ApiConnector):
    """Shopify: one canonical payments row per order, incrementally by ``updated_at``."""

    SOURCE = "shopify"
    LABEL = "Shopify"
    DEFAULT_BASE_URL = "https://{shop}.myshopify.com"
    AUTH_HINT = ("Admin API access token", "Admin API access token")
    TABLES = ("payments",)
    ACCOUNT_FIELDS = ("shop",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "shop",
            "Shop domain",
            secret=False,
            help="Your store's myshopify.com name, e.g. acme.myshopify.com.",
        ),
        CredentialField(
            "access_token",
            "Admin API access token",
            secret=True,
            help="Settings → Apps and sales channels → Develop apps → your app → API credentials; "
            "scope read_orders (read_all_orders for orders older than 60 days). Starts with shpat_.",
        ),
    )

    def default_base_url(self) -> str:
        """``https://<shop>.myshopify.com`` from the shop domain as typed (with or without the suffix)."""
        shop = self.credentials["shop"].lower().removeprefix("https://").removeprefix("http://").strip("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*(\.myshopify\.com)?", shop):
            raise AuthError(
                f"Shopify shop domain {shop!r} is not a myshopify.com name: enter e.g. acme.myshopify.com in Data sources."
            )
        return f"https://{shop.removesuffix('.myshopify.com')}.myshopify.com"

    def auth_headers(self) -> dict[str, str]:
        """The Admin API access token header."""
        return {"X-Shopify-Access-Token": self.credentials["access_token"]}

    def test_connection(self) -> str:
        """Read the shop's name."""
        body = self.http.get_json(
            self.url(f"/admin/api/{API_VERSION}/shop.json"), headers=self.auth_headers()
        )
        return f"Connected to Shopify ({dig(body, 'shop', 'name') or self.credentials['shop']})."

    # ------------------------------------------------------------------------------------------
    def pages(self, params: dict[str, Any]) -> Iterator[list[dict]]:
        """Every page of orders, following the ``Link: <...>; rel="next"`` header."""
        url: str | None = self.url(f"/admin/api/{API_VERSION}/orders.json")
        query: dict[str, Any] | None = params
        while url:
            response = self.http.request("GET", url, params=query, headers=self.auth_headers())
            body = self.http.decode(response)
            yield body.get("orders") or []
            found = _NEXT.search(response.headers.get("Link", ""))
            # the next link already carries page_info and limit; nothing else may be sent with it
            url, query = (found.group(1), None) if found else (None, None)

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield payments chunks, one per page of orders."""
        self.new_state = dict(state)
        mark = from_iso(state.get("orders_updated")) if state.get("orders_updated") else None
        params: dict[str, Any] = {
            "status": "any",
            "limit": options.page(MAX_PAGE, MAX_PAGE),
            "order": "updated_at asc",
        }
        if mark is not None:
            params["updated_at_min"] = _iso(mark - OVERLAP)
        else:
            params["created_at_min"] = _iso(dt.datetime.combine(options.first_start(), dt.time()))
        if options.end:
            params["created_at_max"] = _iso(
                dt.datetime.combine(options.end + dt.timedelta(days=1), dt.time())
            )
        builder = ChunkBuilder("payments", self.SOURCE)
        newest = mark
        for page in self.pages(params):
            for order in page:
                builder.add(
                    order.get("name") or order.get("id"), self.map_order, order, ("id", "name", "total_price")
                )
                updated = from_iso(order.get("updated_at"))
                if updated and (newest is None or updated > newest):
                    newest = updated
            if chunk := builder.flush():
                yield chunk
        if newest is not None:
            self.new_state = {**state, "orders_updated": _iso(newest)}

    @staticmethod
    def map_order(order: dict) -> dict:
        """One Shopify order -> one canonical payments row."""
        amount = field("amount", money, order.get("total_price"))
        currency = currency_code(order.get("currency"))
        if amount is None or currency is None:
            raise FieldError("amount", "order without total_price or currency")
        refunded = Decimal("0.00")
        for refund in order.get("refunds") or []:
            for txn in refund.get("transactions") or []:
                if txn.get("kind") == "refund" and txn.get("status") == "success":
                    refunded += field("amount_refunded", money, txn.get("amount")) or Decimal(0)
        status = STATUS.get(str(order.get("financial_status") or "").lower())
        if status is None:
            raise FieldError("status", f"unknown financial status {order.get('financial_status')!r}")
        if status == "succeeded" and refunded >= amount > 0:
            status = "refunded"
        if order.get("cancelled_at") and status != "refunded":
            status = "failed"
        items = order.get("line_items") or []
        hashed = email_hash(order.get("email") or dig(order, "customer", "email"))
        return {
            "source_id": text(order.get("name")) or str(order["id"]),
            "created": field("created", from_iso, order.get("created_at")),
            "kind": "charge",
            "status": status,
            "amount": amount,
            "amount_refunded": refunded,
            "fee": None,
            "net": amount - refunded,
            "currency": currency,
            "customer_id": hashed,
            "customer_email_hash": hashed,
            "customer_name": text(dig(order, "billing_address", "name")),
            "product": "multiple"
            if len(items) > 1
            else text(items[0].get("title") or items[0].get("name"))
            if items
            else None,
            "channel": "Direct",
            "campaign": None,
            "country": text(dig(order, "billing_address", "country_code")),
            "description": None,
        }
