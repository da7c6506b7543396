"""Stripe refunds as refund lines (``data.connectors.base.REFUND_CONTRACT``, shape 2).

Each Stripe refund has its own balance transaction, made on the refund's day at that day's
exchange rate: ``amount`` (negative: money leaving the balance), ``fee`` and ``net`` in the
settlement currency, ``exchange_rate`` (refund amount x rate = settled amount). A refund line
is dated by the refund's ``created`` and, when the settlement currency is the workspace's
reporting currency, its reporting money is that balance transaction's, as Stripe's balance
shows it, so a refund made weeks after a foreign-currency charge is not counted at the charge's
rate or on the charge's day.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ._keys import email_hash
from ._values import CENT, currency_code, dig, field, from_unix, minor_to_major, text

#: refunds whose money never left (or came back to) the balance; Stripe takes them out of the
#: charge's ``amount_refunded`` too
NOT_REFUNDED = frozenset({"failed", "canceled"})
ZERO = Decimal("0.00")


def charge_details(charge: dict) -> dict:
    """The customer, product, campaign, country and description columns of a charge's rows."""
    billing = charge.get("billing_details") or {}
    customer = charge.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    email = text(billing.get("email")) or text(charge.get("receipt_email"))
    metadata = charge.get("metadata") or {}
    description = text(charge.get("description"))
    return {
        # Guest payments have no customer object; the export parser falls back to the email hash too.
        "customer_id": text(customer) or email_hash(email),
        "customer_email_hash": email_hash(email),
        "customer_name": text(billing.get("name")),
        "product": text(metadata.get("product")) or description,
        "campaign": text(metadata.get("utm_campaign")),
        "country": text(dig(billing, "address", "country"))
        or text(dig(charge, "payment_method_details", "card", "country")),
        "description": description,
    }


def map_refund(
    refund: dict, charge: dict | None = None, reporting_currency: str | None = None
) -> dict | None:
    """One Stripe refund -> one refund line (kind ``refund``), or None when it refunds no charge.

    ``charge`` is the refunded charge when ``refund.charge`` is not expanded (a refund listed
    by its charge); its balance transaction is the fallback rate, see below.
    """
    if isinstance(refund.get("charge"), dict):
        charge = refund["charge"]
    if charge is None and not refund.get("charge"):
        return None  # e.g. a refund of a customer's cash balance: no payment of ours is refunded
    charge = charge or {}
    cur = field("currency", currency_code, refund.get("currency") or charge.get("currency"))
    if cur is None:
        raise ValueError("currency: missing")
    amount = field("amount", lambda v: minor_to_major(v, cur), refund.get("amount"))
    if amount is None:
        raise ValueError("amount: missing")
    status = "failed" if refund.get("status") in NOT_REFUNDED else "refunded"

    fee = ZERO
    reporting: dict[str, Decimal] = {}
    bt = refund.get("balance_transaction")
    if isinstance(bt, dict):
        bt_currency = currency_code(bt.get("currency"))
        bt_fee = field("fee", lambda v: minor_to_major(v, bt_currency), bt.get("fee")) or ZERO
        fee = bt_fee
        if bt_currency and bt_currency != cur:
            rate = Decimal(str(bt.get("exchange_rate") or 0))
            # the fee change is in the settlement currency: back to the refund's at its own rate
            fee = (bt_fee / rate).quantize(CENT, rounding=ROUND_HALF_UP) if rate else ZERO
            settled = field("amount", lambda v: minor_to_major(v, bt_currency), bt.get("amount"))
            if settled is not None and _is_reporting(bt_currency, reporting_currency):
                # negative in the balance (money sent back); a refund line's money is positive
                reporting = {
                    "amount_reporting": -settled,
                    "refunded_reporting": ZERO,
                    "fee_reporting": bt_fee,
                }
    else:
        # No balance transaction of its own (not expanded, or Stripe has not made it yet): the
        # charge's exchange rate is the best estimate there is, so the refunded money converts
        # at it. A sync that lists the refund again once it has one (within the look-back over
        # the mark, or a full re-sync) replaces the estimate.
        reporting = _at_charge_rate(charge, cur, amount, reporting_currency)
    net = ZERO if status == "failed" else -amount - fee
    return {
        "source_id": refund["id"],
        "created": field("created", from_unix, refund.get("created")),
        "kind": "refund",
        "status": status,
        "amount": amount,
        "amount_refunded": ZERO,  # REFUND_CONTRACT: a refund line's money is in amount
        "fee": fee,
        "net": net,
        "currency": cur,
        **charge_details(charge),
        **reporting,
    }


def _is_reporting(currency: str, reporting_currency: str | None) -> bool:
    return bool(reporting_currency) and currency == reporting_currency.upper()


def _at_charge_rate(charge: dict, cur: str, amount: Decimal, reporting_currency: str | None) -> dict:
    """Reporting money of a refund without a balance transaction, at its charge's exchange rate."""
    bt = charge.get("balance_transaction")
    if not isinstance(bt, dict):
        return {}
    bt_currency = currency_code(bt.get("currency"))
    if not bt_currency or bt_currency == cur or not _is_reporting(bt_currency, reporting_currency):
        return {}  # same currency (nothing to convert) or a third one (the FX table converts)
    rate = Decimal(str(bt.get("exchange_rate") or 0))
    if not rate:
        settled = minor_to_major(bt.get("amount"), bt_currency)
        charged = minor_to_major(charge.get("amount"), cur)
        if not settled or not charged:
            return {}
        rate = settled / charged
    return {
        "amount_reporting": (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        "refunded_reporting": ZERO,
        "fee_reporting": ZERO,
    }


class RefundLedger:
    """The refunds one sync has emitted as refund lines, per charge, in minor units.

    A charge row carries in ``amount_refunded`` only what its refund lines do not (normally
    nothing), so no refund is counted twice nor left out; ``missing`` says when a charge's
    refunds must be listed by charge because the sync's refund list did not have them all.
    """

    def __init__(self) -> None:
        self.emitted: set[str] = set()
        self._refunded: dict[str, int] = {}

    def note(self, refund: dict) -> bool:
        """Record a refund about to be emitted; False when this sync emitted it already."""
        refund_id = refund.get("id")
        if not refund_id or refund_id in self.emitted:
            return False
        self.emitted.add(refund_id)
        charge = refund.get("charge")
        charge_id = charge.get("id") if isinstance(charge, dict) else charge
        if charge_id and refund.get("status") not in NOT_REFUNDED:
            self._refunded[charge_id] = self._refunded.get(charge_id, 0) + int(refund.get("amount") or 0)
        return True

    def as_lines(self, charge_id: str) -> int:
        """Minor units of the charge's refunds emitted as refund lines so far."""
        return self._refunded.get(charge_id, 0)

    def missing(self, charge: dict) -> bool:
        """Whether the charge says more was refunded than its refund lines of this sync hold."""
        try:
            refunded = int(charge.get("amount_refunded") or 0)
        except (TypeError, ValueError):
            return False  # the charge's own mapping reports the bad value
        return refunded > self.as_lines(str(charge.get("id")))
