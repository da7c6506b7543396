"""Analytics beyond single metrics: MRR movements, cohorts, RFM, CAC, funnel, pipeline, lead scores.

Pure functions over a :class:`~data.warehouse.ScopedWarehouse` (always one workspace) that
return polars frames or plain dicts; no Dash imports. Anything that *is* a catalogue metric is
read through :func:`data.metrics.query_metric`, so a number here equals the same number on
every other surface. The KPIs that do not fit the catalogue's "sum of parts" machinery are
defined here, once:

* **MRR movements** (ChartMogul's definitions), per customer, comparing the customer's summed
  MRR at the start of a period with the end of it: *new* (0 -> >0, never had a subscription
  before), *reactivation* (0 -> >0, had one before), *expansion* / *contraction* (>0 -> more /
  less), *churn* (>0 -> 0). Opening + new + reactivation + expansion - contraction - churn =
  closing, and closing equals the ``mrr`` metric for the same period.
* **Customer churn rate** = churned subscribers / subscribers at the start of the range.
* **Gross MRR churn** = (churn + contraction) / MRR at start; **net MRR churn** = (churn +
  contraction - expansion - reactivation) / MRR at start; **NRR** = 1 - net MRR churn.
* **ARPA** = MRR at the end / subscribers (customers with MRR > 0) at the end.
* **LTV** = ARPA / monthly customer churn, where the monthly churn is the range's customer churn
  rate scaled to 30.4375 days (None when nobody churned).
* **CAC** (per paid channel) = ad spend of the platforms of that channel / new customers whose
  first payment came through that channel; **CAC payback** (months) = CAC / ARPA.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, time, timedelta

import numpy as np
import polars as pl

from data.metrics import NONE_LABEL, dimension_sql, period_start, periods, query_metric, whole_periods
from data.subscriptions import all_subscriptions
from data.warehouse import ScopedWarehouse

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
#: Which marketing channel (GA4 default channel group) an ad platform's spend buys.
CHANNEL_OF_PLATFORM = {"google_ads": "Paid Search", "meta_ads": "Paid Social"}
DAYS_PER_MONTH = 30.4375
MIN_CLOSED_DEALS = 30
#: A standardised-feature logit coefficient this large means the classes are (almost) separated.
MAX_LOGIT_COEF = 15.0
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


# -- helpers -----------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _next_period(day: date, grain: str) -> date:
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_bounds(start: date, end: date, grain: str) -> list[tuple[date, date, date]]:
    """(period label date, first day, last day) of each period of ``grain`` clipped to the range."""
    if grain == "total":
        return [(start, start, end)]
    out = []
    for p in periods(start, end, grain):
        first = max(p, start)
        last = min(_next_period(p, grain) - timedelta(days=1), end)
        out.append((p, first, last))
    return out


# -- MRR movements -----------------------------------------------------------------------------


def _subscriptions(scoped: ScopedWarehouse, end: date, plan: str | None = None) -> pl.DataFrame:
    """Subscriptions started by the end of ``end``, one row each.

    Columns: customer, code (dense customer number; null customers are one customer),
    first_start (the customer's first subscription start), start_at, end_at, cents. MRR in
    integer cents (``mrr_reporting`` is DECIMAL(18,2), so exact): sums of cents are exact, and
    the same snapshot instants give the same numbers as the ``mrr`` metric.
    """
    every = all_subscriptions(scoped, plan)
    started = every.filter(pl.col("start_at") < _midnight(end + timedelta(days=1)))
    if started.height == every.height:
        return every
    # Customers whose subscriptions all start later drop out: number the rest 0..n-1 again.
    return started.with_columns((pl.col("code").rank("dense") - 1).cast(pl.Int64).alias("code"))


#: Movement codes of the vectorised classification, in the order of :data:`MOVEMENT_NAMES`.
MOVEMENT_NAMES = ("new", "expansion", "reactivation", "contraction", "churn", "unchanged")
_NEW, _EXPANSION, _REACTIVATION, _CONTRACTION, _CHURN, _UNCHANGED = range(6)
#: Cells (customers x cutoffs) per block: bounds memory for long day-grain ranges (~32 MB each).
_BLOCK_CELLS = 4_000_000


def _classify(s, e, had_before):
    """Movement codes for arrays of MRR at the start (``s``) and end (``e``) of a period.

    The rules in order (ChartMogul's): 0 -> >0 is a reactivation when the customer had a
    subscription before the period, else new; >0 -> 0 churn; up expansion; down contraction.
    """
    import numpy as np

    move = np.full(np.shape(s), _UNCHANGED, dtype=np.int8)
    move[e < s] = _CONTRACTION
    move[e > s] = _EXPANSION
    move[(s > 0) & (e == 0)] = _CHURN
    gained = (s == 0) & (e > 0)
    move[gained] = _NEW
    move[gained & had_before] = _REACTIVATION
    return move


class _Snapshots:
    """Each customer's MRR (cents) at every period boundary, in blocks of customers.

    A customer's MRR at a cutoff instant is the sum of its subscriptions active then
    (start_at < cutoff <= end_at), counted only when positive. Instead of crossing every
    subscription with every cutoff, a binary search over the sorted cutoffs finds the run of
    cutoffs each subscription is active for, a difference array per customer marks the run's
    ends, and a cumulative sum along the cutoffs gives every snapshot at once (as
    ``data.metrics._snapshot_parts`` does for the ``mrr`` metric). Customers with no MRR at
    any cutoff are skipped.
    """

    def __init__(self, subs: pl.DataFrame, bounds: list[tuple[date, date, date]]):
        import numpy as np

        self.opens = np.array([_midnight(first) for _, first, _ in bounds], dtype="datetime64[us]")
        closes = np.array(
            [_midnight(last + timedelta(days=1)) for _, _, last in bounds], dtype="datetime64[us]"
        )
        cut = np.unique(np.concatenate([self.opens, closes]))
        self.k = len(cut)
        self.o_idx, self.c_idx = np.searchsorted(cut, self.opens), np.searchsorted(cut, closes)
        end_at = subs["end_at"].cast(pl.Datetime("us"))
        first = np.searchsorted(cut, subs["start_at"].cast(pl.Datetime("us")).to_numpy(), side="right")
        last = np.full(subs.height, self.k, dtype=np.int64)  # open-ended: active to the last cutoff
        ended = end_at.is_not_null().to_numpy()
        last[ended] = np.searchsorted(cut, end_at.to_numpy()[ended], side="right")
        live = last > first  # active at cutoffs first .. last-1
        codes = subs["code"].to_numpy().astype(np.int64)[live]
        # Only customers active at some cutoff get a row, numbered densely.
        self.customers, self._row = np.unique(codes, return_inverse=True)
        self._first, self._last = first[live], last[live]
        self._cents = subs["cents"].to_numpy().astype(np.float64)[live]  # exact below 2**53
        by_code = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype="datetime64[us]")
        by_code[codes] = subs["first_start"].cast(pl.Datetime("us")).to_numpy()[live]
        self.first_start = by_code[self.customers]

    def blocks(self):
        """Yield (slice of :attr:`customers`, cutoffs x customers float array of exact cents).

        Cutoff-major, so picking the period boundaries (``snap[o_idx]``) copies whole rows.
        """
        import numpy as np

        k1 = self.k + 1
        step = max(1, _BLOCK_CELLS // k1)
        order = np.argsort(self._row, kind="stable")
        rows = self._row[order]
        for a in range(0, len(self.customers), step):
            b = min(a + step, len(self.customers))
            lo, hi = np.searchsorted(rows, [a, b])
            sel = order[lo:hi]
            col, w, n = self._row[sel] - a, self._cents[sel], b - a
            diff = np.bincount(self._first[sel] * n + col, weights=w, minlength=k1 * n)
            diff -= np.bincount(self._last[sel] * n + col, weights=w, minlength=k1 * n)
            snap = diff.reshape(k1, n)[: self.k].cumsum(axis=0)
            if (snap < 0).any():  # a customer's MRR counts only when positive
                snap = np.maximum(snap, 0.0)
            yield slice(a, b), snap


class _Steps:
    """Each customer's MRR as a step function over the period boundaries (sparse).

    Periods are contiguous (each ends where the next starts), so boundary ``p`` opens period
    ``p`` and closes period ``p - 1``. A subscription raises its customer's MRR from the first
    boundary after its start and lowers it again after the last boundary it is still active
    at (start_at < cutoff <= end_at; a binary search over the sorted boundaries finds both).
    Netting those changes per customer and boundary and summing them along each customer gives
    the customer's MRR right after every change: only the customer-periods whose MRR changed
    are ever looked at, never the (mostly unchanged) customers x periods grid. Cents are
    integers, so every sum is exact. A customer's MRR counts only when positive.

    Attributes (one entry per customer-boundary where the MRR changed): ``code`` (customer),
    ``idx`` (boundary), ``before`` / ``after`` (MRR in cents just before and at it).
    """

    def __init__(self, subs: pl.DataFrame, bounds: list[tuple[date, date, date]]):
        import numpy as np

        self.opens = np.array([_midnight(first) for _, first, _ in bounds], dtype="datetime64[us]")
        cut = np.append(self.opens, np.datetime64(_midnight(bounds[-1][2] + timedelta(days=1)), "us"))
        self.k = k = len(cut)
        end_at = subs["end_at"].cast(pl.Datetime("us"))
        first = np.searchsorted(cut, subs["start_at"].cast(pl.Datetime("us")).to_numpy(), side="right")
        last = np.full(subs.height, k, dtype=np.int64)  # open-ended: active to the last boundary
        ended = end_at.is_not_null().to_numpy()
        last[ended] = np.searchsorted(cut, end_at.to_numpy()[ended], side="right")
        live = last > first  # active at boundaries first .. last-1
        codes = subs["code"].to_numpy().astype(np.int64)[live]
        cents = subs["cents"].to_numpy().astype(np.int64)[live]
        by_code = np.zeros(int(subs["code"].max()) + 1 if subs.height else 0, dtype="datetime64[us]")
        by_code[subs["code"].to_numpy()] = subs["first_start"].cast(pl.Datetime("us")).to_numpy()
        self.first_start = by_code
        # +cents from boundary ``first``, -cents from ``last`` (a change at k is past the end).
        idx = np.concatenate([first[live], last[live]])
        code = np.concatenate([codes, codes])
        delta = np.concatenate([cents, -cents])
        keep = idx < k
        key = code[keep] * (k + 1) + idx[keep]
        order = np.argsort(key, kind="stable")
        key, delta = key[order], delta[keep][order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
        key = key[starts]
        delta = np.add.reduceat(delta, starts) if len(starts) else delta[:0]
        self.code, self.idx = key // (k + 1), key % (k + 1)
        new_row = np.r_[True, self.code[1:] != self.code[:-1]] if len(key) else np.zeros(0, dtype=bool)
        total = np.cumsum(delta)
        row_starts = np.flatnonzero(new_row)
        base = np.r_[0, total[row_starts[1:] - 1]] if len(row_starts) else total[:0]
        level = total - base[np.cumsum(new_row) - 1]
        prev = np.r_[0, level[:-1]] if len(level) else level
        prev[new_row] = 0
        self.before, self.after = np.maximum(prev, 0), np.maximum(level, 0)

    def at_boundaries(self):
        """(summed MRR in cents, customers with MRR) at every boundary."""
        import numpy as np

        mrr = np.zeros(self.k, dtype=np.int64)
        np.add.at(mrr, self.idx, self.after - self.before)
        paying = np.zeros(self.k, dtype=np.int64)
        np.add.at(paying, self.idx, (self.after > 0).astype(np.int64) - (self.before > 0))
        return mrr.cumsum(), paying.cumsum()

    def movements(self):
        """(code, period, MRR at its start, at its end, movement code) of every change in a period."""
        changed = (self.idx >= 1) & (self.before != self.after)
        code, period = self.code[changed], self.idx[changed] - 1
        s, e = self.before[changed], self.after[changed]
        return code, period, s, e, _classify(s, e, self.first_start[code] < self.opens[period])


_DETAIL_SCHEMA = {
    "period": pl.Utf8,
    "customer": pl.Utf8,
    "mrr_start": pl.Float64,
    "mrr_end": pl.Float64,
    "change": pl.Float64,
    "movement": pl.Utf8,
}


def mrr_customer_movements(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    grain: str = "month",
    *,
    plan: str | None = None,
    changed_only: bool = False,
) -> pl.DataFrame:
    """Every customer's MRR at the start and end of each period and the movement it makes.

    Columns: period (YYYY-MM-DD of the period start, null for grain total), customer,
    mrr_start, mrr_end, change, movement (new | expansion | contraction | churn | reactivation
    | unchanged). Start of a period = the instant its first day begins; end = the instant after
    its last day (clipped to the range), the same instants the ``mrr`` metric snapshots.
    Customers with no MRR at either end of a period have no row for it; ``changed_only``
    leaves out the unchanged rows too (the drill-down shows only movements).
    """
    import numpy as np

    bounds = period_bounds(start, end, grain)
    subs = _subscriptions(scoped, end, plan)
    keys = subs.select("code", "customer").unique("code").sort("code")["customer"].to_numpy()
    labels = np.array(
        [None if grain == "total" else label.isoformat() for label, _, _ in bounds], dtype=object
    )
    names = np.array(MOVEMENT_NAMES, dtype=object)

    def frame(code, period, s, e, move) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "period": labels[period],
                "customer": keys[code],
                "mrr_start": s / 100,
                "mrr_end": e / 100,
                "change": (e - s) / 100,
                "movement": names[move],
            },
            schema=_DETAIL_SCHEMA,
        )

    if changed_only:  # sparse: only the customer-periods whose MRR changed
        frames = [frame(*_Steps(subs, bounds).movements())]
    else:  # every customer-period with MRR at either end: the dense grid, in blocks
        snaps, frames = _Snapshots(subs, bounds), []
        for rows, snap in snaps.blocks():
            s, e = snap[snaps.o_idx], snap[snaps.c_idx]  # periods x customers
            j, i = np.nonzero((s > 0) | (e > 0))
            si, ei = s[j, i], e[j, i]
            code = snaps.customers[rows][i]
            frames.append(
                frame(code, j, si, ei, _classify(si, ei, snaps.first_start[rows][i] < snaps.opens[j]))
            )
    out = pl.concat(frames) if frames else pl.DataFrame(schema=_DETAIL_SCHEMA)
    return out.sort(["period", "movement", "customer"], nulls_last=True)


def mrr_movements(
    scoped: ScopedWarehouse, start: date, end: date, grain: str = "month", *, plan: str | None = None
) -> pl.DataFrame:
    """MRR movements per period (ChartMogul definitions), one row per period.

    Columns: period, opening_mrr, new, expansion, reactivation, contraction, churn (losses as
    positive amounts), net_movement, closing_mrr, customers_start, customers_end,
    new_customers, reactivated_customers, churned_customers. Summed straight from each
    customer's MRR changes (:class:`_Steps`) in exact cents: no per-customer frame.
    """
    import numpy as np

    bounds = period_bounds(start, end, grain)
    steps = _Steps(_subscriptions(scoped, end, plan), bounds)
    n = len(bounds)
    mrr, paying = steps.at_boundaries()
    _, period, s, e, move = steps.movements()
    moved = {
        code: np.bincount(period[move == code], weights=(e - s)[move == code], minlength=n)
        for code in range(5)
    }
    moved_n = {code: np.bincount(period[move == code], minlength=n) for code in range(5)}
    money = ["opening_mrr", "new", "expansion", "reactivation", "contraction", "churn", "closing_mrr"]
    cents = {
        "opening_mrr": mrr[:-1],
        "closing_mrr": mrr[1:],
        **{MOVEMENT_NAMES[code]: np.abs(moved[code]) for code in range(5)},  # losses as positive amounts
    }
    counts = {
        "customers_start": paying[:-1],
        "customers_end": paying[1:],
        "new_customers": moved_n[_NEW],
        "reactivated_customers": moved_n[_REACTIVATION],
        "churned_customers": moved_n[_CHURN],
    }
    out = pl.DataFrame(
        {
            "period": [None if grain == "total" else label.isoformat() for label, _, _ in bounds],
            **{name: np.rint(cents[name]) / 100 for name in money},
            **counts,
        },
        schema={"period": pl.Utf8, **{m: pl.Float64 for m in money}, **{c: pl.Int64 for c in counts}},
    )
    out = out.with_columns(
        (
            pl.col("new")
            + pl.col("expansion")
            + pl.col("reactivation")
            - pl.col("contraction")
            - pl.col("churn")
        )
        .round(2)
        .alias("net_movement")
    )
    return out.select(["period", *money[:-1], "net_movement", "closing_mrr", *counts])


def _safe_div(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def subscription_kpis(
    scoped: ScopedWarehouse, start: date, end: date, *, plan: str | None = None
) -> dict[str, float | None]:
    """Churn, retention and value KPIs of the range (definitions in the module docstring).

    Keys: mrr_start, mrr_end, subscribers_start, subscribers_end, churned_customers,
    customer_churn_rate, gross_mrr_churn, net_mrr_churn, nrr, arpa, ltv, plus the movement
    amounts (new, expansion, reactivation, contraction, churn).
    """
    row = mrr_movements(scoped, start, end, "total", plan=plan).row(0, named=True)
    mrr_start, mrr_end = row["opening_mrr"], row["closing_mrr"]
    churn_rate = _safe_div(row["churned_customers"], row["customers_start"])
    gross = _safe_div(row["churn"] + row["contraction"], mrr_start)
    net = _safe_div(row["churn"] + row["contraction"] - row["expansion"] - row["reactivation"], mrr_start)
    arpa = _safe_div(mrr_end, row["customers_end"])
    days = (end - start).days + 1
    monthly_churn = None if churn_rate is None else churn_rate * DAYS_PER_MONTH / days
    ltv = _safe_div(arpa, monthly_churn) if monthly_churn else None
    return {
        "mrr_start": mrr_start,
        "mrr_end": mrr_end,
        "subscribers_start": row["customers_start"],
        "subscribers_end": row["customers_end"],
        "churned_customers": row["churned_customers"],
        "customer_churn_rate": churn_rate,
        "gross_mrr_churn": gross,
        "net_mrr_churn": net,
        "nrr": None if net is None else 1.0 - net,
        "arpa": arpa,
        "ltv": ltv,
        **{m: row[m] for m in MOVEMENTS},
    }


# -- cohorts -----------------------------------------------------------------------------------


def _month(day: date) -> date:
    return day.replace(day=1)


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohort_retention(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    *,
    min_cohorts: int = 12,
    where: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Customers and revenue by first-payment month (cohort) and months since it.

    Cohorts are the months of the range, extended back to at least ``min_cohorts`` months
    before the end; activity is counted up to ``end``. ``where`` filters on the customer's
    acquisition channel/product/country (their first payment's). Columns: cohort (YYYY-MM),
    months_since, customers, revenue, cohort_customers, customer_retention (customers /
    cohort_customers), revenue_retention (revenue / the cohort's month-0 revenue).
    """
    first_month = min(_month(start), _shift_months(_month(end), -(min_cohorts - 1)))
    dims, params = dimension_sql(where, _CD_DIMS)
    # Whole months come from customer_monthly (one row per customer and month: a row count is
    # the distinct customers); a month cut short by ``end`` is summed from customer_daily.
    # Customers are joined by their integer number. Plain SQL: an ibis compile costs tens of ms.
    _, whole_until = whole_periods(first_month, end, "month")
    raw = scoped.execute_sql(
        f"""
        WITH f AS (
            SELECT customer_no, CAST(date_trunc('month', first_day) AS DATE) AS cohort
            FROM customer_first
            WHERE workspace_id = $ws AND first_day BETWEEN $first AND $end{dims}
        ),
        activity AS (
            SELECT month, customer_no, gross FROM customer_monthly
            WHERE workspace_id = $ws AND month >= $first AND month < $whole_until
            UNION ALL
            SELECT CAST(date_trunc('month', day) AS DATE) AS month, customer_no, sum(gross) AS gross
            FROM customer_daily
            WHERE workspace_id = $ws AND day >= $whole_until AND day <= $end
            GROUP BY ALL
        )
        SELECT f.cohort, a.month, count(*) AS customers, CAST(sum(a.gross) AS DOUBLE) AS revenue
        FROM activity a JOIN f ON f.customer_no = a.customer_no
        GROUP BY ALL
        """,
        {"first": first_month, "end": end, "whole_until": whole_until, **params},
    )
    schema = {
        "cohort": pl.Utf8,
        "months_since": pl.Int64,
        "customers": pl.Int64,
        "revenue": pl.Float64,
        "cohort_customers": pl.Int64,
        "customer_retention": pl.Float64,
        "revenue_retention": pl.Float64,
    }
    if raw.height == 0:
        return pl.DataFrame(schema=schema)
    raw = raw.with_columns(
        (
            (pl.col("month").dt.year() - pl.col("cohort").dt.year()) * 12
            + pl.col("month").dt.month().cast(pl.Int64)
            - pl.col("cohort").dt.month().cast(pl.Int64)
        )
        .cast(pl.Int64)
        .alias("months_since")
    )
    base = raw.filter(pl.col("months_since") == 0).select(
        "cohort", pl.col("customers").alias("cohort_customers"), pl.col("revenue").alias("base_revenue")
    )
    out = raw.join(base, on="cohort", how="left").with_columns(
        (pl.col("customers") / pl.col("cohort_customers")).alias("customer_retention"),
        pl.when(pl.col("base_revenue") > 0)
        .then(pl.col("revenue") / pl.col("base_revenue"))
        .otherwise(None)
        .alias("revenue_retention"),
        pl.col("cohort").dt.strftime("%Y-%m").alias("cohort"),
        pl.col("revenue").round(2),
    )
    return out.select(list(schema)).cast(schema).sort(["cohort", "months_since"])


def _shift_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


# -- customers ---------------------------------------------------------------------------------

_CD_DIMS = {"channel": "channel", "product": "product", "country": "country"}


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


def _customer_activity(start: date, end: date, where: dict[str, str] | None) -> tuple[str, dict]:
    """SQL (and its parameters) for one row per customer with a payment in [start, end].

    Columns: customer_no, payments, gross (DECIMAL), days (with a payment), last_day.

    Whole months are read from customer_monthly (a row per customer and month) and the partial
    months at either end from customer_daily, so a year costs ~12 rows per customer instead of
    one per payment day. customer_monthly has no channel/product/country, so a ``where``
    filter reads every day from customer_daily.
    """
    whole_from, whole_until = whole_periods(start, end, "month")
    daily = "SELECT customer_no, payments, gross, 1 AS days, day AS last_day FROM customer_daily"
    if where or whole_from >= whole_until:
        dims, params = dimension_sql(where, _CD_DIMS)
        rows = f"{daily} WHERE workspace_id = $ws AND day BETWEEN $a_start AND $a_end{dims}"
    else:
        params = {"a_from": whole_from, "a_until": whole_until}
        rows = f"""
            SELECT customer_no, payments, gross, days, last_day FROM customer_monthly
            WHERE workspace_id = $ws AND month >= $a_from AND month < $a_until
            UNION ALL
            {daily} WHERE workspace_id = $ws
              AND (day BETWEEN $a_start AND $a_from - 1 OR day BETWEEN $a_until AND $a_end)
        """
    sql = f"""
        SELECT customer_no, CAST(sum(payments) AS BIGINT) AS payments, sum(gross) AS gross,
               CAST(sum(days) AS BIGINT) AS days, max(last_day) AS last_day
        FROM ({rows}) GROUP BY customer_no
    """
    return sql, {"a_start": start, "a_end": end, **params}


def top_customers(
    scoped: ScopedWarehouse, start: date, end: date, *, limit: int = 20, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """The customers with the most gross revenue in the range (from the customer_daily rollup).

    Columns: customer, name, country, channel (acquisition), first_day, last_day, payments,
    revenue, share (of the range's revenue of all customers matching ``where``).
    """
    activity, params = _customer_activity(start, end, where)
    # One statement: the range's total, the top customers by number, then keys, first-payment
    # attributes and names for just those (plain SQL: an ibis compile costs tens of ms).
    frame = scoped.execute_sql(
        f"""
        WITH per AS ({activity}),
        top AS (  -- the window sums every customer's gross before the LIMIT keeps the top ones
            SELECT customer_no, payments, CAST(gross AS DOUBLE) AS revenue, last_day,
                   CAST(sum(gross) OVER () AS DOUBLE) AS total
            FROM per ORDER BY gross DESC, customer_no LIMIT $limit
        ),
        keyed AS (
            SELECT top.*, k.customer_key FROM top
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
    monetary = gross revenue; each scored 1-5 by quintile (5 best). Segment from R and the
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
    activity, params = _customer_activity(since, as_of, where)
    raw = scoped.execute_sql(
        f"""
        SELECT customer_no, last_day, CAST(datediff('day', last_day, $as_of) AS BIGINT) AS recency_days,
               days AS frequency, round(CAST(gross AS DOUBLE), 2) AS monetary
        FROM ({activity})
        """,
        {**params, "as_of": as_of},
    )
    if raw.height == 0:
        return raw.with_columns(
            *(pl.lit(None, dtype=pl.Int64).alias(c) for c in ("r", "f", "m")),
            pl.lit(None, dtype=pl.Utf8).alias("segment"),
        )
    r = _quintile_scores(raw["recency_days"].to_numpy(), higher_is_better=False)
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


# -- revenue by dimension ----------------------------------------------------------------------


def revenue_by(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    dimension: str,
    *,
    metric: str = "net_revenue",
    where: dict[str, str] | None = None,
    compare: str | None = None,
) -> pl.DataFrame:
    """A revenue metric split by channel, product or country, largest first.

    Columns: the dimension, value, compare_value, share (of the split's total).
    """
    frame = query_metric(scoped, metric, start, end, by=dimension, where=where or None, compare=compare)
    total = frame["value"].sum()
    frame = frame.drop("period").with_columns(
        (pl.col("value") / total if total else pl.lit(None, dtype=pl.Float64)).alias("share")
    )
    return frame.filter(pl.col("value") != 0).sort(["value", dimension], descending=[True, False])


# -- marketing ---------------------------------------------------------------------------------


def cac_by_channel(
    scoped: ScopedWarehouse, start: date, end: date, *, arpa: float | None = None, channel: str | None = None
) -> pl.DataFrame:
    """CAC and payback per paid channel, plus "All paid" and "Blended" (all new customers) rows.

    Spend is the ``spend`` metric by platform mapped to its channel (:data:`CHANNEL_OF_PLATFORM`);
    new customers is the ``new_customers`` metric by acquisition channel. Payback months = CAC
    / ``arpa`` (pass :func:`subscription_kpis`'s ARPA; None leaves payback empty).
    With ``channel`` only that channel's row is returned (its spend is that of the platforms
    buying it; no row when none does). Columns: channel, spend, new_customers, cac, payback_months.
    """
    spend = query_metric(scoped, "spend", start, end, by="platform")
    new = query_metric(scoped, "new_customers", start, end, by="channel")
    spend = spend.with_columns(
        pl.col("platform").replace_strict(CHANNEL_OF_PLATFORM, default=None).alias("channel")
    ).filter(pl.col("channel").is_not_null())
    per = spend.group_by("channel").agg(pl.col("value").sum().alias("spend"))
    per = per.join(new.select("channel", pl.col("value").alias("new_customers")), on="channel", how="left")
    per = per.with_columns(pl.col("new_customers").fill_null(0.0)).sort("channel")
    totals = pl.DataFrame(
        {
            "channel": ["All paid", "Blended"],
            "spend": [per["spend"].sum(), spend["value"].sum()],
            "new_customers": [per["new_customers"].sum(), new["value"].sum()],
        },
        schema={"channel": pl.Utf8, "spend": pl.Float64, "new_customers": pl.Float64},
    )
    out = pl.concat([per.cast({"spend": pl.Float64, "new_customers": pl.Float64}), totals])
    if channel is not None:
        out = out.filter(pl.col("channel") == channel)
    cac = pl.when(pl.col("new_customers") > 0).then(pl.col("spend") / pl.col("new_customers")).otherwise(None)
    out = out.with_columns(cac.round(2).alias("cac"), pl.col("spend").round(2))
    payback = (pl.col("cac") / arpa).round(2) if arpa else pl.lit(None, dtype=pl.Float64)
    return out.with_columns(payback.alias("payback_months"), pl.col("new_customers").cast(pl.Int64))


FUNNEL_STAGES = (
    ("impressions", "Impressions"),
    ("clicks", "Clicks"),
    ("sessions", "Sessions"),
    ("key_events", "Key events"),
    ("new_customers", "New customers"),
)


def funnel(
    scoped: ScopedWarehouse, start: date, end: date, *, where_by_metric: dict[str, dict] | None = None
) -> pl.DataFrame:
    """Impressions -> clicks -> sessions -> key events -> new customers, each a catalogue metric.

    ``where_by_metric`` gives each stage's own filter (dimensions differ per source). Columns:
    stage, metric, value, rate (value / previous stage's value).
    """
    where_by_metric = where_by_metric or {}
    values = []
    for name, _ in FUNNEL_STAGES:
        frame = query_metric(scoped, name, start, end, where=where_by_metric.get(name) or None)
        values.append(float(frame["value"][0] or 0.0))
    rates = [None] + [(v / p if p else None) for p, v in zip(values, values[1:], strict=False)]
    return pl.DataFrame(
        {
            "stage": [label for _, label in FUNNEL_STAGES],
            "metric": [name for name, _ in FUNNEL_STAGES],
            "value": values,
            "rate": rates,
        },
        schema={"stage": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64, "rate": pl.Float64},
    )


# -- pipeline ----------------------------------------------------------------------------------


def open_pipeline(scoped: ScopedWarehouse, as_of: date) -> dict[str, float | int]:
    """Deals open at the end of ``as_of``: ``open_deals`` and their ``open_value`` (reporting).

    Open = created by then and not closed by then (a deal closed later was still open).
    Plain SQL: the KPI row needs only this, and an ibis compile costs tens of milliseconds.
    """
    row = scoped.execute_sql(
        """
        SELECT count(*) AS n, CAST(coalesce(sum(amount_reporting), 0) AS DOUBLE) AS value FROM deals
        WHERE workspace_id = $ws AND created_at < $cut AND (won IS NULL OR closed_at >= $cut)
        """,
        {"cut": _midnight(as_of + timedelta(days=1))},
    ).row(0, named=True)
    return {"open_value": float(row["value"]), "open_deals": int(row["n"])}


def pipeline_stats(scoped: ScopedWarehouse, start: date, end: date) -> dict[str, float | None]:
    """Open pipeline (as of ``end``) and the range's win rate, average deal size and sales cycle.

    Keys: open_value, open_deals, win_rate, average_deal_size, sales_cycle_days, deals_won.
    The last four are the catalogue metrics of the same names.
    """
    out: dict[str, float | None] = dict(open_pipeline(scoped, end))
    for name in ("win_rate", "average_deal_size", "sales_cycle_days", "deals_won"):
        out[name] = query_metric(scoped, name, start, end)["value"][0]
    return out


def deals_by_stage(scoped: ScopedWarehouse, start: date, end: date) -> pl.DataFrame:
    """Open deals (as of ``end``) by stage, then deals won and lost in the range.

    Columns: stage, status (open | won | lost), deals, amount.
    """
    # Plain SQL (like every deals query on a page): an ibis compile costs tens of ms a call.
    cut, since = _midnight(end + timedelta(days=1)), _midnight(start)
    opened = scoped.execute_sql(
        f"""
        SELECT COALESCE(CAST(stage AS VARCHAR), '{NONE_LABEL}') AS stage, count(*) AS deals,
               CAST(sum(amount_reporting) AS DOUBLE) AS amount
        FROM deals WHERE workspace_id = $ws AND created_at < $cut AND (won IS NULL OR closed_at >= $cut)
        GROUP BY 1
        """,
        {"cut": cut},
    ).with_columns(pl.lit("open").alias("status"))
    done = scoped.execute_sql(
        """
        SELECT won, count(*) AS deals, CAST(sum(amount_reporting) AS DOUBLE) AS amount
        FROM deals WHERE workspace_id = $ws AND won IS NOT NULL AND closed_at >= $since AND closed_at < $cut
        GROUP BY 1
        """,
        {"cut": cut, "since": since},
    )
    done = done.with_columns(
        pl.when(pl.col("won")).then(pl.lit("Closed won")).otherwise(pl.lit("Closed lost")).alias("stage"),
        pl.when(pl.col("won")).then(pl.lit("won")).otherwise(pl.lit("lost")).alias("status"),
    ).drop("won")
    cols = ["stage", "status", "deals", "amount"]
    schema = {"stage": pl.Utf8, "status": pl.Utf8, "deals": pl.Int64, "amount": pl.Float64}
    out = pl.concat([opened.select(cols).cast(schema), done.select(cols).cast(schema)])
    out = out.with_columns(pl.col("amount").fill_null(0.0).round(2))
    return out.sort(["status", "amount"], descending=[True, True])


def deals_frame(scoped: ScopedWarehouse, start: date, end: date) -> pl.DataFrame:
    """Deals open at ``end`` or closed in the range (the rows behind the pipeline numbers)."""
    return scoped.execute_sql(
        """
        SELECT source_id AS deal, name, stage, owner, CAST(amount_reporting AS DOUBLE) AS amount,
               created_at, closed_at, won
        FROM deals
        WHERE workspace_id = $ws AND created_at < $cut
          AND (won IS NULL OR closed_at >= $cut OR (closed_at >= $since AND closed_at < $cut))
        ORDER BY created_at DESC
        """,
        {"cut": _midnight(end + timedelta(days=1)), "since": _midnight(start)},
    )


# -- lead scoring ------------------------------------------------------------------------------


def _deal_features(deals: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Model inputs: log amount, whether the amount is known, days open, created month (cyclic)."""
    end = pl.when(pl.col("won").is_null()).then(pl.lit(as_of)).otherwise(pl.col("closed_at"))
    days_open = ((end - pl.col("created_at")).dt.total_seconds() / 86400.0).clip(lower_bound=0)
    month = pl.col("created_at").dt.month().cast(pl.Float64)
    return deals.with_columns(
        pl.col("amount").fill_null(0.0).log1p().alias("log_amount"),
        pl.col("amount").is_not_null().cast(pl.Float64).alias("has_amount"),
        days_open.log1p().alias("log_days_open"),
        (2 * math.pi * month / 12).sin().alias("month_sin"),
        (2 * math.pi * month / 12).cos().alias("month_cos"),
    )


FEATURES = ("log_amount", "has_amount", "log_days_open", "month_sin", "month_cos")
#: L2 penalty of the fallback fit when the plain one separates (statsmodels' GLM
#: fit_regularized(alpha=0.05, L1_wt=0) objective, which this replaced)
LOGIT_RIDGE = 0.05


def fit_logit(
    x: np.ndarray, y: np.ndarray, *, ridge: float = 0.0, max_iter: int = 200, max_abs: float = np.inf
) -> np.ndarray | None:
    """Logistic regression coefficients by Newton's method (iteratively reweighted least squares).

    Maximises the mean log-likelihood minus ``ridge / 2 * |params|^2`` (the intercept column
    included, as statsmodels' ridge does). Without a ridge that is the plain maximum-likelihood
    fit (statsmodels' Logit, to 1e-8); returns None when it does not converge, the design is
    singular or a coefficient passes ``max_abs`` — what perfect separation looks like (the
    coefficients then grow without end; stopping early saves the remaining iterations). A few
    milliseconds for tens of thousands of deals, where statsmodels' model and results objects
    cost ~20 ms a fit.
    """
    n, k = x.shape
    params = np.zeros(k)
    for _ in range(max_iter):
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-(x @ params)))
        gradient = x.T @ (y - p) / n - ridge * params
        hessian = (x.T * (p * (1.0 - p))) @ x / n + ridge * np.eye(k)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return None
        params = params + step
        if not np.all(np.isfinite(params)) or np.abs(params).max() > max_abs:
            return None
        if np.abs(step).max() < 1e-8:
            return params
    return None


def lead_scores(scoped: ScopedWarehouse, as_of: date, *, min_closed: int = MIN_CLOSED_DEALS) -> dict:
    """Train a logistic regression on closed deals and score the open ones.

    Returns a dict with ``status`` ("ok" or "too_little_history"), ``message``, ``closed_deals``,
    ``accuracy`` (on the most recent quarter of closed deals, held out; the model is then
    refit on all closed deals to score), ``baseline_accuracy`` (always predicting the majority
    class), ``calibration`` (frame: bin, predicted, observed, deals on the held-out deals) and
    ``scores`` (frame: deal, name, stage, amount, created_at, days_open, win_probability).
    Features: log amount, amount known, log days the deal has been open, created month.
    """
    cut = _midnight(as_of + timedelta(days=1))
    # Plain SQL: an ibis compile would cost ~30 ms of the first (cold) answer.
    deals = scoped.execute_sql(
        """
        SELECT source_id AS deal, name, stage, CAST(amount_reporting AS DOUBLE) AS amount,
               created_at, closed_at, won
        FROM deals WHERE workspace_id = $ws AND created_at < $cut
        """,
        {"cut": cut},
    )
    # A deal closed after as_of was still open then.
    deals = deals.with_columns(
        pl.when(pl.col("closed_at") >= cut).then(None).otherwise(pl.col("won")).alias("won")
    )
    feats = _deal_features(deals, cut)
    closed = feats.filter(pl.col("won").is_not_null()).sort("closed_at")
    open_ = feats.filter(pl.col("won").is_null())
    empty_scores = pl.DataFrame(schema={"deal": pl.Utf8, "win_probability": pl.Float64})
    result = {
        "status": "too_little_history",
        "closed_deals": closed.height,
        "open_deals": open_.height,
        "accuracy": None,
        "baseline_accuracy": None,
        "calibration": pl.DataFrame(
            schema={"bin": pl.Utf8, "predicted": pl.Float64, "observed": pl.Float64, "deals": pl.Int64}
        ),
        "scores": empty_scores,
    }
    wins = int(closed["won"].sum()) if closed.height else 0
    if closed.height < min_closed or wins == 0 or wins == closed.height:
        result["message"] = (
            f"Lead scoring needs at least {min_closed} closed deals with both wins and losses; "
            f"this workspace has {closed.height} closed ({wins} won)."
        )
        return result

    def design(frame: pl.DataFrame, mean, std):
        x = (frame.select(FEATURES).to_numpy() - mean) / std
        return np.column_stack([np.ones(len(x)), x])

    def fit(frame: pl.DataFrame):
        raw = frame.select(FEATURES).to_numpy()
        mean, std = raw.mean(axis=0), raw.std(axis=0)
        std[std == 0] = 1.0
        y = frame["won"].cast(pl.Float64).to_numpy()
        x = design(frame, mean, std)
        params = fit_logit(x, y, max_abs=MAX_LOGIT_COEF)
        if params is None:  # (quasi-)perfect separation or a singular design: a ridge-penalised logit
            params = fit_logit(x, y, ridge=LOGIT_RIDGE)
        if params is None:  # not seen; a strictly convex objective converges
            params = np.zeros(x.shape[1])
        return params, mean, std

    def predict(params, frame: pl.DataFrame, mean, std):
        with np.errstate(over="ignore"):  # exp overflow is a probability of 0, as wanted
            return 1.0 / (1.0 + np.exp(-(design(frame, mean, std) @ params)))

    n_val = max(1, closed.height // 4)
    train, valid = closed.head(closed.height - n_val), closed.tail(n_val)
    if train["won"].n_unique() < 2:
        train, valid = closed, closed
    res, mean, std = fit(train)
    p_val = predict(res, valid, mean, std)
    y_val = valid["won"].cast(pl.Int64).to_numpy()
    accuracy = float(((p_val >= 0.5).astype(int) == y_val).mean())
    majority = max(y_val.mean(), 1 - y_val.mean())
    edges = np.linspace(0, 1, 6)
    bins = np.clip(np.digitize(p_val, edges[1:-1]), 0, 4)
    calib = [
        {
            "bin": f"{edges[b]:.0%}–{edges[b + 1]:.0%}",
            "predicted": float(p_val[bins == b].mean()),
            "observed": float(y_val[bins == b].mean()),
            "deals": int((bins == b).sum()),
        }
        for b in range(5)
        if (bins == b).any()
    ]
    final, mean, std = fit(closed)
    if open_.height:
        p_open = predict(final, open_, mean, std)
        scores = open_.select(
            "deal",
            "name",
            "stage",
            "amount",
            "created_at",
            ((pl.lit(cut) - pl.col("created_at")).dt.total_seconds() / 86400.0)
            .round(0)
            .cast(pl.Int64)
            .alias("days_open"),
        ).with_columns(pl.Series("win_probability", p_open).round(3))
        scores = scores.sort("win_probability", descending=True)
    else:
        scores = empty_scores
    result.update(
        status="ok",
        message=f"Trained on {closed.height} closed deals; validated on the latest {valid.height}.",
        accuracy=accuracy,
        baseline_accuracy=float(majority),
        calibration=pl.DataFrame(calib, schema=result["calibration"].schema),
        scores=scores,
    )
    return result


# -- drill-down rows ---------------------------------------------------------------------------


def revenue_rows(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """The payments_daily rollup rows behind revenue numbers (day x channel x product x country)."""
    # Plain SQL: a drill-down would otherwise pay an ibis compile (tens of ms) on every click.
    dims, params = dimension_sql(where, _CD_DIMS)
    return scoped.execute_sql(
        f"""
        SELECT day, channel, product, country, succeeded,
               CAST(gross AS DOUBLE) AS gross, CAST(refunds AS DOUBLE) AS refunds,
               CAST(gross - refunds AS DOUBLE) AS net, CAST(fees AS DOUBLE) AS fees
        FROM payments_daily
        WHERE workspace_id = $ws AND day BETWEEN $start AND $end{dims}
        ORDER BY day, net DESC
        """,
        {"start": start, "end": end, **params},
    )


def ad_rows(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """ad_daily rows (platform x campaign x day) behind the campaign numbers, ratios per row."""
    dims, params = dimension_sql(where, {"platform": "platform", "campaign": "campaign"})
    return scoped.execute_sql(
        f"""
        SELECT date, platform, campaign, CAST(spend_reporting AS DOUBLE) AS spend,
               impressions, clicks, conversions,
               CAST(conversion_value_reporting AS DOUBLE) AS conversion_value
        FROM ad_daily
        WHERE workspace_id = $ws AND date BETWEEN $start AND $end{dims}
        ORDER BY date, spend DESC
        """,
        {"start": start, "end": end, **params},
    )


#: The catalogue's ad metrics, in the order the campaign table and the Campaigns KPI row show them.
AD_METRICS = (
    "spend",
    "impressions",
    "clicks",
    "ctr",
    "cpc",
    "cpm",
    "conversions",
    "cpa",
    "conversion_value",
    "roas",
)


def campaign_table(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """One row per platform x campaign with the catalogue's marketing metrics.

    Each ratio is the catalogue metric (``ctr``, ``cpc``, ``cpm``, ``cpa``, ``roas``) computed
    from the campaign's summed parts. Columns: platform, campaign, spend, impressions, clicks,
    ctr, cpc, cpm, conversions, cpa, conversion_value, roas.
    """
    names = AD_METRICS
    dims, params = dimension_sql(where, {"platform": "platform", "campaign": "campaign"})
    # Plain SQL: an ibis compile would cost ~30 ms of the first (cold) answer.
    pairs = scoped.execute_sql(
        f"""
        SELECT DISTINCT CAST(platform AS VARCHAR) AS platform, CAST(campaign AS VARCHAR) AS campaign
        FROM ad_daily WHERE workspace_id = $ws AND date BETWEEN $start AND $end{dims}
        """,
        {"start": start, "end": end, **params},
    )
    schema = {"platform": pl.Utf8, "campaign": pl.Utf8, **{n: pl.Float64 for n in names}}
    if pairs.height == 0:
        return pl.DataFrame(schema=schema)
    out = pairs.cast({"platform": pl.Utf8, "campaign": pl.Utf8})
    for name in names:
        frame = query_metric(scoped, name, start, end, by="campaign", where=_ad_where(where))
        out = out.join(frame.select("campaign", pl.col("value").alias(name)), on="campaign", how="left")
    return out.select(list(schema)).cast(schema).sort("spend", descending=True)


def _ad_where(where: dict[str, str] | None) -> dict[str, str] | None:
    kept = {k: v for k, v in (where or {}).items() if k in ("platform", "campaign")}
    return kept or None


def email_table(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """Email sends in the range with their rates (each rate as the catalogue defines it).

    ``where`` filters by the catalogue's email dimensions: ``campaign`` (the send's title) and
    ``list`` (its list name).
    """
    dims, params = dimension_sql(where, {"campaign": "title", "list": "list_name"})
    raw = scoped.execute_sql(
        f"""
        SELECT sent_at, title, list_name, recipients, delivered, unique_opens, unique_clicks,
               unsubscribes, bounces
        FROM email_campaigns
        WHERE workspace_id = $ws AND CAST(sent_at AS DATE) BETWEEN $start AND $end{dims}
        """,
        {"start": start, "end": end, **params},
    )

    def ratio(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)

    return raw.with_columns(
        ratio("unique_opens", "delivered").alias("open_rate"),
        ratio("unique_clicks", "delivered").alias("click_rate"),
        ratio("unique_clicks", "unique_opens").alias("ctor"),
        ratio("unsubscribes", "delivered").alias("unsubscribe_rate"),
        ratio("bounces", "recipients").alias("bounce_rate"),
    ).sort("sent_at", descending=True)


def period_of(day: date, grain: str) -> date:
    """The start of the ``grain`` period containing ``day`` (re-exported for drill-down)."""
    return period_start(day, grain)
