"""Subscriptions: every subscription of a workspace, MRR snapshots and movements, churn KPIs.

* :func:`all_subscriptions`: one fetch (~35 ms at 100k subscriptions) serves MRR and ARR (total,
  comparison, series), the subscription KPIs and the MRR movements until the data changes
  (kept in the metric service per data version); each reader filters the frame in memory.
* **MRR movements** (ChartMogul's definitions), per customer, comparing the customer's summed
  MRR at the start of a period with the end of it: *new* (0 -> >0, never had a subscription
  before), *reactivation* (0 -> >0, had one before), *expansion* / *contraction* (>0 -> more /
  less), *churn* (>0 -> 0). Opening + new + reactivation + expansion - contraction - churn =
  closing, and closing equals the ``mrr`` metric for the same period.
* **Customer churn rate** = churned subscribers / subscribers at the start of the period.
* **Gross MRR churn** = (churn + contraction) / MRR at start; **net MRR churn** = (churn +
  contraction - expansion - reactivation) / MRR at start; **NRR** = 1 - net MRR churn.
* **ARPA** = MRR at the end / subscribers (customers with MRR > 0) at the end.
* **LTV** = ARPA / monthly customer churn, where the monthly churn is the period's customer
  churn rate scaled to 30.4375 days (None when nobody churned).

The catalogue's ARPA, LTV, NRR and churn metrics read :func:`subscription_kpi_frame`.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from data.metrics.calendar import DAYS_PER_MONTH, midnight, period_bounds
from data.metrics.service import service_of
from data.metrics.sql import dimension_sql
from data.warehouse import ScopedWarehouse


def all_subscriptions(scoped, plan: str | None = None) -> pl.DataFrame:
    """Every subscription of the workspace (of ``plan``; ``(none)`` means no plan).

    Columns: customer (vendor id, else email hash), code (dense customer number 0..n-1; null
    customers are one customer), first_start (the customer's first subscription start),
    start_at, end_at (null while active), cents (MRR in the reporting currency in integer
    cents: ``mrr_reporting`` is DECIMAL(18,2), so sums of cents are exact).

    Plain SQL with bound parameters (an ibis compile alone costs tens of milliseconds). The
    frame is shared: callers must not change it (polars frames are immutable anyway).
    """
    if getattr(scoped, "bypass_cache", False):  # data.metrics.explain_metric shows every statement
        return _fetch(scoped, plan)
    key = (scoped.workspace.id, scoped.data_version(), plan)
    return service_of(scoped).subscriptions.get(key, lambda: _fetch(scoped, plan))


class SubscriptionColumns:
    """The columns of :func:`all_subscriptions` as numpy arrays, converted once per data version.

    Every KPI row of the Revenue page walks them twice (the range and its comparison) and the
    movements panel once more; each walk converted and cast them again (~1-2 ms at 90k
    subscriptions). Rows are ordered by customer ``code``: keys built as ``code * m + boundary``
    then arrive nearly sorted, which is what :func:`_net_by_key`'s sort is fast on.
    """

    def __init__(self, subs: pl.DataFrame):
        import numpy as np

        subs = subs.sort("code", "start_at")
        end_at = subs["end_at"].cast(pl.Datetime("us"))
        self.size = subs.height
        self.start_at = subs["start_at"].cast(pl.Datetime("us")).to_numpy()
        self.ended = end_at.is_not_null().to_numpy()
        self.end_at = end_at.to_numpy()  # NaT while active (see ``ended``)
        self.code = subs["code"].to_numpy().astype(np.int64)
        self.cents = subs["cents"].to_numpy().astype(np.int64)
        by_code = np.zeros(int(subs["code"].max()) + 1 if subs.height else 0, dtype="datetime64[us]")
        by_code[self.code] = subs["first_start"].cast(pl.Datetime("us")).to_numpy()
        #: each customer's first subscription start, by ``code``
        self.first_start = by_code
        # The rows by start and the ended ones by end, for :meth:`runs` (sorted once here, so a
        # range's runs cost two passes instead of two binary searches per subscription).
        self._by_start = np.argsort(self.start_at, kind="stable")
        self._starts_sorted = self.start_at[self._by_start]
        ended_rows = np.flatnonzero(self.ended)
        by_end = np.argsort(self.end_at[ended_rows], kind="stable")
        self._ended_by_end = ended_rows[by_end]
        self._ends_sorted = self.end_at[ended_rows][by_end]

    def runs(self, cut) -> tuple:
        """(first, last): each subscription is active at cutoffs ``first .. last - 1`` of ``cut``.

        ``cut`` is an ascending ``datetime64[us]`` array of instants; a subscription is active at
        one when ``start_at < cutoff <= end_at`` (an open one to the last cutoff: ``last`` =
        ``len(cut)``). The same as ``np.searchsorted(cut, start_at, side="right")`` (and that of
        ``end_at``), which took 0.4-1.6 ms per array at 90k subscriptions.
        """
        import numpy as np

        first = np.empty(self.size, dtype=np.int64)
        first[self._by_start] = _cutoffs_at_or_before(self._starts_sorted, cut)
        last = np.full(self.size, len(cut), dtype=np.int64)
        last[self._ended_by_end] = _cutoffs_at_or_before(self._ends_sorted, cut)
        return first, last


def _cutoffs_at_or_before(ascending, cut):
    """For each of the ``ascending`` values: how many of the sorted ``cut`` are <= it.

    ``cut`` splits the values into ``len(cut) + 1`` runs: one binary search per cutoff finds
    them, and each value gets its run's number.
    """
    import numpy as np

    below = np.searchsorted(ascending, cut, side="left")  # values < each cutoff
    counts = np.diff(below, prepend=0, append=len(ascending))
    return np.repeat(np.arange(len(cut) + 1, dtype=np.int64), counts)


def subscription_columns(scoped, plan: str | None = None) -> SubscriptionColumns:
    """:func:`all_subscriptions` as numpy arrays, kept per data version beside the frame."""
    if getattr(scoped, "bypass_cache", False):
        return SubscriptionColumns(_fetch(scoped, plan))
    key = (scoped.workspace.id, scoped.data_version(), plan, "columns")
    return service_of(scoped).subscriptions.get(
        key, lambda: SubscriptionColumns(all_subscriptions(scoped, plan))
    )


def _fetch(scoped: ScopedWarehouse, plan: str | None) -> pl.DataFrame:
    plan_sql, params = dimension_sql({"plan": plan} if plan else None, {"plan": "plan"})
    return scoped.execute_sql(
        f"""
        WITH s AS (
            SELECT coalesce(customer_id, customer_email_hash) AS customer, start_at, end_at,
                   CAST(round(coalesce(mrr_reporting, 0) * 100) AS BIGINT) AS cents
            FROM subscriptions
            WHERE workspace_id = $ws AND start_at IS NOT NULL{plan_sql}
        ),
        c AS (  -- a GROUP BY (hash) is cheaper than window functions (a sort)
            SELECT customer, min(start_at) AS first_start, row_number() OVER () - 1 AS code
            FROM s GROUP BY customer
        )
        SELECT s.customer, c.code, c.first_start, s.start_at, s.end_at, s.cents
        FROM s JOIN c ON s.customer IS NOT DISTINCT FROM c.customer
        """,
        params,
    )


MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")


#: Movement codes of the vectorised classification, in the order of :data:`MOVEMENT_NAMES`.
MOVEMENT_NAMES = ("new", "expansion", "reactivation", "contraction", "churn", "unchanged")


_NEW, _EXPANSION, _REACTIVATION, _CONTRACTION, _CHURN, _UNCHANGED = range(6)


#: Cells (customers x cutoffs) per block: bounds memory for long day-grain ranges (~32 MB each).
_BLOCK_CELLS = 4_000_000
#: Up to this many grid cells per key, :func:`_net_by_key` counts over the grid; past it, it sorts.
_DENSE_CELLS_PER_KEY = 4


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
    subscription with every cutoff, :meth:`SubscriptionColumns.runs` finds the run of cutoffs
    each subscription is active for, a difference array per customer marks the run's
    ends, and a cumulative sum along the cutoffs gives every snapshot at once (as
    ``data.metrics.execute._snapshot_parts`` does for the ``mrr`` metric). Customers with no MRR at
    any cutoff are skipped.
    """

    def __init__(self, subs: SubscriptionColumns, bounds: list[tuple[date, date, date]]):
        import numpy as np

        self.opens = np.array([midnight(first) for _, first, _ in bounds], dtype="datetime64[us]")
        closes = np.array(
            [midnight(last + timedelta(days=1)) for _, _, last in bounds], dtype="datetime64[us]"
        )
        cut = np.unique(np.concatenate([self.opens, closes]))
        self.k = len(cut)
        self.o_idx, self.c_idx = np.searchsorted(cut, self.opens), np.searchsorted(cut, closes)
        first, last = subs.runs(cut)
        live = last > first  # active at cutoffs first .. last-1
        codes = subs.code[live]
        # Only customers active at some cutoff get a row, numbered densely.
        self.customers, self._row = np.unique(codes, return_inverse=True)
        self._first, self._last = first[live], last[live]
        self._cents = subs.cents[live].astype(np.float64)  # exact below 2**53
        self.first_start = subs.first_start[self.customers]

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


def _net_by_key(key, delta, size: int):
    """(sorted distinct keys, summed delta of each) for integer ``key`` in ``0 .. size - 1``.

    A key is a customer-boundary cell. While the customers x boundaries grid is dense in keys
    (a total, a few months: every range's KPI cards), two bincounts over the grid net the
    changes in one pass. A grid many times larger than the keys (a year of weeks has ~20 cells
    per key) is cheaper to sort: the keys arrive nearly sorted (by customer), and a bincount
    costs its whole grid, 24 ms against 1.5 ms for a year of weeks at 70,000 customers. Both
    give every key that had a change, zero-sum ones included.
    """
    import numpy as np

    if size <= min(_BLOCK_CELLS, _DENSE_CELLS_PER_KEY * len(key)):
        seen = np.bincount(key, minlength=size)
        # float64 sums of integer cents are exact below 2**53; rounding gives the exact cents
        summed = np.bincount(key, weights=delta.astype(np.float64), minlength=size)
        cells = np.flatnonzero(seen)
        return cells, np.rint(summed[cells]).astype(np.int64)
    order = np.argsort(key, kind="stable")
    key, delta = key[order], delta[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    return key[starts], (np.add.reduceat(delta, starts) if len(starts) else delta[:0])


class _Steps:
    """Each customer's MRR as a step function over the period boundaries (sparse).

    Periods are contiguous (each ends where the next starts), so boundary ``p`` opens period
    ``p`` and closes period ``p - 1``. A subscription raises its customer's MRR from the first
    boundary after its start and lowers it again after the last boundary it is still active
    at (start_at < cutoff <= end_at; :meth:`SubscriptionColumns.runs` finds both).
    Netting those changes per customer and boundary and summing them along each customer gives
    the customer's MRR right after every change: only the customer-periods whose MRR changed
    are ever looked at, never the (mostly unchanged) customers x periods grid. Cents are
    integers, so every sum is exact. A customer's MRR counts only when positive.

    Attributes (one entry per customer-boundary where the MRR changed): ``code`` (customer),
    ``idx`` (boundary), ``before`` / ``after`` (MRR in cents just before and at it).
    """

    def __init__(self, subs: SubscriptionColumns, bounds: list[tuple[date, date, date]]):
        import numpy as np

        self.opens = np.array([midnight(first) for _, first, _ in bounds], dtype="datetime64[us]")
        cut = np.append(self.opens, np.datetime64(midnight(bounds[-1][2] + timedelta(days=1)), "us"))
        self.k = k = len(cut)
        first, last = subs.runs(cut)
        live = last > first  # active at boundaries first .. last-1
        codes, cents, last = subs.code[live], subs.cents[live], last[live]
        self.first_start = subs.first_start
        # +cents from boundary ``first``, -cents from ``last``; one ending at k ends past the
        # range, so it makes no change in it.
        ends = last < k
        key, delta = _net_by_key(
            np.concatenate([codes * (k + 1) + first[live], codes[ends] * (k + 1) + last[ends]]),
            np.concatenate([cents, -cents[ends]]),
            len(subs.first_start) * (k + 1),
        )
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

        # float64 sums of integer cents are exact below 2**53: rounding gives the exact cents
        mrr = np.bincount(self.idx, weights=self.after - self.before, minlength=self.k)
        paying = np.bincount(
            self.idx, weights=(self.after > 0).astype(np.int64) - (self.before > 0), minlength=self.k
        )
        return np.rint(mrr).astype(np.int64).cumsum(), np.rint(paying).astype(np.int64).cumsum()

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
    with_names: bool = False,
) -> pl.DataFrame:
    """Every customer's MRR at the start and end of each period and the movement it makes.

    Columns: period (YYYY-MM-DD of the period start, null for grain total), customer,
    mrr_start, mrr_end, change, movement (new | expansion | contraction | churn | reactivation
    | unchanged). Start of a period = the instant its first day begins; end = the instant after
    its last day (clipped to the range), the same instants the ``mrr`` metric snapshots.
    Customers with no MRR at either end of a period have no row for it; ``changed_only``
    leaves out the unchanged rows too (the drill-down shows only movements). ``with_names`` adds
    the customer's ``name`` and ``email`` after ``customer`` (a person reads those, not a
    vendor id; see :func:`customer_labels`).
    """
    import numpy as np

    bounds = period_bounds(start, end, grain)
    # Every subscription, also those starting after ``end``: their run of boundaries is empty
    # (their start lies past the last one), so they add nothing.
    subs = all_subscriptions(scoped, plan)
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
        frames = [frame(*_Steps(subscription_columns(scoped, plan), bounds).movements())]
    else:  # every customer-period with MRR at either end: the dense grid, in blocks
        snaps, frames = _Snapshots(subscription_columns(scoped, plan), bounds), []
        for rows, snap in snaps.blocks():
            s, e = snap[snaps.o_idx], snap[snaps.c_idx]  # periods x customers
            j, i = np.nonzero((s > 0) | (e > 0))
            si, ei = s[j, i], e[j, i]
            code = snaps.customers[rows][i]
            frames.append(
                frame(code, j, si, ei, _classify(si, ei, snaps.first_start[rows][i] < snaps.opens[j]))
            )
    out = pl.concat(frames) if frames else pl.DataFrame(schema=_DETAIL_SCHEMA)
    out = out.sort(["period", "movement", "customer"], nulls_last=True)
    if with_names:
        labels = customer_labels(scoped, out["customer"].drop_nulls().unique().to_list())
        out = out.join(labels, on="customer", how="left").select(
            "period",
            "customer",
            "name",
            "email",
            *[c for c in _DETAIL_SCHEMA if c not in ("period", "customer")],
        )
    return out


def customer_labels(scoped: ScopedWarehouse, keys: list[str]) -> pl.DataFrame:
    """Name and email of the customers with these keys (vendor id, else email hash).

    Columns: customer, name, email (null when the warehouse has no customer row for a key).
    A subscription names its customer by the vendor's id (``cus_...``) or, without one, by
    the email hash; a customer row may match on either.
    """
    schema = {"customer": pl.Utf8, "name": pl.Utf8, "email": pl.Utf8}
    if not keys:
        return pl.DataFrame(schema=schema)
    found = scoped.execute_sql(
        """
        SELECT k.key AS customer, any_value(c.name) AS name, any_value(c.email) AS email
        FROM (SELECT unnest($keys) AS key) k
        JOIN customers c ON c.workspace_id = $ws AND (c.source_id = k.key OR c.email_hash = k.key)
        GROUP BY k.key
        """,
        {"keys": keys},
    )
    return found.select(list(schema)).cast(schema)


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
    # Subscriptions starting after ``end`` fall past the last boundary and add nothing.
    steps = _Steps(subscription_columns(scoped, plan), bounds)
    n = len(bounds)
    mrr, paying = steps.at_boundaries()
    _, period, s, e, move = steps.movements()
    # one pass over the changes: cell ``move * n + period`` (moves 0-4; 5 is unchanged)
    cell = move.astype(np.int64) * n + period
    amounts = np.rint(np.bincount(cell, weights=e - s, minlength=6 * n)).reshape(6, n)
    tallies = np.bincount(cell, minlength=6 * n).reshape(6, n)
    moved = {code: amounts[code] for code in range(5)}
    moved_n = {code: tallies[code] for code in range(5)}
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


def subscription_kpi_frame(
    scoped: ScopedWarehouse, start: date, end: date, grain: str = "total", *, plan: str | None = None
) -> pl.DataFrame:
    """The subscription KPIs of each period (definitions in the module docstring), one row each.

    Columns: period, the :func:`mrr_movements` columns, customer_churn_rate, gross_mrr_churn,
    net_mrr_churn, nrr, arpa, ltv (null where a denominator is zero). The catalogue's ARPA,
    LTV, NRR, churn metrics read these columns, so a card and ``pulseboard metric`` agree.
    """
    moves = mrr_movements(scoped, start, end, grain, plan=plan)
    days = [float((last - first).days + 1) for _, first, last in period_bounds(start, end, grain)]

    def ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
        return pl.when(den.is_not_null() & (den != 0)).then(num / den).otherwise(None)

    lost = pl.col("churn") + pl.col("contraction")
    net_lost = lost - pl.col("expansion") - pl.col("reactivation")
    out = moves.with_columns(
        pl.Series("days", days, dtype=pl.Float64),
        ratio(pl.col("churned_customers").cast(pl.Float64), pl.col("customers_start")).alias(
            "customer_churn_rate"
        ),
        ratio(lost, pl.col("opening_mrr")).alias("gross_mrr_churn"),
        ratio(net_lost, pl.col("opening_mrr")).alias("net_mrr_churn"),
        ratio(pl.col("closing_mrr"), pl.col("customers_end").cast(pl.Float64)).alias("arpa"),
    )
    monthly_churn = pl.col("customer_churn_rate") * DAYS_PER_MONTH / pl.col("days")
    return out.with_columns(
        (1.0 - pl.col("net_mrr_churn")).alias("nrr"), ratio(pl.col("arpa"), monthly_churn).alias("ltv")
    ).drop("days")


def subscription_kpis(
    scoped: ScopedWarehouse, start: date, end: date, *, plan: str | None = None
) -> dict[str, float | None]:
    """Churn, retention and value KPIs of the range (definitions in the module docstring).

    Keys: mrr_start, mrr_end, subscribers_start, subscribers_end, churned_customers,
    customer_churn_rate, gross_mrr_churn, net_mrr_churn, nrr, arpa, ltv, plus the movement
    amounts (new, expansion, reactivation, contraction, churn). The whole range's row of
    :func:`subscription_kpi_frame`: the same numbers as the catalogue metrics of those names.
    """
    row = subscription_kpi_frame(scoped, start, end, "total", plan=plan).row(0, named=True)
    return {
        "mrr_start": row["opening_mrr"],
        "mrr_end": row["closing_mrr"],
        "subscribers_start": row["customers_start"],
        "subscribers_end": row["customers_end"],
        "churned_customers": row["churned_customers"],
        **{
            k: row[k]
            for k in ("customer_churn_rate", "gross_mrr_churn", "net_mrr_churn", "nrr", "arpa", "ltv")
        },
        **{m: row[m] for m in MOVEMENTS},
    }
