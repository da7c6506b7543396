"""Fake Square Connect v2: locations, payments list/get, refunds list.

* ``GET /v2/payments``: ``begin_time``/``end_time`` (RFC 3339, on ``created_at``), ``sort_order``,
  ``limit`` (1..100, else 400 ``INVALID_VALUE``), opaque ``cursor``; ``cursor`` in the body only
  when more pages exist.
* ``GET /v2/payments/{id}``: ``{"payment": {...}}`` or 404 ``NOT_FOUND``.
* ``GET /v2/refunds``: same paging over refunds (filtered on ``created_at``).
* ``GET /v2/locations``: the seller's locations.

Auth is ``Authorization: Bearer <token>``; failures use Square's ``{"errors": [{category, code,
detail}]}``. Money is ``{"amount": <minor units>, "currency": "USD"}``.
"""

from __future__ import annotations

import base64
import datetime as dt

from ._base import FakeServer, Recorded, Reply


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _errors(status: int, category: str, code: str, detail: str) -> Reply:
    return Reply(status, {"errors": [{"category": category, "code": code, "detail": detail}]})


def payment(pid: str, created_at: str, cents: int, currency: str = "USD", **extra) -> dict:
    """A Square payment object with the fields the connector reads."""
    body = {
        "id": pid,
        "created_at": created_at,
        "updated_at": created_at,
        "amount_money": {"amount": cents, "currency": currency},
        "total_money": {"amount": cents, "currency": currency},
        "status": "COMPLETED",
        "source_type": "CARD",
        "location_id": "L1",
        "processing_fee": [
            {"type": "INITIAL", "amount_money": {"amount": round(cents * 0.029) + 30, "currency": currency}}
        ],
    }
    body.update(extra)
    return body


class FakeSquare(FakeServer):
    """Square payments and refunds over in-memory lists."""

    def __init__(self, token: str = "EAAAl-square-test-token"):
        super().__init__()
        self.token = token
        self.payments: list[dict] = []
        self.refunds: list[dict] = []
        self.route("GET", "/v2/locations", self._locations)
        self.route("GET", "/v2/payments", lambda r: self._list(r, self.payments, "payments"))
        self.route("GET", r"/v2/payments/(?P<pid>[^/]+)", self._get)
        self.route("GET", "/v2/refunds", lambda r: self._list(r, self.refunds, "refunds"))

    def refund(self, payment_id: str, created_at: str, cents: int, fee_back: int = 0) -> None:
        """Refund a stored payment the way Square does: a refund object plus the payment's new totals."""
        target = next(p for p in self.payments if p["id"] == payment_id)
        currency = target["total_money"]["currency"]
        done = (target.get("refunded_money") or {}).get("amount", 0) + cents
        target["refunded_money"] = {"amount": done, "currency": currency}
        target["updated_at"] = created_at
        if fee_back:
            target["processing_fee"].append(
                {"type": "ADJUSTMENT", "amount_money": {"amount": -fee_back, "currency": currency}}
            )
        self.refunds.append(
            {
                "id": f"R{len(self.refunds) + 1}",
                "payment_id": payment_id,
                "status": "COMPLETED",
                "created_at": created_at,
                "amount_money": {"amount": cents, "currency": currency},
            }
        )

    def _denied(self, request: Recorded) -> Reply | None:
        if request.bearer() != self.token:
            return _errors(
                401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized."
            )
        if not request.headers.get("square-version"):
            return _errors(400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "Square-Version header missing")
        return None

    def _locations(self, request: Recorded) -> Reply:
        return self._denied(request) or Reply(200, {"locations": [{"id": "L1", "name": "Main St"}]})

    def _get(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        pid = request.match["pid"]
        found = next((p for p in self.payments if p["id"] == pid), None)
        if found is None:
            return _errors(
                404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"Could not find payment with id: {pid}"
            )
        return Reply(200, {"payment": found})

    def _list(self, request: Recorded, items: list[dict], key: str) -> Reply:
        if denied := self._denied(request):
            return denied
        limit = int(request.param("limit") or 100)
        if not 1 <= limit <= 100:
            return _errors(400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "`limit` must be between 1 and 100")
        begin, end = request.param("begin_time"), request.param("end_time")
        chosen = [
            i
            for i in items
            if (not begin or _when(i["created_at"]) >= _when(begin))
            and (not end or _when(i["created_at"]) < _when(end))
        ]
        chosen.sort(key=lambda i: i["created_at"], reverse=request.param("sort_order") != "ASC")
        cursor = request.param("cursor")
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
        body: dict = {key: chosen[start : start + limit]} if chosen[start : start + limit] else {}
        if start + limit < len(chosen):
            body["cursor"] = base64.b64encode(str(start + limit).encode()).decode()
        return Reply(200, body)
