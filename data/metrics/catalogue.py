"""The metric catalogue: every number a page, report, export, insight or API shows, defined once.

A metric says what it means (label, description, formula), how to show it (unit, format, whether
up is good, how a change is said) and how to compute it: most are sums of a table's columns,
optionally combined (``ctr = clicks / impressions``; ratios always from the summed parts of
each group, never averaged); MRR is a snapshot at the end of each period; derived metrics
(ARPA, NRR, CAC ...) are computed from other answers by a function in
:mod:`data.metrics.derived`. docs/metrics.md is generated from this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import numpy as np
import polars as pl

from data.metrics import derived
from data.metrics.errors import MetricError


@dataclass(frozen=True)
class Metric:
    """One business metric: what it means, how to show it, how to compute it."""

    name: str
    label: str
    unit: str  # currency | count | ratio (shown as %) | duration | multiple (shown as 2.41×)
    description: str
    formula: str
    up_is_good: bool
    additive: bool
    table: str
    date_column: str
    #: named parts summed per group; ``value`` is computed from them by ``combine``
    parts: dict[str, Callable[[ibis.Table], ibis.Value]]
    combine: pl.Expr = field(default_factory=lambda: pl.col("value"))
    #: dimension name -> column of ``table``
    dimensions: dict[str, str] = field(default_factory=dict)
    row_filter: Callable[[ibis.Table], ibis.Value] | None = None
    snapshot: bool = False  # value at period end (MRR) rather than a sum over the period
    scale: float = 1.0
    #: grain -> (table, period column) holding one row per counted thing and whole period, for a
    #: distinct count: the rows of a whole period are counted instead of a COUNT(DISTINCT)
    #: (whole periods only; a range's partial first and last periods use ``table``)
    period_rollups: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the column a distinct-count metric counts (its "total" can then read whole months from
    #: the "month" period rollup: fewer rows to de-duplicate)
    distinct_column: str | None = None
    #: grain -> (table, period column) of a period rollup like ``period_rollups`` kept per value
    #: of each dimension (columns dim, value): a distinct count with ONE filter reads it ("month"
    #: also serves totals and splits by a dimension)
    dimension_rollups: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: another metric this one is a fixed multiple of (ARR is MRR x ``scale``): a cache may
    #: derive it from that metric's answer instead of computing the same parts twice
    scaled_from: str | None = None
    #: a metric that is not a sum of parts (ARPA, NRR, CAC, open pipeline...) is computed by
    #: a function of :mod:`data.metrics.derived` instead: ``derive(DeriveInput)`` returns a
    #: frame of ``period_index`` (position in ``periods``) and ``value``; a period it leaves
    #: out has no value (null), never a made-up zero
    derive: Callable[..., pl.DataFrame] | None = None
    #: what a ``duration`` counts: "days" (sales cycle) or "months" (CAC payback)
    duration_in: str | None = None
    #: whether its definition lets it go below zero (net revenue after refunds, net MRR churn
    #: when upgrades outweigh losses); counts, money totals and rates cannot, so their normal
    #: ranges, anomaly bands and forecast intervals stop at zero (:meth:`floor`)
    can_be_negative: bool = False

    def floor(self, value):
        """``value`` kept at zero or above when the metric cannot go below zero, else as it is.

        Takes a number or an array (numpy, or anything ``numpy.asarray`` takes, returned as a
        numpy array); None and NaN stay missing. A band of "−$120 to $300" for refunds, which
        cannot be negative, says "$0 to $300".
        """
        if value is None or self.can_be_negative:
            return value
        if isinstance(value, int | float):
            return value if math.isnan(value) else max(value, 0.0)
        return np.maximum(np.asarray(value, dtype=float), 0.0)

    @property
    def format(self) -> str:
        """A d3/Python format spec for the unit (currency symbol is added by the formatter)."""
        return {"currency": ",.2f", "count": ",.0f", "ratio": ".2%", "duration": ",.1f", "multiple": ",.2f"}[
            self.unit
        ]

    @property
    def change_unit(self) -> str:
        """How a change against a comparison is said: ``points`` (percentage points) or ``percent``.

        A ratio that went from 2.8% to 9.6% rose by 6.8 points, not by 243%.
        """
        return "points" if self.unit == "ratio" else "percent"

    @property
    def display_unit(self) -> str:
        """The unit its values are formatted in: ``unit``, except ``months`` for a duration in months.

        ``unit`` stays ``duration`` for both (the CLI and API JSON say so); formatting needs to
        know which, or CAC payback's 3.2 months would read "3.2 days".
        """
        return "months" if self.unit == "duration" and self.duration_in == "months" else self.unit

    @property
    def unit_label(self) -> str | None:
        """The unit a person reads after the number, if any ("days", "months")."""
        return self.duration_in if self.unit == "duration" else None


def _ratio(num: str, den: str, scale: float = 1.0) -> pl.Expr:
    return pl.when(pl.col(den) != 0).then(pl.col(num) / pl.col(den) * scale).otherwise(None)


def _col(name: str) -> Callable[[ibis.Table], ibis.Value]:
    return lambda t: t[name]


PAYMENT_DIMS = {"channel": "channel", "product": "product", "country": "country"}


AD_DIMS = {"platform": "platform", "campaign": "campaign"}


WEB_DIMS = {"channel": "channel", "source": "source_name", "medium": "medium"}


EMAIL_DIMS = {"list": "list_name", "campaign": "title"}


DEAL_DIMS = {"pipeline": "pipeline", "owner": "owner"}


_METRICS: list[Metric] = [
    # -- revenue (from the payments_daily rollup) ----------------------------------------------
    Metric(
        "gross_revenue",
        "Gross revenue",
        "currency",
        "Successful payments (refunded ones included) in the reporting currency, by payment day.",
        "sum(amount) of payments with status succeeded or refunded",
        True,
        True,
        "payments_daily",
        "day",
        {"value": _col("gross")},
        dimensions=PAYMENT_DIMS,
    ),
    Metric(
        "refunds",
        "Refunds",
        "currency",
        # the two shapes of data.connectors.base.REFUND_CONTRACT, as data.rollups dates them
        "Money returned to customers. A refund recorded on its sale (Stripe, Shopify, Gumroad, "
        "Square) counts on the sale's day; a refund that is a line of its own (PayPal refund rows, a "
        "Square refund of a payment from an earlier export, a file's refund rows) counts on its own "
        "day.",
        "sum(amount_refunded) + refund lines",
        False,
        True,
        "payments_daily",
        "day",
        {"value": _col("refunds")},
        dimensions=PAYMENT_DIMS,
    ),
    Metric(
        "net_revenue",
        "Net revenue",
        "currency",
        "Gross revenue minus refunds.",
        "gross_revenue - refunds",
        True,
        True,
        "payments_daily",
        "day",
        {"gross": _col("gross"), "refunds": _col("refunds")},
        combine=pl.col("gross") - pl.col("refunds"),
        dimensions=PAYMENT_DIMS,
        can_be_negative=True,  # a day's refunds of earlier payments can outweigh its sales
    ),
    Metric(
        "fees",
        "Fees",
        "currency",
        "Payment processor fees on successful payments.",
        "sum(fee)",
        False,
        True,
        "payments_daily",
        "day",
        {"value": _col("fees")},
        dimensions=PAYMENT_DIMS,
    ),
    Metric(
        "payments_count",
        "Payments",
        "count",
        "Number of successful payments.",
        "count(successful payments)",
        True,
        True,
        "payments_daily",
        "day",
        {"value": _col("succeeded")},
        dimensions=PAYMENT_DIMS,
    ),
    Metric(
        "average_order_value",
        "Average order value",
        "currency",
        "Gross revenue per successful payment.",
        "gross_revenue / payments_count",
        True,
        False,
        "payments_daily",
        "day",
        {"gross": _col("gross"), "n": _col("succeeded")},
        combine=_ratio("gross", "n"),
        dimensions=PAYMENT_DIMS,
    ),
    Metric(
        "active_customers",
        "Active customers",
        "count",
        "Distinct customers with at least one successful payment in the period.",
        "count(distinct customer with a successful payment)",
        True,
        False,
        "customer_daily",
        "day",
        {"value": lambda t: t.customer_no.nunique()},
        dimensions=PAYMENT_DIMS,
        # one row per customer and period (customer_daily is no such rollup: it has a row per
        # channel/product/country a customer paid through on a day, so days count distinct numbers)
        period_rollups={
            "day": ("customer_daily", "day"),  # its first_of_day rows: one per customer and day
            "week": ("customer_weekly", "week"),
            "month": ("customer_monthly", "month"),
        },
        distinct_column="customer_no",
        dimension_rollups={
            "week": ("customer_weekly_dim_counts", "week"),  # a count per value and week
            "month": ("customer_monthly_dim", "month"),
        },
    ),
    Metric(
        "new_customers",
        "New customers",
        "count",
        "Customers whose first successful payment falls in the period.",
        "count(customers by first successful payment day)",
        True,
        True,
        "customer_first",
        "first_day",
        {"value": lambda t: t.customer_no.count()},
        dimensions=PAYMENT_DIMS,
    ),
    Metric(
        "mrr",
        "MRR",
        "currency",
        "Monthly recurring revenue at the end of the period: active subscriptions normalised to a month.",
        "sum(mrr) of subscriptions started before and not ended by the period's end",
        True,
        False,
        "subscriptions",
        "start_at",
        {"value": _col("mrr_reporting")},
        dimensions={"plan": "plan"},
        snapshot=True,
    ),
    Metric(
        "arr",
        "ARR",
        "currency",
        "Annual recurring revenue: MRR x 12.",
        "mrr * 12",
        True,
        False,
        "subscriptions",
        "start_at",
        {"value": _col("mrr_reporting")},
        dimensions={"plan": "plan"},
        snapshot=True,
        scale=12.0,
        scaled_from="mrr",
    ),
    # -- marketing (ad_daily) ------------------------------------------------------------------
    Metric(
        "spend",
        "Ad spend",
        "currency",
        "Advertising spend across platforms.",
        "sum(spend)",
        False,
        True,
        "ad_daily",
        "date",
        {"value": _col("spend_reporting")},
        dimensions=AD_DIMS,
    ),
    Metric(
        "impressions",
        "Impressions",
        "count",
        "Times an ad was shown.",
        "sum(impressions)",
        True,
        True,
        "ad_daily",
        "date",
        {"value": _col("impressions")},
        dimensions=AD_DIMS,
    ),
    Metric(
        "clicks",
        "Clicks",
        "count",
        "Ad clicks.",
        "sum(clicks)",
        True,
        True,
        "ad_daily",
        "date",
        {"value": _col("clicks")},
        dimensions=AD_DIMS,
    ),
    Metric(
        "ctr",
        "CTR",
        "ratio",
        "Click-through rate: clicks per impression.",
        "clicks / impressions",
        True,
        False,
        "ad_daily",
        "date",
        {"c": _col("clicks"), "i": _col("impressions")},
        combine=_ratio("c", "i"),
        dimensions=AD_DIMS,
    ),
    Metric(
        "cpc",
        "CPC",
        "currency",
        "Cost per click.",
        "spend / clicks",
        False,
        False,
        "ad_daily",
        "date",
        {"s": _col("spend_reporting"), "c": _col("clicks")},
        combine=_ratio("s", "c"),
        dimensions=AD_DIMS,
    ),
    Metric(
        "cpm",
        "CPM",
        "currency",
        "Cost per thousand impressions.",
        "spend / impressions x 1000",
        False,
        False,
        "ad_daily",
        "date",
        {"s": _col("spend_reporting"), "i": _col("impressions")},
        combine=_ratio("s", "i", 1000.0),
        dimensions=AD_DIMS,
    ),
    Metric(
        "conversions",
        "Conversions",
        "count",
        "Conversions the ad platforms attribute to ads.",
        "sum(conversions)",
        True,
        True,
        "ad_daily",
        "date",
        {"value": _col("conversions")},
        dimensions=AD_DIMS,
    ),
    Metric(
        "cpa",
        "CPA",
        "currency",
        "Cost per acquisition (per platform-attributed conversion).",
        "spend / conversions",
        False,
        False,
        "ad_daily",
        "date",
        {"s": _col("spend_reporting"), "c": _col("conversions")},
        combine=_ratio("s", "c"),
        dimensions=AD_DIMS,
    ),
    Metric(
        "conversion_value",
        "Conversion value",
        "currency",
        "Value of platform-attributed conversions.",
        "sum(conversion_value)",
        True,
        True,
        "ad_daily",
        "date",
        {"value": _col("conversion_value_reporting")},
        dimensions=AD_DIMS,
    ),
    Metric(
        "roas",
        "ROAS",
        "multiple",
        "Return on ad spend: conversion value per unit of spend, shown as a multiple (2.41× = 2.41 back per 1 spent).",
        "conversion_value / spend",
        True,
        False,
        "ad_daily",
        "date",
        {"v": _col("conversion_value_reporting"), "s": _col("spend_reporting")},
        combine=_ratio("v", "s"),
        dimensions=AD_DIMS,
    ),
    # -- web (web_daily) ----------------------------------------------------------------------
    Metric(
        "sessions",
        "Sessions",
        "count",
        "Website sessions (GA4).",
        "sum(sessions)",
        True,
        True,
        "web_daily",
        "date",
        {"value": _col("sessions")},
        dimensions=WEB_DIMS,
    ),
    Metric(
        "users",
        "Users",
        "count",
        "Website users (GA4; summed over days, so a returning user counts again).",
        "sum(users)",
        True,
        True,
        "web_daily",
        "date",
        {"value": _col("users")},
        dimensions=WEB_DIMS,
    ),
    Metric(
        "new_users",
        "New users",
        "count",
        "First-time website users (GA4).",
        "sum(new_users)",
        True,
        True,
        "web_daily",
        "date",
        {"value": _col("new_users")},
        dimensions=WEB_DIMS,
    ),
    Metric(
        "key_events",
        "Key events",
        "count",
        "GA4 key events (formerly conversions).",
        "sum(key_events)",
        True,
        True,
        "web_daily",
        "date",
        {"value": _col("key_events")},
        dimensions=WEB_DIMS,
    ),
    Metric(
        "web_conversion_rate",
        "Conversion rate",
        "ratio",
        "Key events per session.",
        "key_events / sessions",
        True,
        False,
        "web_daily",
        "date",
        {"k": _col("key_events"), "s": _col("sessions")},
        combine=_ratio("k", "s"),
        dimensions=WEB_DIMS,
    ),
    # -- email (email_campaigns) --------------------------------------------------------------
    Metric(
        "emails_delivered",
        "Emails delivered",
        "count",
        "Campaign emails successfully delivered.",
        "sum(delivered)",
        True,
        True,
        "email_campaigns",
        "sent_at",
        {"value": _col("delivered")},
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "open_rate",
        "Open rate",
        "ratio",
        "Unique opens per delivered email.",
        "unique_opens / delivered",
        True,
        False,
        "email_campaigns",
        "sent_at",
        {"o": _col("unique_opens"), "d": _col("delivered")},
        combine=_ratio("o", "d"),
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "click_rate",
        "Click rate",
        "ratio",
        "Unique clicks per delivered email.",
        "unique_clicks / delivered",
        True,
        False,
        "email_campaigns",
        "sent_at",
        {"c": _col("unique_clicks"), "d": _col("delivered")},
        combine=_ratio("c", "d"),
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "ctor",
        "Click-to-open rate",
        "ratio",
        "Unique clicks per unique open.",
        "unique_clicks / unique_opens",
        True,
        False,
        "email_campaigns",
        "sent_at",
        {"c": _col("unique_clicks"), "o": _col("unique_opens")},
        combine=_ratio("c", "o"),
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "unsubscribe_rate",
        "Unsubscribe rate",
        "ratio",
        "Unsubscribes per delivered email.",
        "unsubscribes / delivered",
        False,
        False,
        "email_campaigns",
        "sent_at",
        {"u": _col("unsubscribes"), "d": _col("delivered")},
        combine=_ratio("u", "d"),
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "bounce_rate",
        "Bounce rate",
        "ratio",
        "Bounces per email sent.",
        "bounces / recipients",
        False,
        False,
        "email_campaigns",
        "sent_at",
        {"b": _col("bounces"), "r": _col("recipients")},
        combine=_ratio("b", "r"),
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "spam_reports",
        "Spam reports",
        "count",
        "Recipients who marked a campaign email as spam (abuse complaints).",
        "sum(complaints)",
        False,
        True,
        "email_campaigns",
        "sent_at",
        {"value": _col("complaints")},
        dimensions=EMAIL_DIMS,
    ),
    Metric(
        "spam_report_rate",
        "Spam report rate",
        "ratio",
        "Spam reports (abuse complaints) per delivered email; mailbox providers start filtering a "
        "sender's mail above about 0.1%.",
        "complaints / delivered (of the sends that report complaints)",
        False,
        False,
        "email_campaigns",
        "sent_at",
        # Sends imported without a complaints column (older files, Excel re-saves) say nothing
        # about complaints: their deliveries must not dilute the rate of those that do.
        {"c": _col("complaints"), "d": lambda t: t.complaints.notnull().ifelse(t.delivered, 0)},
        combine=_ratio("c", "d"),
        dimensions=EMAIL_DIMS,
    ),
    # -- pipeline (deals: closed = won is not null, dated by the close day) ----------------------
    Metric(
        "deals_won",
        "Deals won",
        "count",
        "CRM deals closed as won, by close day.",
        "count(deals with won = true)",
        True,
        True,
        "deals",
        "closed_at",
        {"value": lambda t: t.won.cast("int64")},
        dimensions=DEAL_DIMS,
        row_filter=lambda t: t.won.notnull(),
    ),
    Metric(
        "win_rate",
        "Win rate",
        "ratio",
        "Won deals per closed (won or lost) deal, by close day.",
        "deals_won / closed deals",
        True,
        False,
        "deals",
        "closed_at",
        {"won": lambda t: t.won.cast("int64"), "closed": lambda t: t.won.notnull().cast("int64")},
        combine=_ratio("won", "closed"),
        dimensions=DEAL_DIMS,
        row_filter=lambda t: t.won.notnull(),
    ),
    Metric(
        "average_deal_size",
        "Average deal size",
        "currency",
        "Amount per won deal, by close day.",
        "sum(amount of won deals) / deals_won",
        True,
        False,
        "deals",
        "closed_at",
        {"amount": lambda t: t.amount_reporting.fill_null(0), "n": lambda t: t.won.cast("int64")},
        combine=_ratio("amount", "n"),
        dimensions=DEAL_DIMS,
        row_filter=lambda t: t.won.fill_null(False),
    ),
    Metric(
        "sales_cycle_days",
        "Sales cycle",
        "duration",
        "Average days from a deal's creation to its win, for deals won in the period.",
        "avg(closed_at - created_at) of won deals, in days",
        False,
        False,
        "deals",
        "closed_at",
        {
            "days": lambda t: (t.closed_at.epoch_seconds() - t.created_at.epoch_seconds()) / 86400.0,
            "n": lambda t: t.won.cast("int64"),
        },
        combine=_ratio("days", "n"),
        dimensions=DEAL_DIMS,
        row_filter=lambda t: t.won.fill_null(False),
        duration_in="days",
    ),
]


def _derived(
    name: str,
    label: str,
    unit: str,
    description: str,
    formula: str,
    up_is_good: bool,
    table: str,
    derive: Callable[..., pl.DataFrame],
    *,
    dimensions: dict[str, str] | None = None,
    snapshot: bool = False,
    duration_in: str | None = None,
    can_be_negative: bool = False,
) -> Metric:
    """A catalogue entry computed by ``derive`` (never additive: a sum of them means nothing)."""
    return Metric(
        name,
        label,
        unit,
        description,
        formula,
        up_is_good,
        False,
        table,
        "",
        {},
        dimensions=dimensions or {},
        snapshot=snapshot,
        derive=derive,
        duration_in=duration_in,
        can_be_negative=can_be_negative,
    )


_SUBS = {"plan": "plan"}


_DERIVED: list[Metric] = [
    _derived(
        "arpa",
        "ARPA",
        "currency",
        "Average revenue per account: MRR per paying subscriber at the end of the period.",
        "mrr at period end / subscribers with MRR > 0 at period end",
        True,
        "subscriptions",
        derived.subscription_kpi("arpa"),
        dimensions=_SUBS,
        snapshot=True,
    ),
    _derived(
        "customer_churn_rate",
        "Customer churn",
        "ratio",
        "Share of the subscribers at the period's start who had no MRR left at its end.",
        "churned subscribers / subscribers at period start",
        False,
        "subscriptions",
        derived.subscription_kpi("customer_churn_rate"),
        dimensions=_SUBS,
    ),
    _derived(
        "gross_mrr_churn",
        "Gross MRR churn",
        "ratio",
        "MRR lost to cancellations and downgrades, as a share of the MRR at the period's start.",
        "(churn + contraction) / mrr at period start",
        False,
        "subscriptions",
        derived.subscription_kpi("gross_mrr_churn"),
        dimensions=_SUBS,
    ),
    _derived(
        "net_mrr_churn",
        "Net MRR churn",
        "ratio",
        "MRR lost net of upgrades and returning customers, as a share of the MRR at the period's "
        "start (negative: the existing customers grew).",
        "(churn + contraction - expansion - reactivation) / mrr at period start",
        False,
        "subscriptions",
        derived.subscription_kpi("net_mrr_churn"),
        dimensions=_SUBS,
        can_be_negative=True,  # upgrades and reactivations can outweigh the MRR lost
    ),
    _derived(
        "nrr",
        "NRR",
        "ratio",
        "Net revenue retention: the MRR kept from the period's starting customers, with their "
        "upgrades and downgrades (over 100%: they grew).",
        "1 - net_mrr_churn",
        True,
        "subscriptions",
        derived.subscription_kpi("nrr"),
        dimensions=_SUBS,
    ),
    _derived(
        "ltv",
        "LTV",
        "currency",
        "Customer lifetime value: ARPA over the monthly customer churn rate (empty when nobody churned).",
        "arpa / (customer_churn_rate x 30.4375 / days in period)",
        True,
        "subscriptions",
        derived.subscription_kpi("ltv"),
        dimensions=_SUBS,
    ),
    _derived(
        "revenue_per_customer_month",
        "Monthly revenue per customer",
        "currency",
        "Net revenue per paying customer per month of the period: what one customer brings in a month.",
        "net_revenue / active_customers / (days in period / 30.4375)",
        True,
        "payments_daily",
        derived.revenue_per_customer_month,
        dimensions=PAYMENT_DIMS,
        can_be_negative=True,  # net revenue can be negative
    ),
    _derived(
        "cac",
        "CAC",
        "currency",
        "Blended customer acquisition cost: ad spend per new paying customer (all channels).",
        "spend / new_customers",
        False,
        "ad_daily",
        derived.cac,
    ),
    _derived(
        "cac_payback",
        "CAC payback",
        "duration",
        "Months of a customer's revenue it takes to earn back what acquiring one cost.",
        "cac / revenue_per_customer_month",
        False,
        "ad_daily",
        derived.cac_payback,
        duration_in="months",
        can_be_negative=True,  # over a negative monthly revenue per customer
    ),
    _derived(
        "returning_customers",
        "Returning customers",
        "count",
        "Customers who paid in the period and had paid before it.",
        "active_customers - new_customers (never below 0)",
        True,
        "customer_daily",
        derived.returning_customers,
        dimensions=PAYMENT_DIMS,
    ),
    _derived(
        "open_pipeline_value",
        "Open pipeline",
        "currency",
        "Amount of the CRM deals open at the end of the period (created by then, not yet closed).",
        "sum(amount) of deals with created_at < period end and not closed by it",
        True,
        "deals",
        derived.open_pipeline("value"),
        dimensions=DEAL_DIMS,
        snapshot=True,
    ),
    _derived(
        "open_deals",
        "Open deals",
        "count",
        "CRM deals open at the end of the period (created by then, not yet closed).",
        "count(deals with created_at < period end and not closed by it)",
        True,
        "deals",
        derived.open_pipeline("count"),
        dimensions=DEAL_DIMS,
        snapshot=True,
    ),
]


CATALOGUE: dict[str, Metric] = {m.name: m for m in [*_METRICS, *_DERIVED]}


def get_metric(name: str) -> Metric:
    """The metric called ``name``, or a MetricError listing the known ones."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise MetricError(f"unknown metric {name!r}; known metrics: {', '.join(sorted(CATALOGUE))}") from None
