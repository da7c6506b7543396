"""Fake Stripe API: charges, refunds, customers, subscriptions as documented list endpoints.

Lists are ``{object: "list", url, has_more, data}``, newest first (created desc), ``limit`` 1..100
(anything else is a 400 like Stripe's), ``starting_after``/``ending_before`` cursors,
``created[gte|gt|lte|lt]`` filters, ``expand[]`` for ``data.balance_transaction``,
``data.charge`` and ``data.charge.balance_transaction``. Subscriptions hide canceled ones
unless ``status=all``. The secret key must be the Basic-auth user.

A charge settled in another currency (``bt_currency`` with ``exchange_rate``) gets a balance
transaction as Stripe documents it: ``amount`` = the charge's amount x ``exchange_rate`` in the
settlement currency (rounded to its minor unit), ``fee`` in the settlement currency, ``net`` =
amount - fee. A refund gets its own balance transaction (negative, settled at the refund's rate).
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from data.currencies import minor_unit_exponent

from ._base import FakeServer, Recorded, Reply


def settle(amount: int, currency: str, settlement: str, exchange_rate: float | None) -> int:
    """Minor units of ``currency`` -> minor units of ``settlement`` at ``exchange_rate`` (major x rate, rounded)."""
    if exchange_rate is None or currency.upper() == settlement.upper():
        return amount
    major = Decimal(amount).scaleb(-minor_unit_exponent(currency)) * Decimal(str(exchange_rate))
    return int(major.scaleb(minor_unit_exponent(settlement)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _invalid(message: str, param: str | None = None) -> Reply:
    return Reply(400, {"error": {"type": "invalid_request_error", "message": message, "param": param}})


class FakeStripe(FakeServer):
    """Stripe's list endpoints over in-memory objects; add data with the ``add_*`` helpers."""

    def __init__(self, api_key: str = "sk_test_51FakeKeyForTests0000"):
        super().__init__()
        self.api_key = api_key
        self.charges: list[dict] = []
        self.refunds: list[dict] = []
        self.customers: list[dict] = []
        self.subscriptions: list[dict] = []
        self.balance_transactions: dict[str, dict] = {}
        for name in ("charges", "refunds", "customers", "subscriptions"):
            self.route("GET", f"/v1/{name}", self._lister(name))

    # -- data helpers ----------------------------------------------------------------------------
    def add_charge(
        self,
        id: str,
        amount: int,
        currency: str,
        created: int,
        *,
        fee: int | None = None,
        amount_refunded: int = 0,
        status: str = "succeeded",
        captured: bool = True,
        customer: str | None = None,
        email: str | None = None,
        bt_currency: str | None = None,
        exchange_rate: float | None = None,
        **extra: Any,
    ) -> dict:
        """A charge (and its balance transaction when ``fee`` is given), minor units like Stripe."""
        bt_id = None
        if fee is not None:
            bt_id = f"txn_{id}"
            settled = settle(amount, currency, bt_currency or currency, exchange_rate)
            self.balance_transactions[bt_id] = {
                "id": bt_id,
                "object": "balance_transaction",
                "amount": settled,
                "currency": bt_currency or currency,
                "exchange_rate": exchange_rate,
                "fee": fee,
                "net": settled - fee,
                "created": created,
                "type": "charge",
                "status": "available",
            }
        charge = {
            "id": id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if captured else 0,
            "amount_refunded": amount_refunded,
            "balance_transaction": bt_id,
            "billing_details": {"email": email, "name": None, "address": {"country": None}},
            "captured": captured,
            "created": created,
            "currency": currency,
            "customer": customer,
            "description": None,
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "paid": status == "succeeded",
            "receipt_email": None,
            "refunded": amount_refunded >= amount and amount > 0,
            "status": status,
            **extra,
        }
        self.charges.append(charge)
        return charge

    def add_refund(
        self, id: str, charge_id: str, amount: int, created: int, *, exchange_rate: float | None = None
    ) -> dict:
        """A refund of an existing charge; updates the charge like Stripe does.

        A refund of a charge settled in another currency is settled at ``exchange_rate`` (the
        rate of the refund's day; default: the charge's rate) in its own balance transaction.
        """
        charge = next(c for c in self.charges if c["id"] == charge_id)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        bt_id = None
        if charge["balance_transaction"]:
            paid = self.balance_transactions[charge["balance_transaction"]]
            rate = paid["exchange_rate"] if exchange_rate is None else exchange_rate
            settled = settle(amount, charge["currency"], paid["currency"], rate)
            bt_id = f"txn_{id}"
            self.balance_transactions[bt_id] = {
                "id": bt_id,
                "object": "balance_transaction",
                "amount": -settled,
                "currency": paid["currency"],
                "exchange_rate": rate,
                "fee": 0,
                "net": -settled,
                "created": created,
                "type": "refund",
                "status": "available",
            }
        refund = {
            "id": id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": bt_id,
            "charge": charge_id,
            "created": created,
            "currency": charge["currency"],
            "status": "succeeded",
        }
        self.refunds.append(refund)
        return refund

    def add_customer(
        self, id: str, created: int, *, email: str | None = None, name: str | None = None, **extra
    ) -> dict:
        """A customer."""
        customer = {"id": id, "object": "customer", "created": created, "email": email, "name": name, **extra}
        self.customers.append(customer)
        return customer

    def add_subscription(
        self, id: str, customer: str, created: int, items: list[dict], *, status="active", **extra
    ):
        """A subscription; ``items`` are ``{"id", "unit_amount", "currency", "interval", ...}`` shorthands."""
        data = []
        for i, item in enumerate(items):
            data.append(
                {
                    "id": item["id"],
                    "object": "subscription_item",
                    "created": item.get("created", created + i),
                    "quantity": item.get("quantity", 1),
                    "price": {
                        "id": item.get("price_id", f"price_{item['id']}"),
                        "object": "price",
                        "currency": item["currency"],
                        "unit_amount": item["unit_amount"],
                        "nickname": item.get("nickname"),
                        "product": item.get("product", "prod_1"),
                        "recurring": {
                            "interval": item.get("interval", "month"),
                            "interval_count": item.get("interval_count", 1),
                        },
                    },
                }
            )
        sub = {
            "id": id,
            "object": "subscription",
            "customer": customer,
            "created": created,
            "start_date": created,
            "status": status,
            "ended_at": None,
            "canceled_at": None,
            "trial_end": None,
            "items": {"object": "list", "data": data, "has_more": False},
            **extra,
        }
        self.subscriptions.append(sub)
        return sub

    # -- endpoints -------------------------------------------------------------------------------
    def _authorised(self, request: Recorded) -> Reply | None:
        auth = request.basic_auth()
        if auth is None:
            return Reply(
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "You did not provide an API key. You need to provide your API key in the "
                        "Authorization header, using Bearer auth.",
                    }
                },
            )
        if auth[0] != self.api_key:
            shown = auth[0][:8] + "*" * 8 + auth[0][-4:]
            return Reply(
                401,
                {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {shown}"}},
            )
        return None

    def _lister(self, name: str):
        def handle(request: Recorded) -> Reply:
            if denied := self._authorised(request):
                return denied
            try:
                limit = int(request.param("limit") or 10)
            except ValueError:
                return _invalid("Invalid integer: limit", "limit")
            if not 1 <= limit <= 100:
                return _invalid("This value must be less than or equal to 100.", "limit")
            objects = list(getattr(self, name))
            for op, test in (
                ("gte", lambda c, v: c >= v),
                ("gt", lambda c, v: c > v),
                ("lte", lambda c, v: c <= v),
                ("lt", lambda c, v: c < v),
            ):
                value = request.param(f"created[{op}]")
                if value is not None:
                    objects = [o for o in objects if test(o["created"], int(value))]
            if name == "subscriptions" and request.param("status") != "all":
                objects = [o for o in objects if o["status"] not in ("canceled", "incomplete_expired")]
            objects.sort(key=lambda o: (o["created"], o["id"]), reverse=True)
            ids = [o["id"] for o in objects]
            if after := request.param("starting_after"):
                if after not in ids:
                    return _invalid(f"No such object: '{after}'", "starting_after")
                objects = objects[ids.index(after) + 1 :]
            elif before := request.param("ending_before"):
                if before not in ids:
                    return _invalid(f"No such object: '{before}'", "ending_before")
                objects = objects[: ids.index(before)][-limit:]
            page = [self._expand(copy.deepcopy(o), request.params("expand[]")) for o in objects[:limit]]
            return Reply(
                200, {"object": "list", "url": f"/v1/{name}", "has_more": len(objects) > limit, "data": page}
            )

        return handle

    def _expand(self, obj: dict, expand: list[str]) -> dict:
        if "data.balance_transaction" in expand and obj.get("balance_transaction"):
            obj["balance_transaction"] = copy.deepcopy(self.balance_transactions[obj["balance_transaction"]])
        if "data.charge" in expand and isinstance(obj.get("charge"), str):
            charge = copy.deepcopy(next(c for c in self.charges if c["id"] == obj["charge"]))
            if "data.charge.balance_transaction" in expand and charge.get("balance_transaction"):
                charge["balance_transaction"] = copy.deepcopy(
                    self.balance_transactions[charge["balance_transaction"]]
                )
            obj["charge"] = charge
        return obj
