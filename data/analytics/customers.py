"""Customers: new and returning counts, top customers, RFM (recency, frequency, monetary) segments."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import numpy as np
import polars as pl

from data import rollups
from data.metrics import (
    NONE_LABEL,
    period_start,
    query_metric,
    whole_periods,
)
from data.metrics.catalogue import PAYMENT_DIMS
from data.metrics.subscriptions import customer_labels
from data.warehouse import ScopedWarehouse

#: RFM segment names in display order (best first).
RFM_SEGMENTS = (
    "Champions",
    "Loyal",
    "New",
    "Promising",
    "Needs attention",
    "At risk",
    "Hibernating",
    "Lost",
)


def customer_counts(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    *,
    grain: str = "total",
    where: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Active, new and returning customers per period (returning = active - new).

    ``active_customers`` and ``new_customers`` are the catalogue metrics; every new customer
    is active in the period of their first payment, so the difference counts customers who
    bought before the period and again in it.
    """
    kw = {"grain": grain, "where": where or None}
    active = query_metric(scoped, "active_customers", start, end, **kw).select("period", "value")
    new = query_metric(scoped, "new_customers", start, end, **kw).select("period", "value")
    out = active.rename({"value": "active"}).with_columns(new["value"].alias("new"))
    return out.with_columns((pl.col("active") - pl.col("new")).clip(lower_bound=0).alias("returning"))


def _dimension_filter(where: dict[str, str] | None) -> tuple[str, dict]:
    """`` AND ...`` conditions keeping customer_daily rows whose dimensions equal ``where``'s values.

    The same rows as :func:`data.metrics.dimension_sql` keeps (``(none)`` matches a missing
    value), written as plain comparisons on the columns: DuckDB pushes those into the scan
    instead of evaluating ``coalesce(cast(...))`` on every row of the range.
    """
    sql, params = "", {}
    for i, (key, value) in enumerate(sorted((where or {}).items())):
        if key in PAYMENT_DIMS:
            column, name = PAYMENT_DIMS[key], f"dim{i}"
            if str(value) == NONE_LABEL:
                sql += f" AND ({column} IS NULL OR {column} = ${name})"
            else:
                sql += f" AND {column} = ${name}"
            params[name] = str(value)
    return sql, params


#: a range's partial first month is read as its whole month (from the monthly rollup) less the
#: days before the range (from customer_daily) when those are at most this share of the month: a
#: month has fewer rows than its days (a customer buying on several days has one), so a lookback
#: starting on the 4th reads a month and 3 days instead of 28 days (10M payments: ~150k rows
#: instead of ~330k; a month holds as many rows as ~12 days there, so the month wins while fewer
#: than ~9 days are left out). Where customers buy about once a month, a month has as many rows
#: as its days and the subtraction costs a little: such workspaces are small.
NET_EDGE_SHARE = 0.25


def _customer_rows(
    start: date, end: date, where: dict[str, str] | None, *, days: bool = True, net: bool = False
) -> tuple[str, dict]:
    """SQL (and its parameters) for rows of customer activity in [start, end], several per customer.

    Columns: customer_no, payments, gross (DECIMAL), days (with a payment), last_day; summed
    per customer (max of last_day) they give the customer's activity in the range.

    Whole months are read from customer_monthly (a row per customer and month), or with a
    channel or country filter from customer_monthly_dim_totals (the same per value), and the
    partial months at either end from customer_daily, so a year costs ~12 rows per customer
    instead of one per payment day. A product filter, or filters on two dimensions, read every
    day from customer_daily.

    ``net=True`` lets a partial first month that is mostly inside the range (see
    :data:`NET_EDGE_SHARE`) be read whole, with its days before ``start`` as rows of negated
    payments, gross and days. The caller must then keep only the customers whose ``sum(days)``
    is above zero (the others paid only before ``start``); the sums and the max of last_day of
    those are exact: the days before ``start`` come first in the month, so the month's last_day
    is in the range whenever the customer paid in the range that month, and any row of theirs in
    the range is later than every day left out.

    ``days=False`` is for callers that do not use the ``days`` column (top customers): filtered
    days then skip grouping by day (their ``days`` is NULL).
    """
    where = {k: v for k, v in (where or {}).items() if k in PAYMENT_DIMS}  # the filters rows have
    whole_from, whole_until = whole_periods(start, end, "month")
    dims, params = _dimension_filter(where)
    # customer_daily has a row per channel/product/country a customer paid through on a day;
    # one of them is marked first_of_day, so `days` counts days without grouping them first.
    # A filter keeps only some of a day's rows, maybe not the marked one: those group by day
    # (or, when days are not wanted, are left ungrouped). The day counts are CASE/constants,
    # not a cast of the boolean: DuckDB keeps their min/max through a CASE, so a sum over the
    # union runs as a 64-bit sum instead of a 128-bit one (a year at 10M payments: the grouping
    # of RFM takes ~30% less time).
    sign = "{sign}"  # '' for rows in the range, '-' for days subtracted from a whole month
    if not where:
        daily = (
            f"SELECT customer_no, {sign}payments AS payments, {sign}gross AS gross, "
            f"CASE WHEN first_of_day THEN {sign}1 ELSE 0 END AS days, day AS last_day "
            "FROM customer_daily WHERE workspace_id = $ws AND day BETWEEN {lo} AND {hi}"
        )
    elif days:
        daily = (
            f"SELECT customer_no, {sign}sum(payments) AS payments, {sign}sum(gross) AS gross, {sign}1 AS days, "
            "day AS last_day "
            f"FROM customer_daily WHERE workspace_id = $ws AND day BETWEEN {{lo}} AND {{hi}}{dims} "
            "GROUP BY customer_no, day"
        )
    else:
        daily = (
            f"SELECT customer_no, {sign}payments AS payments, {sign}gross AS gross, "
            "CAST(NULL AS INTEGER) AS days, day AS last_day "
            f"FROM customer_daily WHERE workspace_id = $ws AND day BETWEEN {{lo}} AND {{hi}}{dims}"
        )

    def read_days(lo: str, hi: str, *, subtract: bool = False) -> str:
        return daily.format(sign="-" if subtract else "", lo=lo, hi=hi)

    params |= {"a_start": start, "a_end": end}
    # the first month read whole less its days before start (when it ends inside the range, it
    # is before whole_until: otherwise the range is read by day below)
    opening = period_start(start, "month")
    net = net and opening < start and (start - opening).days <= NET_EDGE_SHARE * (whole_from - opening).days
    months_from = opening if net else whole_from
    if months_from >= whole_until or len(where) > 1 or not set(where) <= set(rollups.DIM_TOTALS_DIMS):
        return read_days("$a_start", "$a_end"), params
    params |= {"a_from": months_from, "a_until": whole_until}
    if where:
        ((dim, value),) = where.items()
        params |= {"m_dim": dim, "m_value": str(value)}
        months = (
            "SELECT customer_no, payments, gross, days, last_day FROM customer_monthly_dim_totals "
            "WHERE workspace_id = $ws AND dim = $m_dim AND value = $m_value "
            "AND month >= $a_from AND month < $a_until"
        )
    else:
        months = (
            "SELECT customer_no, payments, gross, days, last_day FROM customer_monthly "
            "WHERE workspace_id = $ws AND month >= $a_from AND month < $a_until"
        )
    # Each partial month is its own range read: DuckDB skips the row groups outside a BETWEEN
    # by their min/max day, not those outside an OR of two (a year at 10M payments: 19 -> 2 ms).
    edges = []
    if net:
        edges.append(read_days("$a_from", "$a_start - 1", subtract=True))
    elif start < whole_from:
        edges.append(read_days("$a_start", "$a_from - 1"))
    if whole_until <= end:
        edges.append(read_days("$a_until", "$a_end"))
    rows = " UNION ALL ".join([months, *edges])
    # only the parameters the rows use (DuckDB refuses others): a range of whole months has no edges
    return rows, {k: v for k, v in params.items() if f"${k}" in rows}


def _customer_activity(start: date, end: date, where: dict[str, str] | None) -> tuple[str, dict]:
    """SQL (and its parameters) for one row per customer with a payment in [start, end].

    Columns: customer_no, payments, gross (DECIMAL), days (with a payment), last_day; summed
    from :func:`_customer_rows`.
    """
    rows, params = _customer_rows(start, end, where, net=True)
    sql = f"""
        SELECT customer_no, CAST(sum(payments) AS BIGINT) AS payments, sum(gross) AS gross,
               CAST(sum(days) AS BIGINT) AS days, max(last_day) AS last_day
        FROM ({rows}) GROUP BY customer_no HAVING sum(days) > 0
    """
    return sql, params


def top_customers(
    scoped: ScopedWarehouse, start: date, end: date, *, limit: int = 20, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """The customers with the most gross revenue in the range (from the customer_daily rollup).

    Columns: customer, name, country, channel (acquisition), first_day, last_day, payments,
    revenue, share (of the range's revenue of all customers matching ``where``).
    """
    rows, params = _customer_rows(start, end, where, days=False)
    # One statement: the range's total, the top customers by number, then their payments and
    # last day, keys, first-payment attributes and names for just those (plain SQL: an ibis
    # compile costs tens of ms). Every customer's gross alone is summed first: grouping 200k
    # customers with one sum instead of three is the bulk of the time. The activity rows are
    # written out twice, not shared as a CTE: DuckDB materialises a CTE read twice, and
    # grouping the materialised rows loses the customer numbers' range, so it takes a hash
    # table instead of an array indexed by number (a year at 10M payments: ~3x the time). The
    # second read keeps only the top customers' rows.
    frame = scoped.execute_sql(
        f"""
        WITH per AS (SELECT customer_no, sum(gross) AS gross FROM ({rows}) GROUP BY customer_no),
        top AS (  -- the window sums every customer's gross before the LIMIT keeps the top ones
            SELECT customer_no, CAST(gross AS DOUBLE) AS revenue, CAST(sum(gross) OVER () AS DOUBLE) AS total
            FROM per ORDER BY gross DESC, customer_no LIMIT $limit
        ),
        detail AS (
            SELECT customer_no, CAST(sum(payments) AS BIGINT) AS payments, max(last_day) AS last_day
            FROM ({rows}) WHERE customer_no IN (SELECT customer_no FROM top) GROUP BY customer_no
        ),
        keyed AS (
            SELECT top.*, detail.payments, detail.last_day, k.customer_key FROM top
            JOIN detail ON detail.customer_no = top.customer_no
            JOIN customer_keys k ON k.workspace_id = $ws AND k.customer_no = top.customer_no
        ),
        names AS (
            SELECT source_id, any_value(name) AS name FROM customers
            WHERE workspace_id = $ws AND source_id IN (SELECT customer_key FROM keyed)
            GROUP BY source_id
        )
        SELECT keyed.customer_key AS customer, f.first_day, keyed.last_day, f.channel, f.country,
               keyed.payments, keyed.revenue, CAST(names.name AS VARCHAR) AS name, keyed.total
        FROM keyed
        LEFT JOIN customer_first f ON f.workspace_id = $ws AND f.customer_no = keyed.customer_no
        LEFT JOIN names ON names.source_id = keyed.customer_key
        """,
        {"limit": limit, **params},
    )
    total = (frame["total"][0] if frame.height else None) or 0.0
    frame = frame.with_columns(
        pl.col("revenue").round(2),
        (pl.col("revenue") / total if total else pl.lit(None, dtype=pl.Float64)).alias("share"),
    )
    cols = ["customer", "name", "country", "channel", "first_day", "last_day", "payments", "revenue", "share"]
    return frame.select(cols).sort(["revenue", "customer"], descending=[True, False])


#: revenue metrics a change can be split by customer, as SQL over one payment row (the same
#: definitions as the payments_daily rollup the catalogue reads: data.rollups)
_CUSTOMER_VALUES = {
    "gross_revenue": f"CASE WHEN {rollups.IS_SALE} THEN amount_reporting ELSE 0 END",
    "refunds": f"CASE WHEN {rollups.IS_SALE} THEN coalesce(refunded_reporting, 0) "
    f"WHEN {rollups.IS_REFUND} THEN amount_reporting ELSE 0 END",
}
_CUSTOMER_VALUES["net_revenue"] = f"({_CUSTOMER_VALUES['gross_revenue']}) - ({_CUSTOMER_VALUES['refunds']})"
CUSTOMER_SPLIT_METRICS = tuple(_CUSTOMER_VALUES)


def revenue_by_customer(
    scoped: ScopedWarehouse,
    metric: str,
    current: tuple[date, date],
    compare: tuple[date, date],
    *,
    limit: int = 10,
) -> pl.DataFrame:
    """A revenue metric per customer over two ranges: the customers whose value moved the most.

    Columns: customer (key: vendor id, else email hash), name, email, value, compare_value
    (0 where the customer paid nothing), largest absolute change first. Each customer's value
    follows the catalogue's definition (day of payment in the workspace's zone, successful
    payments, refunds dated by the payment's day), so the values of all customers add up to the
    metric's total. It reads two rollups by customer number (customer_daily's gross,
    customer_refunds_daily's refunds) where those cover the two ranges, else payment rows.
    """
    if metric not in _CUSTOMER_VALUES:
        raise ValueError(
            f"{metric} cannot be split by customer; choose one of {', '.join(CUSTOMER_SPLIT_METRICS)}"
        )
    lo, hi = min(current[0], compare[0]), max(current[1], compare[1])
    params = {"a": current[0], "b": current[1], "c": compare[0], "d": compare[1], "lo": lo, "hi": hi,
              "limit": limit}  # fmt: skip
    if _refund_rollup_covers(scoped, lo, hi):
        frame = scoped.execute_sql(_by_customer_from_rollups(metric), params)
    else:
        frame = _by_customer_from_payments(scoped, metric, params)
    labels = customer_labels(scoped, frame["customer"].to_list())
    change = (pl.col("value") - pl.col("compare_value")).abs()
    return (
        frame.join(labels, on="customer", how="left")
        .sort([change, "customer"], descending=[True, False])
        .select("customer", "name", "email", "value", "compare_value")
    )


#: the last step of both ways of :func:`revenue_by_customer`: customers whose value moved, most first
_BIGGEST_MOVES = """
    SELECT customer, CAST(round(value, 2) AS DOUBLE) AS value,
           CAST(round(compare_value, 2) AS DOUBLE) AS compare_value
    FROM per WHERE value <> compare_value
    ORDER BY abs(value - compare_value) DESC, customer LIMIT $limit
"""


def _refund_rollup_covers(scoped: ScopedWarehouse, lo: date, hi: date) -> bool:
    """Whether customer_refunds_daily holds every refund of [lo, hi] (payments_daily's total).

    The rollup came after the others (warehouse migration 0014): a warehouse's days written
    before it are filled by ``pulseboard db upgrade`` or their next refresh, and until then
    this range reads payment rows.
    """
    totals = scoped.execute_sql(rollups.refund_totals_sql(day_range=True), {"lo": lo, "hi": hi})
    return totals["expected"][0] == totals["kept"][0]


def _by_customer_from_rollups(metric: str) -> str:
    """:func:`revenue_by_customer`'s SQL over the rollups by customer number (integers, not keys).

    At 10M payments a year and its previous period: ~20 ms and a few MB of rollup blocks,
    against ~0.5 s and ~190 MB of customer id strings from payment rows.
    """
    gross = "coalesce(g.value, 0)", "coalesce(g.compare_value, 0)"
    refunds = "coalesce(r.value, 0)", "coalesce(r.compare_value, 0)"
    value, compare_value = {
        "gross_revenue": gross,
        "refunds": refunds,
        "net_revenue": tuple(f"{g} - {r}" for g, r in zip(gross, refunds, strict=True)),
    }[metric]
    return f"""
        WITH g AS (
            SELECT customer_no, sum(gross) FILTER (WHERE day BETWEEN $a AND $b) AS value,
                   sum(gross) FILTER (WHERE day BETWEEN $c AND $d) AS compare_value
            FROM customer_daily WHERE workspace_id = $ws AND day BETWEEN $lo AND $hi GROUP BY customer_no
        ), r AS (
            SELECT customer_no, sum(refunds) FILTER (WHERE day BETWEEN $a AND $b) AS value,
                   sum(refunds) FILTER (WHERE day BETWEEN $c AND $d) AS compare_value
            FROM customer_refunds_daily WHERE workspace_id = $ws AND day BETWEEN $lo AND $hi
            GROUP BY customer_no
        ), moved AS (
            SELECT coalesce(g.customer_no, r.customer_no) AS customer_no,
                   {value} AS value, {compare_value} AS compare_value
            FROM g FULL OUTER JOIN r ON r.customer_no = g.customer_no
        ), per AS (
            SELECT k.customer_key AS customer, moved.value, moved.compare_value
            FROM moved JOIN customer_keys k ON k.workspace_id = $ws AND k.customer_no = moved.customer_no
        )
        {_BIGGEST_MOVES}
    """


def _by_customer_from_payments(scoped: ScopedWarehouse, metric: str, params: dict) -> pl.DataFrame:
    """:func:`revenue_by_customer`'s (customer, value, compare_value) from payment rows."""
    utc = scoped.workspace.timezone == "UTC"
    day = rollups.UTC_DAY if utc else rollups.LOCAL_DAY
    return scoped.execute_sql(
        f"""
        WITH rows AS (
            SELECT {rollups.CUSTOMER_KEY} AS customer, {day} AS day, {_CUSTOMER_VALUES[metric]} AS amount
            FROM payments
            WHERE workspace_id = $ws AND kind IS DISTINCT FROM 'payout' AND {rollups.SUCCESSFUL}
              -- a UTC pre-filter (zone maps skip row groups); a local day is within 2 days of UTC
              AND created BETWEEN CAST($lo AS TIMESTAMP) - INTERVAL 2 DAY
                              AND CAST($hi AS TIMESTAMP) + INTERVAL 3 DAY
        ),
        per AS (
            SELECT customer,
                   coalesce(sum(amount) FILTER (WHERE day BETWEEN $a AND $b), 0) AS value,
                   coalesce(sum(amount) FILTER (WHERE day BETWEEN $c AND $d), 0) AS compare_value
            FROM rows WHERE day BETWEEN $lo AND $hi GROUP BY customer
        )
        {_BIGGEST_MOVES}
        """,
        {**params, **({} if utc else {"tz": scoped.workspace.timezone})},
    )


def _quintile_scores(values: np.ndarray, *, higher_is_better: bool = True) -> np.ndarray:
    """1-5 quintile scores (5 best) from four order statistics instead of a full rank.

    The score is by rank, ties sharing the lowest (so a mass of equal values scores low): with
    L = how many values are smaller than v (its "min" rank minus one), the score is
    1 + floor(5L / n), and 5L / n >= k exactly when the ceil(kn/5)-th smallest value is
    below v. A partial sort (np.partition) finds those four values: ~2 ms for 200k
    customers where ranking them costs ~15 ms.
    """
    v = values if higher_is_better else -values
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    positions = [-(-k * n // 5) - 1 for k in range(1, 5)]  # ceil(kn/5) - 1, 0-based
    score = np.ones(n, dtype=np.int64)
    for cut in np.partition(v, positions)[positions]:
        score += v > cut  # one pass per cut: cheaper than a binary search per value
    return score


@functools.cache
def _segment_lookup() -> np.ndarray:
    """Segment number (index in RFM_SEGMENTS) for every (r, f, m, one purchase) combination.

    Evaluated once from :func:`rfm_segment`'s rules, so the rules live in one place.
    """
    combos = pl.DataFrame(
        [(r, f, m, freq) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6) for freq in (2, 1)],
        schema=["r", "f", "m", "frequency"],
        orient="row",
    )
    named = combos.select(rfm_segment(pl.col("r"), pl.col("f"), pl.col("m"), pl.col("frequency")))
    return named["segment"].replace_strict({name: i for i, name in enumerate(RFM_SEGMENTS)}).to_numpy()


#: R scores by recency in purchase cycles: 5 = bought within one cycle (on rhythm), 4 = within
#: one and a half (a little late), 3 = within two (a purchase missed), 2 = within three
#: (lapsing), 1 = longer ago (lost). Doubling steps (1, 2, 4, 8) put every threshold past 3 beyond
#: a one-year lookback for a quarterly buyer, so nobody could score 1 or 2: a demo workspace with
#: a 95-day cycle had no "At risk", "Hibernating" or "Lost" customer at all.
RECENCY_CYCLES = (1, 1.5, 2, 3)
#: the last threshold stays within this share of the lookback (scaled down with the others), so
#: a long cycle still leaves room for lapsed customers among those who paid in the lookback
RECENCY_LOOKBACK_SHARE = 0.75
#: the purchase cycle is the median of at least this many repeat customers' gaps (fewer: unknown)
MIN_CYCLE_CUSTOMERS = 10
#: ...clamped to this range of days (a daily coffee habit or a yearly renewal stay usable)
CYCLE_BOUNDS_DAYS = (1.0, 365.0)


def purchase_cycle_days(activity: pl.DataFrame) -> float | None:
    """The workspace's typical days between two purchases of one customer, or None when unknown.

    From the customers whose whole purchase history lies in the lookback (``first_day`` not
    null) and who bought on at least two days: the median of (last day - first day) / (days - 1).
    Customers who started before the lookback are left out because their first purchase in it
    is not their first, which would shorten their gaps.
    """
    repeat = activity.filter(pl.col("first_day").is_not_null() & (pl.col("frequency") >= 2))
    if repeat.height < MIN_CYCLE_CUSTOMERS:
        return None
    gaps = (pl.col("last_day") - pl.col("first_day")).dt.total_days() / (pl.col("frequency") - 1)
    cycle = float(repeat.select(gaps.median()).item())
    low, high = CYCLE_BOUNDS_DAYS
    return round(min(max(cycle, low), high), 1)


def recency_limits(cycle_days: float, lookback_days: int | None = None) -> np.ndarray:
    """The days since the last purchase that bound R scores 5, 4, 3 and 2 (inclusive).

    :data:`RECENCY_CYCLES` purchase cycles, scaled down together when the last would fall past
    :data:`RECENCY_LOOKBACK_SHARE` of the lookback (only customers who paid in the lookback are
    scored, so a threshold beyond it could never be crossed).
    """
    limits = np.array([cycle_days * k for k in RECENCY_CYCLES])
    if lookback_days and limits[-1] > lookback_days * RECENCY_LOOKBACK_SHARE:
        limits = limits * (lookback_days * RECENCY_LOOKBACK_SHARE / limits[-1])
    return np.floor(limits + 1e-9)  # whole days: "within 10.5 days" holds 10, not 11


def recency_scores(
    recency_days: np.ndarray, cycle_days: float, lookback_days: int | None = None
) -> np.ndarray:
    """1-5 recency scores (5 best) by how many purchase cycles ago the last purchase was.

    Unlike quintiles, a workspace whose customers have mostly lapsed gets mostly low scores:
    "recent" means recent for this business's rhythm, not "among the most recent fifth".
    """
    limits = recency_limits(cycle_days, lookback_days)
    return (5 - np.searchsorted(limits, recency_days, side="left")).astype(np.int64)


def recency_rule(cycle_days: float | None, lookback_days: int | None = None) -> str:
    """The recency thresholds in words, for the page and the docs."""
    if cycle_days is None:
        return "Recency is scored by fifths of the customers (too few repeat customers to know their buying rhythm)."
    days = [f"{d:,.0f}" for d in recency_limits(cycle_days, lookback_days)]
    return (
        f"Customers typically buy again every {cycle_days:,.0f} days. Recency 5 = bought within "
        f"{days[0]} days, 4 = within {days[1]}, 3 = within {days[2]}, 2 = within {days[3]}, 1 = longer ago."
    )


RFM_SCHEMA = {
    "customer": pl.Utf8,
    "last_day": pl.Date,
    "recency_days": pl.Int64,
    "frequency": pl.Int64,
    "monetary": pl.Float64,
    "r": pl.Int64,
    "f": pl.Int64,
    "m": pl.Int64,
    "segment": pl.Utf8,
}


def rfm_customers(
    scoped: ScopedWarehouse, as_of: date, *, lookback_days: int = 365, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """Recency, frequency, monetary scores and segment of every customer active in the lookback.

    Recency = days from the last payment day to ``as_of``; frequency = days with a payment;
    monetary = gross revenue. F and M are scored 1-5 by quintile (5 best); R by the workspace's
    purchase cycle (:func:`recency_scores`; by quintile when the cycle is unknown). Segment from R and the
    mean of F and M: Champions (R>=4, FM>=4), Loyal (R>=3, FM>=3), New (R>=4, one purchase),
    Promising (R>=4), Needs attention (R=3), At risk (R<=2, FM>=3), Hibernating (R=2), Lost.
    Sorted by monetary, highest first.
    """
    return rfm_named(scoped, rfm_scores(scoped, as_of, lookback_days=lookback_days, where=where))


def rfm_named(scoped: ScopedWarehouse, scores: pl.DataFrame) -> pl.DataFrame:
    """Rows of :func:`rfm_scores` (all, or a segment's) with their customers' keys.

    The columns and order of :func:`rfm_customers`.
    """
    if scores.height == 0:
        return pl.DataFrame(schema=RFM_SCHEMA)
    keys = scoped.execute_sql(
        "SELECT customer_no, customer_key AS customer FROM customer_keys WHERE workspace_id = $ws"
    )
    return (
        scores.join(keys, on="customer_no", how="left")
        .select(list(RFM_SCHEMA))
        .cast(RFM_SCHEMA)
        .sort(["monetary", "customer"], descending=[True, False])
    )


def rfm_scores(
    scoped: ScopedWarehouse, as_of: date, *, lookback_days: int = 365, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """:func:`rfm_customers` by customer number (``customer_no``), unsorted.

    Segment counts need no customer names: scoring numbers skips fetching, joining and sorting
    every customer's key (200k customers: ~75 instead of ~120 ms); :func:`rfm_named` adds
    them to the rows that are shown.
    """
    since = as_of - timedelta(days=lookback_days - 1)
    rows, params = _customer_rows(since, as_of, where, net=True)
    # first_day: the customer's first payment ever, when it falls inside the lookback (the span of
    # their purchases is then known exactly), for the purchase cycle. Only the three sums RFM
    # needs, and only the customers who started in the lookback joined: every customer's
    # activity is the costly part (~200k customers at 10M payments).
    raw = scoped.execute_sql(
        f"""
        SELECT a.customer_no, a.last_day,
               CAST(datediff('day', a.last_day, $as_of) AS BIGINT) AS recency_days,
               a.frequency, round(CAST(a.gross AS DOUBLE), 2) AS monetary, f.first_day
        FROM (
            SELECT customer_no, max(last_day) AS last_day, CAST(sum(days) AS BIGINT) AS frequency,
                   sum(gross) AS gross
            FROM ({rows}) GROUP BY customer_no HAVING sum(days) > 0  -- net rows: see _customer_rows
        ) a
        LEFT JOIN (
            SELECT customer_no, first_day FROM customer_first WHERE workspace_id = $ws AND first_day >= $since
        ) f ON f.customer_no = a.customer_no
        """,
        {**params, "as_of": as_of, "since": since},
    )
    cycle = purchase_cycle_days(raw)
    raw = raw.drop("first_day").with_columns(
        pl.lit(cycle, dtype=pl.Float64).alias("cycle_days"),
        pl.lit(lookback_days, dtype=pl.Int64).alias("lookback_days"),
    )
    if raw.height == 0:
        return raw.with_columns(
            *(pl.lit(None, dtype=pl.Int64).alias(c) for c in ("r", "f", "m")),
            pl.lit(None, dtype=pl.Utf8).alias("segment"),
        )
    recency = raw["recency_days"].to_numpy()
    r = (
        _quintile_scores(recency, higher_is_better=False)
        if cycle is None
        else recency_scores(recency, cycle, lookback_days)
    )
    f = _quintile_scores(raw["frequency"].to_numpy())
    m = _quintile_scores(raw["monetary"].to_numpy())
    one = (raw["frequency"].to_numpy() == 1).astype(np.int64)
    code = _segment_lookup()[(((r - 1) * 5 + (f - 1)) * 5 + (m - 1)) * 2 + one]
    return raw.with_columns(
        pl.Series("r", r, dtype=pl.Int64),
        pl.Series("f", f, dtype=pl.Int64),
        pl.Series("m", m, dtype=pl.Int64),
        pl.Series("segment", RFM_SEGMENTS, dtype=pl.Utf8).gather(code),
    )


def rfm_segment(r: pl.Expr, f: pl.Expr, m: pl.Expr, frequency: pl.Expr) -> pl.Expr:
    """The segment name for R, F, M scores (see :func:`rfm_customers`)."""
    fm = (f + m) / 2
    return (
        pl.when((r >= 4) & (fm >= 4))
        .then(pl.lit("Champions"))
        .when((r >= 3) & (fm >= 3))
        .then(pl.lit("Loyal"))
        .when((r >= 4) & (frequency == 1))
        .then(pl.lit("New"))
        .when(r >= 4)
        .then(pl.lit("Promising"))
        .when(r == 3)
        .then(pl.lit("Needs attention"))
        .when(fm >= 3)
        .then(pl.lit("At risk"))
        .when(r == 2)
        .then(pl.lit("Hibernating"))
        .otherwise(pl.lit("Lost"))
        .alias("segment")
    )


def rfm_segments(customers: pl.DataFrame) -> pl.DataFrame:
    """Customers and revenue per RFM segment (from :func:`rfm_customers`), best segment first."""
    order = pl.DataFrame({"segment": list(RFM_SEGMENTS), "rank": list(range(len(RFM_SEGMENTS)))})
    agg = customers.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().round(2).alias("revenue"),
        pl.col("recency_days").mean().round(1).alias("avg_recency_days"),
    )
    out = order.join(agg, on="segment", how="inner").sort("rank").drop("rank")
    return out.cast({"customers": pl.Int64, "revenue": pl.Float64, "avg_recency_days": pl.Float64})
