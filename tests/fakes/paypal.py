"""Fake PayPal REST: OAuth client credentials and Transaction Search.

* ``POST /v1/oauth2/token``: Basic ``client_id:secret``, form ``grant_type=client_credentials``
  -> ``{"access_token", "token_type": "Bearer", "expires_in"}``; bad credentials get 401
  ``{"error": "invalid_client", "error_description": "Client Authentication failed"}``.
* ``GET /v1/reporting/transactions``: ``start_date``/``end_date`` (``YYYY-MM-DDTHH:MM:SS-0000``, at
  most 31 days apart, else 400 ``INVALID_REQUEST``), ``page`` (1-based), ``page_size`` (<= 500);
  answers ``{transaction_details, page, total_items, total_pages}``.
"""

from __future__ import annotations

import datetime as dt
import math

from ._base import FakeServer, Recorded, Reply


def _when(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def transaction(txn_id: str, when: str, value: str, code: str = "T0006", *, fee: str | None = None, status: str = "S",
                email: str | None = "buyer@example.com", item: str | None = "UI Kit", currency: str = "USD", ref: str | None = None) -> dict:  # fmt: skip
    """A Transaction Search record with the fields the connector reads."""
    info = {
        "transaction_id": txn_id,
        "transaction_event_code": code,
        "transaction_initiation_date": when,
        "transaction_updated_date": when,
        "transaction_amount": {"currency_code": currency, "value": value},
        "transaction_status": status,
    }
    if fee is not None:
        info["fee_amount"] = {"currency_code": currency, "value": fee}
    if ref:
        info["paypal_reference_id"] = ref
    record: dict = {"transaction_info": info, "payer_info": {"country_code": "US"}}
    if email:
        record["payer_info"]["email_address"] = email
        record["payer_info"]["payer_name"] = {"alternate_full_name": "Ada Buyer"}
    if item:
        record["cart_info"] = {"item_details": [{"item_name": item, "item_quantity": "1"}]}
    return record


class FakePayPal(FakeServer):
    """PayPal transactions in memory, searchable by initiation date."""

    def __init__(self, client_id: str = "AcLIENT", secret: str = "EsECRET"):
        super().__init__()
        self.client_id, self.secret = client_id, secret
        self.transactions: list[dict] = []
        self.tokens: list[str] = []
        self.route("POST", "/v1/oauth2/token", self._token)
        self.route("GET", "/v1/reporting/transactions", self._search)

    def _token(self, request: Recorded) -> Reply:
        if (
            request.basic_auth() != (self.client_id, self.secret)
            or request.form().get("grant_type") != "client_credentials"
        ):
            return Reply(
                401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
            )
        token = f"A21AAtoken{len(self.tokens)}"
        self.tokens.append(token)
        return Reply(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": 32400, "app_id": "APP-1"}
        )

    def _search(self, request: Recorded) -> Reply:
        if request.bearer() not in self.tokens:
            return Reply(
                401, {"error": "invalid_token", "error_description": "Token signature verification failed"}
            )
        try:
            start, end = _when(request.param("start_date") or ""), _when(request.param("end_date") or "")
        except ValueError:
            return Reply(
                400,
                {
                    "name": "INVALID_REQUEST",
                    "message": "Request is not well-formed, syntactically incorrect, or violates schema.",
                },
            )
        if end - start > dt.timedelta(days=31):
            return Reply(400, {"name": "INVALID_REQUEST", "message": "Date range is greater than 31 days"})
        size = int(request.param("page_size") or 100)
        if not 1 <= size <= 500:
            return Reply(400, {"name": "INVALID_REQUEST", "message": "page_size must be between 1 and 500"})
        page = int(request.param("page") or 1)
        chosen = sorted(
            (
                t
                for t in self.transactions
                if start <= _when(t["transaction_info"]["transaction_initiation_date"]) <= end
            ),
            key=lambda t: t["transaction_info"]["transaction_initiation_date"],
        )
        pages = max(1, math.ceil(len(chosen) / size))
        return Reply(
            200,
            {
                "transaction_details": chosen[(page - 1) * size : page * size],
                "account_number": "XZXSPECYZ7JXU",
                "page": page,
                "total_items": len(chosen),
                "total_pages": pages,
            },
        )
