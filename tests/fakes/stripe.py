"""Fake Stripe API: charges, refunds, customers, subscriptions as documented list endpoints.

Lists are ``{object: "list", url, has_more, data}``, newest first (created desc), ``limit`` 1..100
(anything else is a 400 like Stripe's), ``starting_after``/``ending_before`` cursors,
``created[gte|gt|lte|lt]`` filters, refunds filtered by ``charge``. Subscriptions hide canceled
ones unless ``status=all``. The secret key must be the Basic-auth user.

``expand[]`` works as Stripe documents it: paths on a list start with ``data``; an id field
(``balance_transaction``, ``charge``) becomes its object, expanding its parents on the way
(``data.charge.balance_transaction`` alone expands the charge too); a charge's ``refunds``,
which API versions since 2022-11-15 leave out, appears only when expanded (a list object of
up to 10 refunds, ``has_more`` beyond). More than four levels, or a field that cannot be
expanded, is a 400 ``invalid_request_error`` like Stripe's.

A charge settled in another currency (``bt_currency`` with ``exchange_rate``) gets a balance
transaction as Stripe documents it: ``amount`` = the charge's amount x ``exchange_rate`` in the
settlement currency (rounded to its minor unit), ``fee`` in the settlement currency, ``net`` =
amount - fee. A refund gets its own balance transaction, made on the refund's day at that day's
rate: ``amount`` negative (money sent back), ``type`` ``refund``.
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
        self,
        id: str,
        charge_id: str,
        amount: int,
        created: int,
        *,
        exchange_rate: float | None = None,
        fee: int = 0,
        status: str = "succeeded",
        balance_transaction: bool = True,
    ) -> dict:
        """A refund of an existing charge; updates the charge like Stripe does.

        A refund of a charge settled in another currency is settled at ``exchange_rate`` (the
        rate of the refund's day; default: the charge's rate) in its own balance transaction,
        created on the refund's day; ``fee`` is that transaction's fee (settlement minor units).
        ``balance_transaction=False`` leaves the refund without one (``null``), as Stripe shows
        some refunds before it has moved the money (``status="pending"``; :meth:`settle_refund`
        moves it later). A failed or canceled refund does not count in the charge's
        ``amount_refunded``; a pending one does, as Stripe's does.
        """
        charge = next(c for c in self.charges if c["id"] == charge_id)
        if status not in ("failed", "canceled"):
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        refund = {
            "id": id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": None,
            "charge": charge_id,
            "created": created,
            "currency": charge["currency"],
            "status": status,
        }
        if balance_transaction:
            self._refund_transaction(refund, created, exchange_rate, fee)
        self.refunds.append(refund)
        return refund

    def settle_refund(
        self, refund_id: str, created: int, *, exchange_rate: float | None = None, fee: int = 0
    ) -> dict:
        """A pending refund goes through: ``status`` becomes ``succeeded`` and it gets its balance transaction.

        As Stripe documents the refund object: ``balance_transaction`` is null until the money
        moves, then the id of a ``refund`` balance transaction made that day (at that day's
        ``exchange_rate``); the charge's ``amount_refunded`` already held the pending refund.
        """
        refund = self._by_id("refunds", refund_id)
        refund["status"] = "succeeded"
        self._refund_transaction(refund, created, exchange_rate, fee)
        return refund

    def fail_refund(self, refund_id: str) -> dict:
        """A pending refund fails: ``status`` ``failed``, and its money leaves the charge's ``amount_refunded``."""
        refund = self._by_id("refunds", refund_id)
        refund["status"] = "failed"
        charge = self._by_id("charges", refund["charge"])
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return refund

    def _refund_transaction(self, refund: dict, created: int, exchange_rate: float | None, fee: int) -> None:
        """Give ``refund`` its balance transaction (none when its charge has none)."""
        charge = self._by_id("charges", refund["charge"])
        if not charge["balance_transaction"]:
            return
        paid = self.balance_transactions[charge["balance_transaction"]]
        rate = paid["exchange_rate"] if exchange_rate is None else exchange_rate
        settled = settle(refund["amount"], charge["currency"], paid["currency"], rate)
        bt_id = f"txn_{refund['id']}"
        self.balance_transactions[bt_id] = {
            "id": bt_id,
            "object": "balance_transaction",
            "amount": -settled,
            "currency": paid["currency"],
            "exchange_rate": rate,
            "fee": fee,
            "net": -settled - fee,
            "created": created,
            "type": "refund",
            "status": "available",
        }
        refund["balance_transaction"] = bt_id

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
            if name == "refunds" and (charge := request.param("charge")):
                objects = [o for o in objects if o["charge"] == charge]
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
            page = [copy.deepcopy(o) for o in objects[:limit]]
            for path in request.params("expand[]"):
                parts = path.split(".")
                if len(parts) > MAX_EXPAND_DEPTH:
                    return _invalid(
                        f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. Property: {path}",
                        "expand",
                    )
                try:
                    if parts[0] != "data":  # expansions on a list request start with its data
                        raise _Unexpandable(parts[0])
                    for obj in page:
                        self._expand(obj, parts[1:])
                except _Unexpandable as exc:
                    return _invalid(f"This property cannot be expanded ({exc}).", "expand")
            return Reply(
                200, {"object": "list", "url": f"/v1/{name}", "has_more": len(objects) > limit, "data": page}
            )

        return handle

    def _expand(self, obj: dict, parts: list[str]) -> None:
        """Expand one path (below ``data``) in ``obj``, in place."""
        if not parts:
            return
        name, rest = parts[0], parts[1:]
        if obj.get("object") == "list" and name == "data":
            for item in obj["data"]:
                self._expand(item, rest)
            return
        value = obj.get(name)
        if name == "refunds" and obj.get("object") == "charge":
            if not isinstance(value, dict):
                value = self._charge_refunds(obj["id"])
        elif name in _EXPANDABLE and (value is None or isinstance(value, dict)):
            pass  # nothing to expand, or expanded already by a shorter path
        elif name in _EXPANDABLE and isinstance(value, str):
            value = copy.deepcopy(self._by_id(_EXPANDABLE[name], value))
        else:
            raise _Unexpandable(name)
        obj[name] = value
        if value is not None and rest:
            self._expand(value, rest)

    def _by_id(self, store: str, object_id: str) -> dict:
        objects = getattr(self, store)
        if isinstance(objects, dict):
            return objects[object_id]
        return next(o for o in objects if o["id"] == object_id)

    def _charge_refunds(self, charge_id: str) -> dict:
        """A charge's ``refunds`` as Stripe embeds it when expanded: the first 10, newest first."""
        refunds = sorted(
            (r for r in self.refunds if r["charge"] == charge_id),
            key=lambda r: (r["created"], r["id"]),
            reverse=True,
        )
        return {
            "object": "list",
            "data": copy.deepcopy(refunds[:10]),
            "has_more": len(refunds) > 10,
            "url": f"/v1/charges/{charge_id}/refunds",
        }


#: Stripe's limit on nested expansions ("data.invoice.subscription.default_source" is the deepest)
MAX_EXPAND_DEPTH = 4
#: id fields the fake can expand -> the store holding their objects
_EXPANDABLE = {"balance_transaction": "balance_transactions", "charge": "charges"}


class _Unexpandable(ValueError):
    """A path names a field that is not an expandable id (the message is the field)."""
