"""PayPal Transaction Search (Reporting API) connector: transactions -> payments.

Auth is OAuth 2 client credentials: the REST app's client id and secret are traded at
``POST /v1/oauth2/token`` for a bearer token (valid for hours; fetched once per sync).
``GET /v1/reporting/transactions`` takes ``start_date``/``end_date`` at most 31 days apart and
pages with ``page`` (1-based) and ``page_size`` (<= 500) up to ``total_pages``. Amounts are
major-unit strings with their sign (``"-10.00"``); ``fee_amount`` is negative on payments.

Rows match the activity download's: source_id = the transaction id, and only money actually
received counts, as in the file connector — incoming payments (event codes ``T00xx`` with a
positive amount) are charges, refunds and reversals (``T11xx``, negative) are ``kind = refund``
lines carrying the refunded money in ``amount`` (the refund-line contract the payments rollup
reads); withdrawals, transfers, currency conversions, holds and payments the account sent are
skipped.

Incremental sync (state)::

    {"last_date": "2024-03-31"}   # last day fetched; the next sync re-reads lookback_days before it

PayPal makes transactions searchable up to three hours late, so the look-back re-reads recent
days (upserts make that harmless).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from data.connectors.base import Chunk

from ._keys import email_hash
from ._values import ChunkBuilder, FieldError, currency_code, dig, field, from_iso, money, text
from .connector import ApiConnector, CredentialField, SyncOptions, date_window, split_range

MAX_PAGE = 500
WINDOW_DAYS = 31
#: transaction_status -> canonical status of an incoming payment
STATUS = {"S": "succeeded", "F": "succeeded", "P": "pending", "V": "refunded", "D": "failed"}


def _paypal_time(day: dt.date, end: bool = False) -> str:
    moment = dt.datetime.combine(day, dt.time(23, 59, 59) if end else dt.time())
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "-0000"


class PayPalConnector(ApiConnector):
    """PayPal: payments received and their refunds, by day windows of the Transaction Search API."""

    SOURCE = "paypal"
    LABEL = "PayPal"
    DEFAULT_BASE_URL = "https://api-m.paypal.com"
    AUTH_HINT = ("client id or secret", "client ID and secret")
    TABLES = ("payments",)
    ACCOUNT_FIELDS = ("client_id",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "client_id",
            "Client ID",
            secret=False,
            help="developer.paypal.com → Apps & Credentials → your Live REST app (with Transaction search enabled).",
        ),
        CredentialField("client_secret", "Secret", secret=True, help="The same app's secret."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._token: str | None = None

    def token(self) -> str:
        """A bearer token from the client credentials (fetched once, then reused)."""
        if self._token is None:
            basic = base64.b64encode(
                f"{self.credentials['client_id']}:{self.credentials['client_secret']}".encode()
            ).decode()
            response = self.http.request(
                "POST",
                self.url("/v1/oauth2/token"),
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            )
            body = self.http.decode(response)
            self._token = text(body.get("access_token"))
            if not self._token:
                raise FieldError("client_secret", "PayPal returned no access token")
            self.http.add_secrets([self._token])
        return self._token

    def auth_headers(self) -> dict[str, str]:
        """Bearer token from the client-credentials exchange."""
        return {"Authorization": f"Bearer {self.token()}"}

    def test_connection(self) -> str:
        """Search yesterday's transactions: needs the same permission as the sync."""
        day = dt.date.today() - dt.timedelta(days=1)
        self.http.get_json(
            self.url("/v1/reporting/transactions"),
            params={"start_date": _paypal_time(day), "end_date": _paypal_time(day, end=True), "page_size": 1},
            headers=self.auth_headers(),
        )
        return "Connected to PayPal (transaction search)."

    # ------------------------------------------------------------------------------------------
    def pages(self, start: dt.date, end: dt.date, page_size: int) -> Iterator[list[dict]]:
        """Every page of transactions in one window of at most 31 days."""
        page = 1
        while True:
            body = self.http.get_json(
                self.url("/v1/reporting/transactions"),
                params={
                    "start_date": _paypal_time(start),
                    "end_date": _paypal_time(end, end=True),
                    "fields": "transaction_info,payer_info,cart_info",
                    "page_size": page_size,
                    "page": page,
                },
                headers=self.auth_headers(),
            )
            yield body.get("transaction_details") or []
            if page >= int(body.get("total_pages") or 1):
                return
            page += 1

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield payments chunks, one per page, window by window."""
        self.new_state = dict(state)
        start, end = date_window(state, options)
        builder = ChunkBuilder("payments", self.SOURCE)
        for lo, hi in split_range(start, end, WINDOW_DAYS):
            for page in self.pages(lo, hi, options.page(MAX_PAGE, MAX_PAGE)):
                for record in page:
                    builder.add(
                        dig(record, "transaction_info", "transaction_id"),
                        self.map_transaction,
                        record,
                        ("transaction_info",),
                    )
                if chunk := builder.flush():
                    yield chunk
        self.new_state = {**state, "last_date": end.isoformat()}

    @staticmethod
    def map_transaction(record: dict) -> dict | None:
        """One PayPal transaction -> a charge, a refund line, or None (not money received)."""
        info = record.get("transaction_info") or {}
        code = str(info.get("transaction_event_code") or "")
        value = field("amount", money, dig(info, "transaction_amount", "value"))
        currency = currency_code(dig(info, "transaction_amount", "currency_code"))
        if value is None or currency is None:
            raise FieldError("amount", "transaction without an amount or currency")
        fee_value = field("fee", money, dig(info, "fee_amount", "value")) or Decimal("0.00")
        is_refund = code.startswith("T11")
        if is_refund and value >= 0 or not is_refund and (not code.startswith("T00") or value <= 0):
            return None  # withdrawals, conversions, holds, money sent, refunds received
        status = "refunded" if is_refund else STATUS.get(str(info.get("transaction_status") or ""), "failed")
        payer = record.get("payer_info") or {}
        hashed = email_hash(payer.get("email_address"))
        items = dig(record, "cart_info", "item_details") or []
        amount = -value if is_refund else value
        return {
            "source_id": str(info["transaction_id"]),
            "created": field("created", from_iso, _iso_offset(info.get("transaction_initiation_date"))),
            "kind": "refund" if is_refund else "charge",
            "status": status,
            "amount": amount,
            "amount_refunded": Decimal("0.00"),
            "fee": -fee_value,
            "net": value + fee_value,
            "currency": currency,
            "customer_id": hashed,
            "customer_email_hash": hashed,
            "customer_name": text(dig(payer, "payer_name", "alternate_full_name")),
            "product": text(items[0].get("item_name")) if items else None,
            "channel": "Direct",
            "campaign": None,
            "country": text(payer.get("country_code")),
            "description": text(info.get("transaction_subject") or info.get("transaction_note")),
        }


def _iso_offset(value: Any) -> Any:
    """PayPal writes offsets without a colon (``+0000``); ISO parsing wants ``+00:00``."""
    if isinstance(value, str) and len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        return f"{value[:-2]}:{value[-2:]}"
    return value
