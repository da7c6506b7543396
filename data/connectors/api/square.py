"""Square Payments API connector: payments -> payments.

Auth is a bearer access token (a personal access token from the Developer Dashboard, or an
OAuth token with ``PAYMENTS_READ``); every request names the API version in ``Square-Version``.
Lists are ``{"payments": [...], "cursor": "..."}`` paged with ``cursor`` (``limit`` <= 100); the
last page has no cursor. Money is ``{"amount": <minor units>, "currency": "USD"}``.

A payment row matches the file connector's: source_id = the payment id (the export's ``Payment
ID``), amount = ``total_money`` (the export's Total Collected), ``amount_refunded`` =
``refunded_money``, fee = the sum of ``processing_fee`` entries (refund adjustments included).

Incremental sync (state)::

    {"payments_created": "2024-03-01T10:00:00Z",  # newest payment created_at seen
     "refunds_created": "2024-03-02T09:00:00Z"}   # newest refund created_at seen

Payments are listed from ``begin_time = mark - OVERLAP`` (upserts make the overlap harmless).
A refund changes an OLD payment, which that list would never show again, so later syncs also
list refunds created since the last sync and re-read their payments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from data.connectors.base import Chunk

from ._keys import email_hash
from ._values import ChunkBuilder, FieldError, currency_code, dig, field, from_iso, minor_to_major, text
from .connector import ApiConnector, CredentialField, SyncOptions

API_VERSION = "2024-06-04"
MAX_PAGE = 100
OVERLAP = dt.timedelta(minutes=5)
STATUS = {
    "COMPLETED": "succeeded",
    "APPROVED": "pending",
    "PENDING": "pending",
    "CANCELED": "failed",
    "FAILED": "failed",
}


def _rfc3339(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SquareConnector(ApiConnector):
    """Square: one canonical payments row per payment, incrementally by creation time plus refunds."""

    SOURCE = "square"
    LABEL = "Square"
    DEFAULT_BASE_URL = "https://connect.squareup.com"
    AUTH_HINT = ("access token", "access token")
    TABLES = ("payments",)
    ACCOUNT_FIELDS = ("access_token",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help="Developer Dashboard → your application → Credentials → Production access token "
            "(or an OAuth token with PAYMENTS_READ).",
        ),
    )

    def auth_headers(self) -> dict[str, str]:
        """Bearer token plus the API version this connector was written against."""
        return {"Authorization": f"Bearer {self.credentials['access_token']}", "Square-Version": API_VERSION}

    def test_connection(self) -> str:
        """List the seller's locations: cheap and needs only a valid token."""
        body = self.http.get_json(self.url("/v2/locations"), headers=self.auth_headers())
        names = [loc.get("name") for loc in body.get("locations") or [] if loc.get("name")]
        return f"Connected to Square ({', '.join(names[:3]) or 'no locations'})."

    # ------------------------------------------------------------------------------------------
    def pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[list[dict]]:
        """Every page of a Square list endpoint, following ``cursor``."""
        query = dict(params)
        while True:
            body = self.http.get_json(self.url(path), params=query, headers=self.auth_headers())
            items = body.get(key) or []
            yield items
            cursor = body.get("cursor")
            if not cursor or not items:
                return
            query["cursor"] = cursor

    def payment(self, payment_id: str) -> dict:
        """One payment by id."""
        body = self.http.get_json(self.url(f"/v2/payments/{payment_id}"), headers=self.auth_headers())
        return body.get("payment") or {}

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield payments chunks: one per page of new payments, then one for payments refunded since the last sync."""
        self.new_state = dict(state)
        limit = options.page(MAX_PAGE, MAX_PAGE)
        first = dt.datetime.combine(options.first_start(), dt.time())
        mark = from_iso(state.get("payments_created")) if state.get("payments_created") else None
        params: dict[str, Any] = {
            "begin_time": _rfc3339(mark - OVERLAP if mark else first),
            "sort_order": "ASC",
            "limit": limit,
        }
        if options.end:
            params["end_time"] = _rfc3339(dt.datetime.combine(options.end + dt.timedelta(days=1), dt.time()))
        builder = ChunkBuilder("payments", self.SOURCE)
        newest = mark
        seen: set[str] = set()
        for page in self.pages("/v2/payments", "payments", params):
            for payment in page:
                builder.add(payment.get("id"), self.map_payment, payment, ("id", "status", "total_money"))
                seen.add(str(payment.get("id")))
                created = from_iso(payment.get("created_at"))
                if created and (newest is None or created > newest):
                    newest = created
            if chunk := builder.flush():
                yield chunk
        refunds_mark = from_iso(state.get("refunds_created")) if state.get("refunds_created") else None
        newest_refund = refunds_mark
        if mark is not None:  # a first sync already read every payment with its refunds
            since = (refunds_mark or mark) - OVERLAP
            for page in self.pages("/v2/refunds", "refunds", {"begin_time": _rfc3339(since), "limit": limit}):
                for refund in page:
                    created = from_iso(refund.get("created_at"))
                    if created and (newest_refund is None or created > newest_refund):
                        newest_refund = created
                    payment_id = text(refund.get("payment_id"))
                    if payment_id and payment_id not in seen:
                        seen.add(payment_id)
                        payment = self.payment(payment_id)
                        builder.add(payment_id, self.map_payment, payment, ("id", "status", "total_money"))
                if chunk := builder.flush():
                    yield chunk
        else:
            newest_refund = newest
        new_state = dict(state)
        if newest is not None:
            new_state["payments_created"] = _rfc3339(newest)
        if newest_refund is not None:
            new_state["refunds_created"] = _rfc3339(newest_refund)
        self.new_state = new_state

    @staticmethod
    def map_payment(payment: dict) -> dict:
        """One Square payment -> one canonical payments row."""
        total = payment.get("total_money") or payment.get("amount_money") or {}
        currency = currency_code(total.get("currency"))
        amount = field("amount", lambda v: minor_to_major(v, currency), total.get("amount"))
        if amount is None or currency is None:
            raise FieldError("amount", "payment without total_money")
        refunded_money = payment.get("refunded_money") or {}
        refunded = field(
            "amount_refunded", lambda v: minor_to_major(v, currency), refunded_money.get("amount")
        )
        refunded = refunded or Decimal("0.00")
        fee = sum(
            (
                field("fee", lambda v: minor_to_major(v, currency), dig(entry, "amount_money", "amount"))
                or Decimal(0)
                for entry in payment.get("processing_fee") or []
            ),
            Decimal("0.00"),
        )
        status = STATUS.get(str(payment.get("status") or "").upper())
        if status is None:
            raise FieldError("status", f"unknown payment status {payment.get('status')!r}")
        if status == "succeeded" and refunded >= amount > 0:
            status = "refunded"
        hashed = email_hash(payment.get("buyer_email_address"))
        return {
            "source_id": str(payment["id"]),
            "created": field("created", from_iso, payment.get("created_at")),
            "kind": "charge",
            "status": status,
            "amount": amount,
            "amount_refunded": refunded,
            "fee": fee,
            "net": amount - refunded - fee,
            "currency": currency,
            "customer_id": text(payment.get("customer_id")) or hashed,
            "customer_email_hash": hashed,
            "customer_name": None,
            "product": text(payment.get("note")),
            "channel": "Direct",
            "campaign": None,
            "country": text(dig(payment, "billing_address", "country")),
            "description": text(payment.get("location_id")),
        }
