"""Stripe refunds, kept on their charge's row and settled at their own exchange rates.

A charge's row carries its refunds (``data.connectors.base.REFUND_CONTRACT`` shape 1), as the
Payments export's row of the same charge does, so an API sync and a file import of one account
write the same rows and a refund counts once whichever wrote last. ``amount_refunded`` is
Stripe's ``charge.amount_refunded`` and the row is dated by the charge.

What each refund took from the balance is its OWN balance transaction's, made on the refund's
day at that day's rate: ``amount`` (negative: money sent back), ``fee`` (the fee change,
negative when Stripe gives fees back) in the settlement currency, and ``exchange_rate`` (refund
amount x rate = settled amount). A euro refund made weeks after its charge costs the balance
what the euro cost that day, not what it cost on the charge's day; the charge's rate is only
the estimate for a refund without a balance transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ._values import CENT, currency_code, minor_to_major

#: refunds whose money never left (or came back to) the balance; Stripe leaves them out of the
#: charge's ``amount_refunded`` too
NOT_REFUNDED = frozenset({"failed", "canceled"})
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Refund:
    """What one refund took from the balance, as its own balance transaction says.

    ``minor`` is the refund in the charge's currency (minor units). ``currency`` is the
    balance transaction's (settlement) currency, None without one; ``settled`` (money sent
    back, positive) and ``fee`` are in that currency, major units; ``rate`` is its
    ``exchange_rate`` (None when Stripe gives none: nothing was converted). ``unsettled``: the
    refund has no balance transaction yet (``null`` until Stripe moves the money).
    """

    id: str
    charge: str
    minor: int
    currency: str | None = None
    settled: Decimal | None = None
    fee: Decimal = ZERO
    rate: Decimal | None = None
    unsettled: bool = False


def read_refund(refund: dict) -> Refund | None:
    """One Stripe refund object -> :class:`Refund`; None when it refunds no charge's money.

    Failed and canceled refunds sent nothing back; a refund of a customer's cash balance has
    no charge. A refund whose values cannot be read is left out too: its charge's
    ``amount_refunded`` still holds it, and :func:`settled_refunds` estimates it at the charge's
    rate like a refund without a balance transaction.
    """
    charge = refund.get("charge")
    charge_id = charge.get("id") if isinstance(charge, dict) else charge
    if not refund.get("id") or not charge_id or refund.get("status") in NOT_REFUNDED:
        return None
    try:
        minor = int(refund["amount"])
    except (KeyError, TypeError, ValueError):
        return None
    bt = refund.get("balance_transaction")
    if not isinstance(bt, dict):
        return Refund(str(refund["id"]), str(charge_id), minor, unsettled=bt is None)
    try:
        bt_currency = currency_code(bt.get("currency"))
        amount = minor_to_major(bt.get("amount"), bt_currency)
        # negative in the balance (money sent back): the refunded money is positive
        settled = -amount if amount is not None else None
        fee = minor_to_major(bt.get("fee"), bt_currency) or ZERO
        rate = Decimal(str(bt["exchange_rate"])) if bt.get("exchange_rate") else None
    except (TypeError, ValueError, ArithmeticError):
        return Refund(str(refund["id"]), str(charge_id), minor)
    return Refund(str(refund["id"]), str(charge_id), minor, bt_currency, settled, fee, rate)


def refunded_minor(charge: dict) -> int:
    """Stripe's ``amount_refunded`` of a charge (minor units); 0 when unreadable (its mapping reports it)."""
    try:
        return int(charge.get("amount_refunded") or 0)
    except (TypeError, ValueError):
        return 0


class RefundLedger:
    """The refunds one sync has listed, by charge, until their charge's row is written."""

    def __init__(self) -> None:
        self._by_charge: dict[str, dict[str, Refund]] = {}

    def add(self, refund: dict) -> None:
        """Record one listed refund (a refund listed twice counts once)."""
        if (read := read_refund(refund)) is not None:
            self._by_charge.setdefault(read.charge, {})[read.id] = read

    def take(self, charge_id: str) -> list[Refund]:
        """The refunds listed for ``charge_id``, forgotten here (its row is being written)."""
        return list(self._by_charge.pop(charge_id, {}).values())


def incomplete(charge: dict, refunds: Iterable[Refund]) -> bool:
    """Whether the charge says more was refunded than ``refunds`` hold (some were not listed)."""
    return refunded_minor(charge) > sum(r.minor for r in refunds)


def estimated(charge: dict, refunds: Iterable[Refund]) -> bool:
    """Whether one of the charge's refunds has no balance transaction yet (Stripe has not moved its money).

    Such a refund is estimated (:func:`settled_refunds`: at the charge's rate; any fee Stripe
    gives back with it unknown) until its ``balance_transaction``, null while it is pending,
    appears. Only a charge with a balance transaction of its own settles anything, so only such
    a charge carries an estimate that waiting corrects (refunds that could not be read, or
    ``amount_refunded`` without refunds to cover it, do not settle later: no re-read for those).
    """
    return isinstance(charge.get("balance_transaction"), dict) and any(r.unsettled for r in refunds)


def _rate(refund: Refund, charge_rate: Decimal | None) -> Decimal | None:
    return refund.rate or charge_rate


def refund_fees(refunds: Sequence[Refund], currency: str, charge_rate: Decimal | None) -> Decimal:
    """The refunds' fee changes in the charge's ``currency``, each back at its own rate.

    Stored like the charge's own fee: the settlement-currency fee brought back to the charge's
    currency at the rate of the balance transaction that took it (here the refund's).
    """
    total = ZERO
    for refund in refunds:
        if not refund.fee:
            continue
        if refund.currency in (None, currency):
            total += refund.fee
        elif rate := _rate(refund, charge_rate):
            total += (refund.fee / rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return total


def settled_refunds(
    refunds: Sequence[Refund],
    refunded: Decimal,
    currency: str,
    settlement: str,
    charge_rate: Decimal,
) -> tuple[Decimal, Decimal]:
    """(refunded money, fee changes) of a charge's refunds in its ``settlement`` currency.

    Each refund counts with what its own balance transaction took from the balance; one that
    gives no amount, with its own ``exchange_rate``. ``refunded`` (the charge's
    ``amount_refunded``, major units) minus the refunds counted so is converted at the charge's
    rate: refunds without a balance transaction (Stripe has not moved the money yet) or that
    the sync could not read. That estimate is the best there is until the money moves: the
    connector remembers charges that carry one (:func:`estimated`) and re-reads their refunds
    on every later sync until each has its balance transaction.
    """
    money = fees = covered = ZERO
    for refund in refunds:
        if refund.currency != settlement:
            continue  # no balance transaction of its own: in the estimate below
        major = minor_to_major(refund.minor, currency)
        if refund.settled is not None:
            money += refund.settled
        elif refund.rate:
            money += (major * refund.rate).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            continue
        covered += major
        fees += refund.fee
    rest = max(ZERO, refunded - covered)
    return money + (rest * charge_rate).quantize(CENT, rounding=ROUND_HALF_UP), fees
