"""Stripe API connector: charges -> payments, customers -> customers, subscriptions -> subscriptions.

Stripe lists are ``{object: "list", data, has_more}``, newest first, paged with ``limit`` (<= 100)
and ``starting_after`` = the last id of the previous page. Amounts are integers in MINOR units
(zero-decimal currencies such as JPY are whole units already); ``created`` is Unix seconds.

Why charges rather than balance transactions: a charge id (``ch_…``/``py_…``) is what the
Payments export calls ``id``, so file and API rows upsert onto each other; the fee and net come
from the charge's expanded ``balance_transaction``.

Cross-currency charges: when a charge's currency differs from the account's settlement
currency, its balance transaction states ``amount``/``fee``/``net`` in the settlement currency
and ``exchange_rate`` (charge amount x exchange_rate = settled amount, in major units). The
row keeps the charge's own ``amount``/``currency``; when the settlement currency is the
workspace's reporting currency, the settled amounts are the reporting amounts (what the owner's
Stripe balance shows), like the Payments export's ``Converted Amount`` columns.

Refunds stay on their charge's row (``amount_refunded`` = Stripe's, the row dated by the charge),
as the Payments export has them, so a file import and an API sync of the same charge write the
same row. Its ``refunded_reporting`` is what each refund's OWN balance transaction took from the
balance, at the rate of the refund's day (``_stripe_refunds``), not the charge's rate.

Incremental sync (state)::

    {"charges_created": 1718000000,   # high-water mark of charge.created seen
     "customers_created": 1718000000, # same for customers
     "refunds_created": 1718000000,   # same for refunds (see below)
     "estimated_charges": ["ch_…"]}   # charges with a refund not yet settled (only when any)

Each list is re-read from ``created[gte] = mark - OVERLAP_SECONDS`` (upserts make the overlap
harmless; it covers objects that become visible in the list a little after their timestamp).
Refunds are listed first (``/v1/refunds`` since the refunds mark, expanding
``data.balance_transaction``) and held by charge until the charge's row is written. A refund
changes an OLD charge, which a created-filter would never see again, so later syncs also expand
``data.charge`` and ``data.charge.balance_transaction`` (three levels, within Stripe's four) and
re-emit those charges. A charge whose ``amount_refunded`` exceeds the refunds the sync listed for
it (refunds from before the mark) gets its refunds listed by charge (``/v1/refunds?charge=``).
Refunds are not read from the charge's ``refunds`` list: API versions since 2022-11-15 omit it
unless expanded, and the embedded list stops at ten refunds.

A refund Stripe has not moved the money of yet (``pending``: ``balance_transaction`` null) is
counted at the charge's rate, an estimate. Neither list above shows that refund again once it
settles (it keeps its ``created``), so the charges whose rows carry such an estimate are kept in
``estimated_charges``; every later sync lists their refunds by charge (expanding each refund's
balance transaction, and the charge with its own, to re-emit the row) until each refund has its
balance transaction, or failed and left ``amount_refunded``.
Subscriptions change status long after creation and are few, so they are re-read in full.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from data.connectors.base import Chunk

from ._keys import email_hash
from ._stripe_refunds import (
    Refund,
    RefundLedger,
    estimated,
    incomplete,
    read_refund,
    refund_fees,
    settled_refunds,
)
from ._values import CENT, ChunkBuilder, currency_code, dig, field, from_unix, minor_to_major, text, to_int
from .connector import ApiConnector, CredentialField, SyncOptions

OVERLAP_SECONDS = 300
MAX_PAGE = 100

#: Stripe subscription status -> canonical status
SUBSCRIPTION_STATUS = {
    "active": "active",
    "trialing": "trialing",
    "past_due": "past_due",
    "unpaid": "past_due",
    "incomplete": "past_due",  # first payment not through yet: not (yet) revenue
    "incomplete_expired": "ended",
    "canceled": "canceled",
    # Paused subscriptions bill nothing; when resumed the next sync upserts them back to active.
    "paused": "canceled",
}

#: months per billing interval unit, to normalise an interval's amount to MRR
MONTHS_PER = {"day": Decimal(12) / Decimal(365), "week": Decimal(12) / Decimal(52), "month": 1, "year": 12}


class StripeConnector(ApiConnector):
    """Stripe: payments (charges), customers and subscription items, incrementally by ``created``."""

    SOURCE = "stripe"
    LABEL = "Stripe"
    DEFAULT_BASE_URL = "https://api.stripe.com"
    AUTH_HINT = ("API key", "secret key")
    TABLES = ("payments", "customers", "subscriptions")
    ACCOUNT_FIELDS = ("secret_key",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "secret_key",
            "Secret key",
            secret=True,
            help="A secret key (sk_live_…) or a restricted key (rk_live_…) with read access to "
            "Charges, Refunds, Customers and Subscriptions. Dashboard → Developers → API keys.",
        ),
    )

    def auth_headers(self) -> dict[str, str]:
        """Stripe takes the secret key as the Basic-auth user name with an empty password."""
        token = base64.b64encode(f"{self.credentials['secret_key']}:".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def test_connection(self) -> str:
        """List one charge: cheap, and needs the same permission as the sync."""
        self.http.get_json(self.url("/v1/charges"), params={"limit": 1}, headers=self.auth_headers())
        mode = "live" if "_live_" in self.credentials["secret_key"] else "test"
        return f"Connected to Stripe ({mode} mode)."

    # ------------------------------------------------------------------------------------------
    def pages(self, path: str, params: list[tuple[str, Any]], page_size: int) -> Iterator[list[dict]]:
        """Every page of a Stripe list endpoint, following ``has_more``/``starting_after``."""
        after: str | None = None
        while True:
            query = [*params, ("limit", page_size)]
            if after:
                query.append(("starting_after", after))
            body = self.http.get_json(self.url(path), params=query, headers=self.auth_headers())
            data = body.get("data") or []
            yield data
            if not body.get("has_more") or not data:
                return
            after = data[-1]["id"]

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield payments, customers, then subscriptions chunks (one chunk per page)."""
        self.new_state = dict(state)
        new_state = dict(state)
        started = int(time.time())
        page_size = options.page(MAX_PAGE, MAX_PAGE)
        first_start = int(dt.datetime.combine(options.first_start(), dt.time(), dt.UTC).timestamp())
        until: list[tuple[str, Any]] = []
        if options.end:
            end = dt.datetime.combine(options.end + dt.timedelta(days=1), dt.time(), dt.UTC)
            until = [("created[lt]", int(end.timestamp()))]

        def since(key: str) -> int:
            mark = state.get(key)
            return first_start if mark is None else max(0, int(mark) - OVERLAP_SECONDS)

        payments = ChunkBuilder("payments", self.SOURCE)
        reporting = options.reporting_currency

        # Refunds first, each with its own balance transaction: the charges below carry them.
        # Up to now whatever the end asked for: a refund made after the end still refunds a
        # charge of the range.
        ledger = RefundLedger()
        late = "refunds_created" in state
        late_charges: dict[str, dict] = {}
        #: charge id -> whether its row, as emitted by this sync, estimates a refund
        emitted: dict[str, bool] = {}
        add_charge = partial(self._add_charge, payments, ledger, reporting=reporting, page_size=page_size)
        mark = state.get("refunds_created")
        params = [("created[gte]", since("refunds_created")), ("expand[]", "data.balance_transaction")]
        if late:  # a first sync lists the charges themselves below
            params += [("expand[]", "data.charge"), ("expand[]", "data.charge.balance_transaction")]
        for page in self.pages("/v1/refunds", params, page_size):
            for refund in page:
                ledger.add(refund)
                mark = max(int(mark or 0), int(refund.get("created") or 0))
                charge = refund.get("charge")
                if late and isinstance(charge, dict) and charge.get("id"):
                    late_charges[charge["id"]] = charge
        # a first sync that found no refunds: the list was complete up to now
        new_state["refunds_created"] = started if mark is None else mark

        # Payments: charges created since the mark, with the balance transaction for fee/net.
        mark = state.get("charges_created")
        params = [
            ("created[gte]", since("charges_created")),
            *until,
            ("expand[]", "data.balance_transaction"),
        ]
        for page in self.pages("/v1/charges", params, page_size):
            for charge in page:
                emitted[str(charge.get("id"))] = add_charge(charge)
                late_charges.pop(charge.get("id"), None)
                mark = max(int(mark or 0), int(charge.get("created") or 0))
            if chunk := payments.flush():
                yield chunk
        new_state["charges_created"] = mark if mark is not None else first_start

        # Late refunds of older charges: re-emit the refunded charge so its refunds/status update.
        for charge in late_charges.values():
            emitted[str(charge.get("id"))] = add_charge(charge)
        if chunk := payments.flush():
            yield chunk

        # Charges an earlier sync estimated a refund of and this one has not re-read: their
        # refunds again, by charge, until the estimate is replaced by Stripe's own numbers.
        for charge_id in sorted(set(state.get("estimated_charges") or ()) - set(emitted)):
            charge, refunds = self._charge_with_refunds(charge_id, page_size)
            if charge is not None:
                emitted[charge_id] = add_charge(charge, refunds=refunds)
            if chunk := payments.flush():
                yield chunk
        new_state.pop("estimated_charges", None)
        if still := sorted(charge_id for charge_id, estimate in emitted.items() if estimate):
            new_state["estimated_charges"] = still

        customers = ChunkBuilder("customers", self.SOURCE)
        mark = state.get("customers_created")
        for page in self.pages(
            "/v1/customers", [("created[gte]", since("customers_created")), *until], page_size
        ):
            for customer in page:
                customers.add(customer.get("id"), self.map_customer, customer)
                mark = max(int(mark or 0), int(customer.get("created") or 0))
            if chunk := customers.flush():
                yield chunk
        new_state["customers_created"] = mark if mark is not None else first_start

        # status=all: the default list omits canceled subscriptions, which churn metrics need.
        subscriptions = ChunkBuilder("subscriptions", self.SOURCE)
        for page in self.pages("/v1/subscriptions", [("status", "all")], page_size):
            for sub in page:
                subscriptions.add(sub.get("id"), self.map_subscription, sub)
            if chunk := subscriptions.flush():
                yield chunk

        self.new_state = new_state

    def _add_charge(
        self,
        payments: ChunkBuilder,
        ledger: RefundLedger,
        charge: dict,
        reporting: str | None,
        page_size: int,
        refunds: list[Refund] | None = None,
    ) -> bool:
        """Emit one charge with the refunds the sync listed for it (all of them, see below).

        ``refunds`` are the charge's refunds when the caller listed them already (else the
        ledger's). Returns whether the row estimates a refund without a balance transaction
        (:func:`estimated`), so a later sync re-reads it.
        """
        charge_id = charge.get("id")
        taken = ledger.take(str(charge_id))
        refunds = taken if refunds is None else refunds
        if charge_id and incomplete(charge, refunds):
            # The charge says more was refunded than the sync's refund list held (refunds from
            # before the refunds mark, or made after that list was read): list its refunds by
            # charge, so each counts at its own rate rather than the charge's.
            params = [("charge", charge_id), ("expand[]", "data.balance_transaction")]
            listed = {}
            for page in self.pages("/v1/refunds", params, page_size):
                for refund in page:
                    if (read := read_refund(refund)) is not None:
                        listed[read.id] = read
            refunds = list(listed.values())
        mapper = partial(self.map_charge, reporting_currency=reporting, refunds=refunds)
        payments.add(charge_id, mapper, charge, ("id", "amount", "currency"))
        return bool(charge_id) and estimated(charge, refunds)

    def _charge_with_refunds(self, charge_id: str, page_size: int) -> tuple[dict | None, list[Refund]]:
        """A charge (with its balance transaction) and all its refunds, each with its own.

        Listed by charge, expanding ``data.charge`` too (three levels, within Stripe's four): a
        refund of a charge carries the charge, so one list gives the row's every input. None
        when Stripe lists no refund of the charge any more (nothing left to correct).
        """
        params = [
            ("charge", charge_id),
            ("expand[]", "data.balance_transaction"),
            ("expand[]", "data.charge"),
            ("expand[]", "data.charge.balance_transaction"),
        ]
        charge: dict | None = None
        listed: dict[str, Refund] = {}
        for page in self.pages("/v1/refunds", params, page_size):
            for refund in page:
                if charge is None and isinstance(refund.get("charge"), dict):
                    charge = refund["charge"]
                if (read := read_refund(refund)) is not None:
                    listed[read.id] = read
        return charge, list(listed.values())

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def map_charge(
        charge: dict,
        reporting_currency: str | None = None,
        refunds: Sequence[Refund] = (),
    ) -> dict:
        """One Stripe charge -> one canonical payments row (major units, canonical status).

        A charge settled in another currency keeps its own amount and currency; its settled
        amounts become the reporting amounts when they are in ``reporting_currency``.
        ``refunds`` are the charge's refunds with their own balance transactions
        (:func:`read_refund`): what they took from the balance is the refunded
        reporting money; the part of ``amount_refunded`` they do not cover is estimated at the
        charge's rate.
        """
        cur = field("currency", currency_code, charge.get("currency"))
        if cur is None:
            raise ValueError("currency: missing")
        amount = field("amount", lambda v: minor_to_major(v, cur), charge.get("amount"))
        if amount is None:
            raise ValueError("amount: missing")
        refunded = field(
            "amount_refunded", lambda v: minor_to_major(v, cur), charge.get("amount_refunded") or 0
        )
        status = charge.get("status")
        if status == "failed":
            status = "failed"
        elif status == "pending" or (status == "succeeded" and charge.get("captured") is False):
            status = "pending"  # an uncaptured authorisation is not revenue yet
        elif charge.get("refunded"):
            status = "refunded"
        else:
            status = "succeeded"

        fee = None
        rate = None
        reporting: dict[str, Decimal | None] = {}
        bt = charge.get("balance_transaction")
        if isinstance(bt, dict):
            bt_currency = currency_code(bt.get("currency"))
            fee = field("fee", lambda v: minor_to_major(v, bt_currency), bt.get("fee"))
            if bt_currency and bt_currency != cur:
                rate = _charge_rate(bt, bt_currency, amount)
                reporting = _settled(bt, bt_currency, cur, refunded, fee, rate, refunds, reporting_currency)
                # The fee is charged in the settlement currency; bring it back at the charge's rate.
                fx = Decimal(str(bt.get("exchange_rate") or 0))
                fee = (fee / fx).quantize(CENT, rounding=ROUND_HALF_UP) if fee is not None and fx else None
        # Same conventions as the Payments-export parser (data/connectors/stripe.py), so file and API
        # rows of one charge agree: an unknown fee counts as 0, and a failed charge nets 0.
        if fee is None:
            fee = Decimal("0.00")
        # Fees Stripe gives back with a refund (its balance transaction's negative fee) are stored
        # like the charge's own fee: the row's fee is what the charge cost in fees all told, in
        # the charge's currency (each refund's part back at the refund's own rate), fee_reporting
        # the settlement currency's (in _settled), and net = amount - refunded - fee as before.
        # The Payments export's Fee column has only the charge's fee.
        fee += refund_fees(refunds, cur, rate)
        net = Decimal("0.00") if status == "failed" else amount - refunded - fee

        billing = charge.get("billing_details") or {}
        customer = charge.get("customer")
        if isinstance(customer, dict):
            customer = customer.get("id")
        email = text(billing.get("email")) or text(charge.get("receipt_email"))
        metadata = charge.get("metadata") or {}
        description = text(charge.get("description"))
        return {
            "source_id": charge["id"],
            "created": field("created", from_unix, charge.get("created")),
            "kind": "charge",
            "status": status,
            "amount": amount,
            "amount_refunded": refunded,
            "fee": fee,
            "net": net,
            "currency": cur,
            # Guest payments have no customer object; the export parser falls back to the email hash too.
            "customer_id": text(customer) or email_hash(email),
            "customer_email_hash": email_hash(email),
            "customer_name": text(billing.get("name")),
            "product": text(metadata.get("product")) or description,
            "campaign": text(metadata.get("utm_campaign")),
            "country": text(dig(billing, "address", "country"))
            or text(dig(charge, "payment_method_details", "card", "country")),
            "description": description,
            **reporting,
        }

    @staticmethod
    def map_customer(customer: dict) -> dict:
        """One Stripe customer -> one canonical customers row."""
        email = text(customer.get("email"))
        return {
            "source_id": customer["id"],
            "email": email,
            "email_hash": email_hash(email),
            "name": text(customer.get("name")),
            "country": text(dig(customer, "address", "country"))
            or text(dig(customer, "shipping", "address", "country")),
            "first_seen": field("first_seen", from_unix, customer.get("created")),
        }

    @staticmethod
    def map_subscription(sub: dict) -> list[dict]:
        """One Stripe subscription -> one canonical row per subscription item.

        The first item (oldest) keeps the subscription id as source_id, so a single-item
        subscription matches the Subscriptions export's ``id``; further items get ``sub_id/si_id``.
        Discounts and metered usage are not reflected in ``amount``/``mrr``.
        """
        items = sorted(
            dig(sub, "items", "data", default=[]), key=lambda i: (i.get("created") or 0, i.get("id"))
        )
        if not items:
            raise ValueError("no subscription items")
        customer = sub.get("customer")
        if isinstance(customer, dict):
            customer = customer.get("id")
        status = SUBSCRIPTION_STATUS.get(sub.get("status") or "", "active")
        rows = []
        for index, item in enumerate(items):
            price = item.get("price") or item.get("plan") or {}
            cur = currency_code(price.get("currency"))
            quantity = field("quantity", to_int, item.get("quantity"))
            quantity = 1 if quantity is None else quantity
            unit = price.get("unit_amount")
            if unit is None:
                unit = price.get("unit_amount_decimal") or price.get("amount")
            per_interval = field(
                "amount", partial(minor_to_major, currency=cur), Decimal(str(unit)) * quantity
            )
            recurring = price.get("recurring") or {}
            interval = recurring.get("interval") or price.get("interval") or "month"
            count = to_int(recurring.get("interval_count") or price.get("interval_count")) or 1
            if interval not in MONTHS_PER:
                raise ValueError(f"interval: unknown {interval!r}")
            mrr = (per_interval / (Decimal(MONTHS_PER[interval]) * count)).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            product = price.get("product")
            if isinstance(product, dict):
                product = product.get("name") or product.get("id")
            rows.append(
                {
                    "source_id": sub["id"] if index == 0 else f"{sub['id']}/{item.get('id')}",
                    "customer_id": text(customer),
                    "plan": text(price.get("nickname")) or text(product) or text(price.get("id")),
                    "status": status,
                    "interval": interval,
                    "interval_count": count,
                    "quantity": quantity,
                    "amount": per_interval,
                    "currency": cur,
                    "mrr": mrr,
                    "start_at": field("start_at", from_unix, sub.get("start_date") or sub.get("created")),
                    "end_at": field("end_at", from_unix, sub.get("ended_at")),
                    "trial_end_at": field("trial_end_at", from_unix, sub.get("trial_end")),
                }
            )
        return rows


def _charge_rate(bt: dict, bt_currency: str, amount: Decimal) -> Decimal | None:
    """The charge's exchange rate: its balance transaction's, else settled / charged."""
    rate = Decimal(str(bt.get("exchange_rate") or 0))
    if rate:
        return rate
    settled = field("amount", lambda v: minor_to_major(v, bt_currency), bt.get("amount"))
    return settled / amount if settled is not None and amount else None


def _settled(
    bt: dict,
    bt_currency: str,
    currency: str,
    refunded: Decimal,
    fee: Decimal | None,
    rate: Decimal | None,
    refunds: Sequence[Refund],
    reporting_currency: str | None,
) -> dict[str, Decimal | None]:
    """The reporting amounts of a charge settled in ``bt_currency`` (empty unless that is the reporting currency).

    ``amount_reporting`` and ``fee_reporting`` are the balance transaction's own. The charge's
    balance transaction does not cover later refunds: each has its own, at the rate of its day,
    and ``refunded_reporting`` is what those took (:func:`settled_refunds`), the
    Payments export's ``Converted Amount Refunded``.
    """
    if not reporting_currency or bt_currency != reporting_currency.upper():
        return {}  # settled in a third currency: the workspace's FX table converts the charge
    settled = field("amount", lambda v: minor_to_major(v, bt_currency), bt.get("amount"))
    if settled is None:
        return {}
    money, fees = settled_refunds(refunds, refunded, currency, bt_currency, rate or Decimal(0))
    return {
        "amount_reporting": settled,
        "refunded_reporting": money,
        "fee_reporting": (fee if fee is not None else Decimal("0.00")) + fees,
    }
