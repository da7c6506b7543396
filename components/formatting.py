"""Numbers formatted for their unit and the workspace's currency (one place, used everywhere)."""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "MXN": "MX$",
    "CHF": "CHF ",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "PLN": "PLN ",
}
ZERO_DECIMAL_DISPLAY = {"JPY", "KRW"}


def currency_symbol(currency: str) -> str:
    """The symbol (or code and a space) shown before amounts."""
    return CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")


def format_value(value: float | None, unit: str, currency: str = "USD", *, compact: bool = False) -> str:
    """Format ``value`` for display: ``$12,345.67``, ``1,234``, ``3.2%``, ``2.41×``, or ``—`` when missing.

    ``compact`` gives short forms for small screens and KPI cards: ``$12.3k``, ``1.2M``.
    """
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "multiple":  # ROAS: conversion value per unit of spend, e.g. 2.41×
        return f"{value:,.2f}×"
    if unit == "duration":
        return f"{value:,.1f} d"
    if unit == "currency":
        sign = "-" if value < 0 else ""
        symbol = currency_symbol(currency)
        if compact and abs(value) >= 10_000:
            return f"{sign}{symbol}{_compact(abs(value))}"
        decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY or (compact and abs(value) >= 1000) else 2
        return f"{sign}{symbol}{abs(value):,.{decimals}f}"
    if compact and abs(value) >= 10_000:
        return _compact(value)
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"


def format_delta(value: float | None, compare: float | None) -> tuple[str, float | None]:
    """The relative change as text (``+12.3%``) and as a number, or ``—`` without a base."""
    if value is None or compare is None or compare == 0:
        return "—", None
    change = (value - compare) / abs(compare)
    return f"{change * 100:+.1f}%", change


def _compact(value: float) -> str:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}{suffix}"
    return f"{value:,.0f}"
