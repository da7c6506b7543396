"""Answer metric requests: the query API every page, report, export, CLI and API call uses.

    query_metric(scoped, "net_revenue", date(2026, 1, 1), date(2026, 3, 31), grain="month",
                 by="channel", compare="previous_year")  ->  polars DataFrame
    columns: period (YYYY-MM-DD of the period start, null for grain total), [<dimension>],
             value, compare_value

How a request is answered, in order: :func:`query_metrics` checks the :class:`MetricRequest`,
groups the metrics into families that share one scan (:func:`metric_family`), and computes
each (:func:`_compute`): a sum of parts runs the shape's compiled SQL
(:mod:`data.metrics.compile`, cached in the metric service) or a rollup fast path, a snapshot
(MRR) is summed in numpy from the subscriptions, a derived metric (NRR, CAC ...) is computed
from other answers (:mod:`data.metrics.derived`). :func:`explain_metric` shows the SQL.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import ibis
import numpy as np
import polars as pl

from data.metrics.calendar import GRAINS, comparison_range, next_period, periods, whole_periods
from data.metrics.catalogue import Metric, get_metric
from data.metrics.compile import compile_template, sum_expr
from data.metrics.derived import DeriveInput
from data.metrics.errors import MetricError
from data.metrics.request import MetricRequest
from data.metrics.service import service_of
from data.metrics.sql import NONE_LABEL, dimension_sql, inline_params
from data.metrics.subscriptions import subscription_columns
from data.rollups import CUSTOMER_DIMS as ROLLUP_DIMS
from data.rollups import DIM_TOTALS_DIMS
from data.warehouse import ScopedWarehouse


def query_metric(
    scoped: ScopedWarehouse,
    name: str,
    start: date,
    end: date,
    *,
    grain: str = "total",
    by: str | None = None,
    compare: str | None = None,
    where: dict[str, str] | None = None,
) -> pl.DataFrame:
    """One metric for one workspace over an inclusive date range (workspace-local days).

    Returns columns ``period`` (str or null), the ``by`` dimension if given, ``value`` and
    ``compare_value`` (null without a comparison). Every period of the range is present (zero
    for sums, null for undefined ratios), so charts and comparisons line up.

    ``where`` keeps only rows whose dimension equals a value (``{"channel": "Email"}``; the
    value ``(none)`` matches missing ones), before any part is summed: a filtered ratio is
    computed from the filtered parts, exactly like the matching row of ``by=``.
    """
    request = MetricRequest.of(name, start, end, grain=grain, by=by, compare=compare, where=where)
    return answer(scoped, request)[name]


def query_metrics(
    scoped: ScopedWarehouse,
    names: list[str] | tuple[str, ...],
    start: date,
    end: date,
    *,
    grain: str = "total",
    by: str | None = None,
    compare: str | None = None,
    where: dict[str, str] | None = None,
) -> dict[str, pl.DataFrame]:
    """:func:`query_metric` of several metrics with the same request: name -> frame.

    Metrics summed from the same table (the ten ad metrics, or gross revenue, refunds and net
    revenue) are computed together, from one scan per range instead of one per metric; the
    frames are exactly those :func:`query_metric` returns one by one. A KPI row asks this way.
    """
    return answer(
        scoped, MetricRequest.of(names, start, end, grain=grain, by=by, compare=compare, where=where)
    )


def answer(scoped: ScopedWarehouse, request: MetricRequest) -> dict[str, pl.DataFrame]:
    """Every metric of ``request``: name -> frame (period, [by], value, compare_value)."""
    metrics = request.check()
    current = _compute_all(scoped, metrics, request)
    if request.compare is None:
        return {
            name: frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("compare_value")).drop(
                "period_index"
            )
            for name, frame in current.items()
        }
    previous = _compute_all(scoped, metrics, request.comparison())
    keys = ["period_index", *([request.by] if request.by else [])]
    out = {}
    for name, frame in current.items():
        before = previous[name].select([*keys, pl.col("value").alias("compare_value")])
        out[name] = frame.join(before, on=keys, how="left").drop("period_index")
    return out


def dimension_values(
    scoped: ScopedWarehouse, table: str, columns: tuple[str, ...], start: date, end: date
) -> dict[str, list[str]]:
    """Distinct non-empty values of each dimension column of a daily table in [start, end], sorted.

    The choices of a page filter: one DISTINCT scan of the rollup (``payments_daily`` by
    ``day``, ``ad_daily``/``web_daily`` by ``date``) instead of fetching every row of years of
    data to find a few dozen names. Unknown tables or columns raise MetricError.
    """
    date_column = {"payments_daily": "day", "ad_daily": "date", "web_daily": "date"}.get(table)
    if date_column is None:
        raise MetricError(
            f"no dimension values for table {table!r}; known: payments_daily, ad_daily, web_daily"
        )
    # Plain SQL, not ibis: loading ibis's backend costs ~0.2 s the first time in a process.
    # (execute_sql always binds $ws, so the statement must mention it.)
    known = set(
        scoped.execute_sql(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = $table AND $ws IS NOT NULL",
            {"table": table},
        )["column_name"].to_list()
    )
    for column in columns:
        if column not in known or column in ("workspace_id", date_column):
            raise MetricError(f"table {table!r} has no dimension column {column!r}")
    # One scan: the distinct combinations are few (dozens to thousands), the rows are millions.
    select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    combos = scoped.execute_sql(
        f'SELECT DISTINCT {select} FROM {table} WHERE workspace_id = $ws AND "{date_column}" BETWEEN $start AND $end',
        {"start": start, "end": end},
    )
    return {c: sorted(v for v in combos[c].unique().to_list() if v) for c in columns}


class SqlRecorder:
    """A stand-in for a :class:`ScopedWarehouse` that runs every statement and keeps its text.

    ``explain_metric`` answers a request through it, so the SQL it shows is exactly the SQL
    that ran (template, rollup fast path or snapshot fetch), not a reconstruction. Caches in
    front of the warehouse are skipped (``bypass_cache``) so nothing is answered unseen.
    """

    bypass_cache = True

    def __init__(self, scoped: ScopedWarehouse):
        self._scoped = scoped
        #: (sql, parameters) in the order they ran ($ws included)
        self.statements: list[tuple[str, dict]] = []

    def __getattr__(self, name: str):
        return getattr(self._scoped, name)

    def execute_sql(self, sql: str, params: dict | None = None) -> pl.DataFrame:
        """Run ``sql`` on the workspace and keep it."""
        self.statements.append((sql, {**(params or {}), "ws": self._scoped.workspace.id}))
        return self._scoped.execute_sql(sql, params)

    def execute(self, expr: ibis.Expr) -> pl.DataFrame:
        """Run an ibis expression on the workspace and keep its SQL."""
        self.statements.append((ibis.to_sql(expr, dialect="duckdb"), {}))
        return self._scoped.execute(expr)


def explain_metric(
    scoped: ScopedWarehouse,
    name: str,
    start: date,
    end: date,
    *,
    grain: str = "total",
    by: str | None = None,
    compare: str | None = None,
    where: dict[str, str] | None = None,
) -> str:
    """The SQL that answers a request, runnable as printed (Superset's "view query").

    The request is answered once through a :class:`SqlRecorder`; each statement it ran is
    printed with its parameters filled in, after comments saying what the metric is and what
    happens to the rows afterwards (a snapshot, a ratio or a derived metric is finished in
    Python). Raises MetricError for a bad request, like :func:`query_metric`.
    """
    metric = get_metric(name)
    recorder = SqlRecorder(scoped)
    query_metrics(recorder, [name], start, end, grain=grain, by=by, compare=compare, where=where)
    lines = [
        f"-- {metric.name}: {metric.label} ({metric.unit}), {start.isoformat()} .. {end.isoformat()}, grain {grain}"
        + (f", by {by}" if by else "")
        + (f", compared with {compare}" if compare else "")
        + (f", where {json.dumps(where, sort_keys=True)}" if where else ""),
        f"-- formula: {metric.formula}",
    ]
    if metric.derive is not None:
        lines.append(
            "-- derived: the statements below fetch its inputs; the formula combines them per period"
        )
    elif metric.snapshot:
        lines.append("-- snapshot: the value at the end of each period is summed from these rows in Python")
    elif len(metric.parts) > 1:
        lines.append(
            f"-- the statement sums the parts {', '.join(metric.parts)}; the formula combines them per row"
        )
    if compare:
        c_start, c_end = comparison_range(start, end, compare)
        lines.append(
            f"-- the comparison ({c_start.isoformat()} .. {c_end.isoformat()}) runs the same statements"
        )
    for i, (sql, params) in enumerate(recorder.statements, 1):
        lines.append(f"\n-- statement {i} of {len(recorder.statements)}")
        text = "\n".join(line.rstrip() for line in textwrap.dedent(sql).strip().splitlines() if line.strip())
        lines.append(inline_params(text, params).rstrip(";") + ";")
    return "\n".join(lines) + "\n"


# -- internals ---------------------------------------------------------------------------------


def _compute_all(
    scoped: ScopedWarehouse, metrics: list[Metric], request: MetricRequest
) -> dict[str, pl.DataFrame]:
    """:func:`_compute` of each metric, sharing one scan among metrics of the same family."""
    start, end, grain, by, where = request.start, request.end, request.grain, request.by, request.filters
    out: dict[str, pl.DataFrame] = {}
    for family, members in _families(metrics, by).items():
        if family[0] is None or len(members) == 1:
            for metric in members:
                out[metric.name] = _compute_shared(scoped, metric, request)
            continue
        raw = _sum_parts(scoped, _family_union(members), start, end, grain, by, where)
        keys = [c for c in ("period_date", by) if c and c in raw.columns]
        for i, metric in enumerate(members):
            own = raw.select(*keys, *(pl.col(f"{i}:{p}").alias(p) for p in metric.parts))
            out[metric.name] = _compute(scoped, metric, request, raw=own)
    return out


def _compute_shared(scoped: ScopedWarehouse, metric: Metric, request: MetricRequest) -> pl.DataFrame:
    """:func:`_compute`, kept per data version for distinct counts (several metrics derive from them)."""
    if not metric.distinct_column or not hasattr(scoped, "data_version"):
        return _compute(scoped, metric, request)
    key = (scoped.workspace.id, scoped.data_version(), metric.name, request.start, request.end,
           request.grain, request.by, request.where)  # fmt: skip
    return service_of(scoped).distinct_counts.get(key, lambda: _compute(scoped, metric, request))


def _family_union(members: list[Metric]) -> Metric:
    """One metric whose parts are every member's parts, renamed "<i>:<part>" so they cannot collide.

    Its name (the members') keys the compiled-SQL template of this shape. Members with different
    row filters (only without a split, see :func:`metric_family`) each sum their own rows: a
    part counts where its metric's filter holds, the union reads the rows any member wants.
    """
    filters = {id(m.row_filter): m.row_filter for m in members}
    return replace(
        members[0],
        name="+".join(m.name for m in members),
        parts={
            f"{i}:{p}": fn if len(filters) == 1 else _only_where(m.row_filter, fn)
            for i, m in enumerate(members)
            for p, fn in m.parts.items()
        },
        row_filter=members[0].row_filter if len(filters) == 1 else _any_of(list(filters.values())),
    )


def precompile(
    scoped: ScopedWarehouse, names, grains=GRAINS, *, by: str | None = None, where_keys: tuple[str, ...] = ()
) -> int:
    """Compile the SQL of ``names`` asked together for each grain (split ``by``, filtered on ``where_keys``).

    The shapes are those :func:`query_metrics` would run; returns how many were compiled now.
    Run by the server's warm-up for the pages' KPI rows and tables: after a code change the
    template store is empty, and each shape's first request would otherwise pay its compile
    (15-50 ms a shape: the campaign table's first filtered answer at 10M payments took 30 ms
    in a fresh process, 17 ms with its shape compiled).
    """
    where_keys = tuple(sorted(where_keys))
    compiled = 0
    for family, members in _families([get_metric(name) for name in names], by).items():
        shapes = members if family[0] is None or len(members) == 1 else [_family_union(members)]
        for metric in shapes:
            if metric.snapshot or metric.derive:
                continue  # snapshots are computed in numpy, derived metrics from other answers
            for grain in grains:
                if not service_of(scoped).templates.known((metric.name, grain, by, where_keys)):
                    _sql_template(scoped, metric, grain, by, where_keys)
                    compiled += 1
    return compiled


def _families(metrics: list[Metric], by: str | None) -> dict[tuple, list[Metric]]:
    """``metrics`` grouped by :func:`metric_family` (in the order given)."""
    families: dict[tuple, list[Metric]] = {}
    for metric in metrics:
        families.setdefault(metric_family(metric, by), []).append(metric)
    return families


def metric_family(metric: Metric, by: str | None = None) -> tuple:
    """Metrics with equal keys are summed in one query by :func:`query_metrics`.

    Same table, date column and dimensions, and summed parts (a snapshot or a distinct count has
    its own computation: its key is unique to it). Split by a dimension, the row filter must be
    the same too: it decides which groups exist. Without a split, metrics with different row
    filters share a scan (the four deal metrics of the Customers KPI row).
    """
    if metric.snapshot or metric.distinct_column or metric.period_rollups or metric.derive:
        return (None, metric.name)
    dims = tuple(sorted(metric.dimensions.items()))
    return (metric.table, metric.date_column, id(metric.row_filter) if by else None, dims)


def _only_where(row_filter, part):
    """``part`` summed over the rows ``row_filter`` keeps only (zero elsewhere)."""
    if row_filter is None:
        return part

    def filtered(t: ibis.Table) -> ibis.Value:
        value = part(t)
        if isinstance(value, ibis.expr.types.Scalar):  # a reduction cannot be filtered row by row
            raise MetricError("a metric with a row filter and an aggregate part cannot share a scan")
        return ibis.ifelse(row_filter(t), value, 0)

    return filtered


def _any_of(row_filters: list):
    """A row filter keeping rows any of ``row_filters`` keeps (None: one of them keeps all)."""
    if any(f is None for f in row_filters):
        return None

    def either(t: ibis.Table) -> ibis.Value:
        keep = row_filters[0](t)
        for f in row_filters[1:]:
            keep = keep | f(t)
        return keep

    return either


def _compute(
    scoped: ScopedWarehouse, metric: Metric, request: MetricRequest, *, raw: pl.DataFrame | None = None
):
    """One metric's frame (period_index, period, [by], value); ``raw``: its parts, if summed already."""
    start, end, grain, by, where = request.start, request.end, request.grain, request.by, request.filters
    if metric.derive is not None:
        return _derived_frame(scoped, metric, request)
    if raw is None and metric.snapshot:
        raw = _snapshot_parts(scoped, metric, start, end, grain, by, where)
    elif raw is None:
        raw = _sum_parts(scoped, metric, start, end, grain, by, where)
    frame = _fill_calendar(raw, metric, start, end, grain, by)
    value = metric.combine * metric.scale if metric.scale != 1.0 else metric.combine
    frame = frame.with_columns(value.cast(pl.Float64).alias("value"))
    if metric.unit == "currency":
        frame = frame.with_columns(pl.col("value").round(2))
    columns = ["period_index", "period", *([by] if by else []), "value"]
    return frame.select(columns)


def _derived_frame(scoped: ScopedWarehouse, metric: Metric, request: MetricRequest) -> pl.DataFrame:
    """A derived metric's frame: every period of the range, null where ``derive`` gave no value."""
    start, end, grain = request.start, request.end, request.grain
    starts = periods(start, end, grain)
    calendar = pl.DataFrame(
        {"period_index": list(range(len(starts))), "period_date": starts},
        schema={"period_index": pl.Int64, "period_date": pl.Date},
    )

    def values(names: list[str], where: dict[str, str]) -> pl.DataFrame:
        asked = replace(
            request, names=tuple(names), by=None, compare=None, where=tuple(sorted(where.items()))
        )
        frames = _compute_all(scoped, asked.metrics(), asked)
        out = frames[names[0]].select("period_index", pl.col("value").alias(names[0]))
        for name in names[1:]:
            out = out.join(
                frames[name].select("period_index", pl.col("value").alias(name)), on="period_index"
            )
        return out

    given = DeriveInput(scoped, start, end, grain, request.filters, metric.dimensions, values)
    derived = metric.derive(given).select(
        pl.col("period_index").cast(pl.Int64), pl.col("value").cast(pl.Float64)
    )
    frame = calendar.join(derived, on="period_index", how="left")
    period = (
        pl.lit(None, dtype=pl.Utf8) if grain == "total" else pl.col("period_date").dt.strftime("%Y-%m-%d")
    )
    value = pl.col("value").round(2) if metric.unit == "currency" else pl.col("value")
    return frame.sort("period_index").select("period_index", period.alias("period"), value.alias("value"))


#: period rollups with several rows per counted thing and period, and the column marking one
#: of them: customer_daily keeps a row per channel/product/country a customer paid through on
#: a day, one of which is ``first_of_day`` (data.rollups; warehouse migration 0011)
ONE_ROW_MARKS = {"customer_daily": "first_of_day"}


def _sql_template(scoped, metric: Metric, grain: str, by: str | None, where_keys: tuple) -> str | None:
    """The shape's compiled SQL from the metric service (compiled on first use), or None."""
    return service_of(scoped).templates.template(
        (metric.name, grain, by, where_keys), lambda: compile_template(scoped, metric, grain, by, where_keys)
    )


def _sum_parts(
    scoped, metric: Metric, start: date, end: date, grain: str, by: str | None, where: dict
) -> pl.DataFrame:
    fast = by is None and hasattr(scoped, "execute_sql")
    # One page filter on a distinct count: its per-value period rollups stand in for the plain ones.
    one_filter = (
        len(where) == 1
        and bool(metric.dimension_rollups)
        and metric.dimensions[next(iter(where))] in ROLLUP_DIMS
    )
    if fast and grain == "total" and metric.distinct_column:
        one_month_rollup = one_filter and "month" in metric.dimension_rollups
        rollup = dimension_rollup(metric, "month", where) if one_month_rollup else None
        if not where:
            rollup = metric.period_rollups.get("month")
        if rollup is not None:
            frame = _distinct_total_parts(scoped, metric, start, end, rollup, where)
            if frame is not None:
                return frame
    split_rollup = by is not None and not where and "month" in metric.dimension_rollups
    if split_rollup and metric.distinct_column and grain == "total" and hasattr(scoped, "execute_sql"):
        frame = _distinct_split_parts(scoped, metric, start, end, by)
        if frame is not None:
            return frame
    if grain in metric.period_rollups and fast:
        table, column = metric.period_rollups[grain]
        if one_filter and grain in metric.dimension_rollups:
            return _period_rollup_parts(
                scoped, metric, start, end, grain, where, dimension_rollup(metric, grain, where)
            )
        # A marked table answers only the unfiltered count: its marked row may be another
        # channel's than the filter's
        if not where or (table == metric.table and table not in ONE_ROW_MARKS):
            return _period_rollup_parts(scoped, metric, start, end, grain, where)
    where_keys = tuple(sorted(where))
    template = _sql_template(scoped, metric, grain, by, where_keys)
    if template is not None:
        params = {"start": start, "end": end, **{f"w{i}": where[k] for i, k in enumerate(where_keys)}}
        frame = scoped.execute_sql(template, params)
    else:
        expr = sum_expr(scoped.table(metric.table), metric, start, end, grain, by, where)
        frame = scoped.execute(expr)
    return frame.with_columns(pl.col(p).cast(pl.Float64) for p in metric.parts)


def _distinct_total_parts(
    scoped, metric: Metric, start: date, end: date, rollup: tuple[str, str], where: dict
) -> pl.DataFrame | None:
    """A distinct count over the range with whole months read from a month rollup.

    One row per counted thing and month instead of one per day: the same set to de-duplicate,
    in a fraction of the rows. ``rollup`` is the metric's month rollup, or its per-dimension
    one when ``where`` holds one filter. None when the range holds no whole month (the plain
    path is as fast then).
    """
    table, column = rollup
    counted, part = metric.distinct_column, next(iter(metric.parts))
    whole_from, whole_until = whole_periods(start, end, "month")
    if whole_from >= whole_until:
        return None
    day = metric.date_column
    in_rollup, params = _rollup_filter(rollup, metric, where)
    edge_dims, edge_params = dimension_sql(where, metric.dimensions, "e")
    return scoped.execute_sql(
        f"""
        SELECT CAST(count(*) AS DOUBLE) AS "{part}" FROM (
            SELECT {counted} FROM (
                SELECT {counted} FROM {table}
                WHERE workspace_id = $ws AND {column} >= $lo AND {column} < $hi{in_rollup}
                UNION ALL
                SELECT {counted} FROM {metric.table}
                WHERE workspace_id = $ws AND ({day} BETWEEN $start AND $lo - 1 OR {day} BETWEEN $hi AND $end)
                      {edge_dims}
            )
            GROUP BY {counted}  -- groups of integers, then a count: ~3x faster than COUNT(DISTINCT)
        )
        """,
        {"lo": whole_from, "hi": whole_until, "start": start, "end": end, **params, **edge_params},
    )


def _distinct_split_parts(scoped, metric: Metric, start: date, end: date, by: str) -> pl.DataFrame | None:
    """A distinct count over the range split by a dimension, whole months per-dimension rollup.

    Active customers by country for a year (the Customers page's map): one row per customer,
    month and country instead of every customer-day. None when the range holds no whole month.
    """
    counted, part = metric.distinct_column, next(iter(metric.parts))
    whole_from, whole_until = whole_periods(start, end, "month")
    day, dim = metric.date_column, metric.dimensions[by]
    if whole_from >= whole_until or dim not in ROLLUP_DIMS:
        return None
    table, column = dimension_rollup(metric, "month", {by: None})
    return scoped.execute_sql(
        f"""
        SELECT split AS "{by}", CAST(count(*) AS DOUBLE) AS "{part}" FROM (
            SELECT split, {counted} FROM (
                SELECT value AS split, {counted} FROM {table}
                WHERE workspace_id = $ws AND dim = $rdim AND {column} >= $lo AND {column} < $hi
                UNION ALL
                SELECT COALESCE(CAST({dim} AS VARCHAR), '{NONE_LABEL}'), {counted} FROM {metric.table}
                WHERE workspace_id = $ws AND ({day} BETWEEN $start AND $lo - 1 OR {day} BETWEEN $hi AND $end)
            )
            GROUP BY split, {counted}
        )
        GROUP BY split
        """,
        {"lo": whole_from, "hi": whole_until, "start": start, "end": end, "rdim": dim},
    )


#: Per-dimension rollups another table answers for some dimensions with the very same
#: (dim, value, period, customer_no) rows: customer_monthly_dim keeps only the dimensions
#: customer_monthly_dim_totals does not (warehouse migration 0013).
DIMENSION_ROLLUP_STAND_INS = {"customer_monthly_dim": (DIM_TOTALS_DIMS, "customer_monthly_dim_totals")}
#: Per-dimension rollups that hold a count per (dim, value, period) instead of a row per counted
#: thing: table -> its count column (summed where the others' rows are counted)
COUNTED_ROLLUPS = {"customer_weekly_dim_counts": "customers"}
#: every table a per-dimension rollup may be read from (columns dim and value)
_DIMENSION_TABLES = frozenset(
    {*COUNTED_ROLLUPS, *DIMENSION_ROLLUP_STAND_INS, *(t for _, t in DIMENSION_ROLLUP_STAND_INS.values())}
)


def dimension_rollup(metric: Metric, grain: str, where: dict) -> tuple[str, str]:
    """(table, period column) of ``metric``'s per-dimension ``grain`` rollup for one dimension.

    The dimension is the one key of ``where`` (a page filter, or the split with any value).
    """
    table, column = metric.dimension_rollups[grain]
    dims, stand_in = DIMENSION_ROLLUP_STAND_INS.get(table, ((), table))
    return (stand_in if metric.dimensions[next(iter(where))] in dims else table), column


def _rollup_filter(rollup: tuple[str, str], metric: Metric, where: dict) -> tuple[str, dict]:
    """SQL conditions (and parameters) keeping ``where``'s rows of a period rollup.

    The per-dimension rollup keeps one filter as (dim, value) rows; a plain rollup has the
    dimension columns themselves, if any.
    """
    if where and rollup[0] in _DIMENSION_TABLES:
        ((key, value),) = where.items()
        return " AND dim = $rdim AND value = $rval", {"rdim": metric.dimensions[key], "rval": str(value)}
    return dimension_sql(where, metric.dimensions, "w")


def _period_rollup_parts(
    scoped,
    metric: Metric,
    start: date,
    end: date,
    grain: str,
    where: dict,
    rollup: tuple[str, str] | None = None,
) -> pl.DataFrame:
    """A distinct count per period read as a row count of the metric's period rollup.

    Only whole periods are read there: a range that starts or ends inside a period counts that
    partial period over the metric's own table, exactly as without the rollup. ``rollup``
    overrides the grain's rollup (the per-dimension month rollup for one filter).
    """
    table, column = rollup or metric.period_rollups[grain]
    part = next(iter(metric.parts))
    whole_from, whole_until = whole_periods(start, end, grain)
    if whole_from >= whole_until:  # no whole period in the range
        return _sum_parts(scoped, replace(metric, period_rollups={}), start, end, grain, None, where)
    dims, params = _rollup_filter((table, column), metric, where)
    if table in ONE_ROW_MARKS:
        dims += f" AND {ONE_ROW_MARKS[table]}"
    counted = f"sum({COUNTED_ROLLUPS[table]})" if table in COUNTED_ROLLUPS else "count(*)"
    frame = scoped.execute_sql(
        f"""
        SELECT {column} AS period_date, CAST({counted} AS DOUBLE) AS "{part}" FROM {table}
        WHERE workspace_id = $ws AND {column} >= $lo AND {column} < $hi{dims}
        GROUP BY {column}
        """,
        {"lo": whole_from, "hi": whole_until, **params},
    )
    edges = []
    if start < whole_from:
        edges.append((start, whole_from - timedelta(days=1)))
    if whole_until <= end:
        edges.append((whole_until, end))
    plain = replace(metric, period_rollups={})
    frames = [frame.with_columns(pl.col("period_date").cast(pl.Date))]
    for lo, hi in edges:
        edge = _sum_parts(scoped, plain, lo, hi, grain, None, where)
        frames.append(edge.select(pl.col("period_date").cast(pl.Date), pl.col(part).cast(pl.Float64)))
    return pl.concat(frames)


def _snapshot_parts(
    scoped, metric: Metric, start: date, end: date, grain: str, by: str | None, where: dict
) -> pl.DataFrame:
    """Value of active subscriptions at the end of each period (or of the range for total).

    A subscription is active at a cutoff instant when it started before it and has not ended
    by it (start_at < cutoff <= end_at). Rather than testing every subscription against every
    cutoff (subscriptions x days rows), the run of cutoffs each one is active for is found
    (:meth:`~data.metrics.subscriptions.SubscriptionColumns.runs` for the workspace's kept
    columns, a binary search for a filtered query), and a difference array summed along the
    cutoffs gives every period at once. Sums are in integer cents, so they are exact. A count of active
    subscriptions rides along, so a plan with none active is left out, as a direct filter would.
    """
    next_day = end + timedelta(days=1)
    starts = periods(start, end, grain)
    cutoffs = [
        datetime.combine(min(next_period(p, grain) if grain != "total" else next_day, next_day), time())
        for p in starts
    ]
    # Without a split no dimension column is fetched: converting and sorting ~100k strings cost
    # more than the rest of the snapshot.
    dim = f", COALESCE(CAST(\"{metric.dimensions[by]}\" AS VARCHAR), '{NONE_LABEL}') AS dim" if by else ""
    filters, filter_params = dimension_sql(where, metric.dimensions, "w")
    cut = np.array(cutoffs, dtype="datetime64[us]")
    k = len(cut)
    if (
        not by
        and set(where) <= {"plan"}
        and metric.dimensions.get("plan") == "plan"
        and hasattr(scoped, "warehouse")
    ):
        # The common case (MRR/ARR cards and trends, a plan filter at most) reads the
        # workspace's subscriptions as columns kept once per data version, shared with the
        # subscription KPIs and movements, instead of one query per call. A subscription outside
        # the range has an empty run of cutoffs.
        columns = subscription_columns(scoped, where.get("plan"))
        first, last = columns.runs(cut)
        values, height = columns.cents, columns.size
    else:
        subs = scoped.execute_sql(
            f"""
            SELECT start_at, coalesce(end_at, TIMESTAMP '9999-12-31') AS end_at,
                   CAST(round(coalesce(mrr_reporting, 0) * 100) AS BIGINT) AS cents{dim}
            FROM subscriptions
            WHERE workspace_id = $ws AND start_at < $next_day AND (end_at IS NULL OR end_at >= $start){filters}
            """,
            {"next_day": next_day, "start": start, **filter_params},
        )
        first = np.searchsorted(cut, subs["start_at"].cast(pl.Datetime("us")).to_numpy(), side="right")
        last = np.searchsorted(cut, subs["end_at"].cast(pl.Datetime("us")).to_numpy(), side="right")
        values, height = subs["cents"].to_numpy(), subs.height
    live = last > first  # active at cutoffs first .. last-1
    keys = ([] if grain == "total" else ["period_date"]) + ([by] if by else [])
    if height == 0:
        if not keys:
            return pl.DataFrame({"value": [0.0]})
        return pl.DataFrame(
            schema={"period_date": pl.Date, **({by: pl.Utf8} if by else {}), "value": pl.Float64}
        ).select([*keys, "value"])
    if by:  # dense codes in sorted order of the names (sorted in Rust, not as numpy strings)
        dims = subs["dim"].cast(pl.Utf8)
        names = np.array(dims.unique().sort().to_list(), dtype=object)
        codes = dims.rank("dense").cast(pl.Int64).to_numpy() - 1
    else:
        names, codes = np.array([""], dtype=object), np.zeros(height, dtype=np.int64)
    rows, f, la = codes[live], first[live], last[live]
    # Difference arrays by bincount (flat index row * (k + 1) + cutoff): float64 sums of integer
    # cents are exact below 2**53, so rounding back to int64 gives the exact cents.
    size = len(names) * (k + 1)
    weights = values[live].astype(np.float64)
    starts_at, ends_at = rows * (k + 1) + f, rows * (k + 1) + la
    cents = np.bincount(starts_at, weights=weights, minlength=size) - np.bincount(
        ends_at, weights=weights, minlength=size
    )
    count = np.bincount(starts_at, minlength=size) - np.bincount(ends_at, minlength=size)
    cents = np.rint(cents.reshape(len(names), k + 1).cumsum(axis=1)[:, :k]).astype(np.int64)
    count = count.reshape(len(names), k + 1).cumsum(axis=1)[:, :k]
    if not keys:
        return pl.DataFrame({"value": [float(cents[:, 0].sum()) / 100]})
    d, j = np.nonzero(count > 0)
    active = pl.DataFrame(
        {
            "period_date": [starts[i] for i in j],
            "dim": [str(names[i]) for i in d],
            "value": cents[d, j] / 100,
        },
        schema={"period_date": pl.Date, "dim": pl.Utf8, "value": pl.Float64},
    )
    active = active.rename({"dim": by}) if by else active.drop("dim")
    return active.select([*keys, "value"])


def _fill_calendar(raw: pl.DataFrame, metric: Metric, start: date, end: date, grain: str, by: str | None):
    """Add every period of the range (zero parts where there was no data) and period labels."""
    parts = list(metric.parts)
    if grain == "total" and not by and raw.height == 1:
        # A KPI card's shape: one row in, one row out. A single select does what the join with
        # the calendar below does (same columns and types), in one polars call instead of six.
        return raw.select(
            pl.lit(0, dtype=pl.Int64).alias("period_index"),
            pl.lit(start, dtype=pl.Date).alias("period_date"),
            *(pl.col(p).fill_null(0.0) for p in parts),
            pl.lit(None, dtype=pl.Utf8).alias("period"),
        )
    starts = periods(start, end, grain)
    calendar = pl.DataFrame(
        {"period_index": list(range(len(starts))), "period_date": starts},
        schema={"period_index": pl.Int64, "period_date": pl.Date},
    )
    if grain == "total":
        raw = raw.with_columns(pl.lit(start, dtype=pl.Date).alias("period_date"))
    if by:
        dims = raw.select(by).unique() if raw.height else pl.DataFrame(schema={by: pl.Utf8})
        calendar = calendar.join(dims, how="cross")
    keys = ["period_date", *([by] if by else [])]
    if raw.height == 0:
        raw = pl.DataFrame(schema={**{k: calendar.schema[k] for k in keys}, **{p: pl.Float64 for p in parts}})
    frame = calendar.join(raw.with_columns(pl.col("period_date").cast(pl.Date)), on=keys, how="left")
    frame = frame.with_columns(pl.col(p).fill_null(0.0) for p in parts)
    period = (
        pl.lit(None, dtype=pl.Utf8) if grain == "total" else pl.col("period_date").dt.strftime("%Y-%m-%d")
    )
    return frame.with_columns(period.alias("period")).sort(["period_index", *([by] if by else [])])
