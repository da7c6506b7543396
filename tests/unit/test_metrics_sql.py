"""The fast paths of data.metrics give exactly the numbers of the plain definitions.

* Sum metrics run SQL compiled once per request shape (sentinels swapped for parameters):
  compared with executing the ibis expression directly, for every metric, grain, split and
  filter.
* MRR snapshots are running sums of start/end events: compared with testing every
  subscription against every cutoff, on edge cases (ends exactly at a cutoff, ends before it
  starts, null MRR, a plan with nothing active in the range, overlapping subscriptions).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from data import metrics as M
from data.metrics import (
    CATALOGUE,
    NONE_LABEL,
    MetricRequest,
    MetricService,
    periods,
    query_metric,
    service_of,
)
from data.metrics import compile as C
from data.metrics import execute as X
from tests.conftest import load, payments_frame

START, END = date(2026, 1, 1), date(2026, 3, 31)


@pytest.fixture
def scoped(services, workspace, other_workspace):
    rows = []
    for i in range(60):
        rows.append({
            "id": f"p{i}", "created": datetime(2026, 1, 1, 6) + timedelta(days=i * 1.6, hours=i % 7),
            "amount": f"{10 + i * 3}.{i % 100:02d}", "refunded": "5.00" if i % 9 == 0 else "0",
            "status": "failed" if i % 11 == 0 else "succeeded", "customer": f"c{i % 13}",
            "channel": [None, "Email", "Paid Search"][i % 3], "product": ["Kit", "Pro"][i % 2],
            "country": ["US", "DE", None][i % 3],
        })  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    load(services, other_workspace, "payments", payments_frame([
        {"id": "x", "created": "2026-01-10 10:00", "amount": "5000.00", "currency": "EUR", "customer": "z",
         "channel": "Email"}]))  # fmt: skip
    ads = [
        {"source": "google_ads", "source_id": f"g{i}", "date": START + timedelta(days=i * 2),
         "platform": ["google_ads", "meta_ads"][i % 2], "campaign": f"C{i % 4}", "spend": Decimal(f"{i}.50"),
         "currency": "USD", "impressions": 1000 + i, "clicks": i % 5, "conversions": float(i % 3),
         "conversion_value": Decimal(f"{i * 2}.00")}
        for i in range(40)
    ]  # fmt: skip
    load(services, workspace, "ad_daily", pl.DataFrame(ads))
    return services.warehouse.scoped(workspace)


def assert_same(got: pl.DataFrame, want: pl.DataFrame, *, context, **kwargs) -> None:
    """``assert_frame_equal`` whose failure names the case (metric, split, filter...) it checked."""
    try:
        assert_frame_equal(got, want, **kwargs)
    except AssertionError as exc:
        raise AssertionError(f"{context}: {exc}") from None


def _request(metric, start, end, grain, by, where) -> MetricRequest:
    return MetricRequest.of(metric.name, start, end, grain=grain, by=by, where=where)


def _direct(scoped, metric, start, end, grain, by, where):
    expr = C.sum_expr(scoped.table(metric.table), metric, start, end, grain, by, where)
    return scoped.execute(expr).with_columns(pl.col(p).cast(pl.Float64) for p in metric.parts)


@pytest.mark.parametrize("grain", ["total", "day", "week", "month"])
def test_msql001_compiled_shapes_equal_the_ibis_expression(scoped, grain):
    for name, metric in CATALOGUE.items():
        if metric.snapshot or metric.derive:  # not compiled: numpy, or computed from other answers
            continue
        dims = list(metric.dimensions)
        requests = [(None, {}), *[(d, {}) for d in dims]]
        if dims:
            requests.append((None, {dims[0]: "Email" if dims[0] == "channel" else "google_ads"}))
            requests.append(
                (dims[-1], {dims[0]: NONE_LABEL}) if len(dims) > 1 else (None, {dims[0]: NONE_LABEL})
            )
        for by, where in requests:
            fast = X._sum_parts(scoped, metric, START, END, grain, by, where)
            slow = _direct(scoped, metric, START, END, grain, by, where)
            keys = [c for c in ("period_date", by) if c and c in slow.columns]
            if "period_date" in keys:
                fast = fast.with_columns(pl.col("period_date").cast(pl.Date))
                slow = slow.with_columns(pl.col("period_date").cast(pl.Date))
            if keys:
                fast, slow = fast.sort(keys), slow.sort(keys)
            assert_same(fast.select(slow.columns), slow, check_dtypes=False, context=(name, by, where))
            shape = (name, grain, by, tuple(sorted(where)))
            rollup = (by is None and grain in metric.period_rollups) or (
                grain == "total"
                and metric.distinct_column
                and (
                    (by is None and (not where or (metric.dimension_rollups and len(where) == 1)))
                    or (by is not None and not where and metric.dimension_rollups)
                )
            )
            if not rollup:  # (a period rollup reads its own table; compared above all the same)
                assert (
                    service_of(scoped).templates.sql[shape] is not None
                )  # the compiled path ran, not the fallback


@pytest.mark.parametrize(
    "start,end",
    [
        (START, END),  # whole months, partial weeks at both ends
        (date(2026, 1, 14), date(2026, 3, 3)),  # partial first and last weeks and months
        (date(2026, 2, 3), date(2026, 2, 5)),  # inside one week and one month: no whole period
        (date(2026, 1, 5), date(2026, 2, 1)),  # whole weeks Monday to Sunday
    ],
)
@pytest.mark.parametrize(
    "where", [{}, {"channel": "Email"}, {"country": NONE_LABEL}, {"product": "Kit", "channel": "Email"}]
)
def test_msql003_period_rollups_count_the_same_customers(scoped, start, end, where):
    """Active customers in total and per day/week/month from the rollups (one filter: the
    per-dimension month rollup; two: the daily rows) equal COUNT(DISTINCT)."""
    metric = M.get_metric("active_customers")
    assert metric.period_rollups and metric.dimension_rollups, "the fast paths this test is about"
    plain = replace(metric, period_rollups={}, distinct_column=None, dimension_rollups={})
    for grain in ("total", "day", "week", "month"):
        fast = X._compute(scoped, metric, _request(metric, start, end, grain, None, where))
        slow = X._compute(scoped, plain, _request(plain, start, end, grain, None, where))
        assert_same(fast, slow, context=(grain, start, end, where))
        assert fast["value"].sum() > 0 or where, "the fixture should have customers in the range"


def test_msql002_compiled_sql_is_bound_to_the_callers_workspace(scoped, services, other_workspace):
    mine = query_metric(scoped, "gross_revenue", START, END)["value"][0]
    theirs = query_metric(services.warehouse.scoped(other_workspace), "gross_revenue", START, END)["value"][0]
    assert theirs == 5000.0 and mine != theirs


def _brute_force(subs: pl.DataFrame, start: date, end: date, grain: str, by: str | None) -> pl.DataFrame:
    """MRR by testing every subscription against every cutoff (the definition, spelled out)."""
    next_day = end + timedelta(days=1)
    rows = []
    for p in periods(start, end, grain):
        nxt = M.next_period(p, grain) if grain != "total" else next_day
        cut = datetime.combine(min(nxt, next_day), time())
        active = subs.filter(
            (pl.col("start_at") < cut) & (pl.col("end_at").is_null() | (pl.col("end_at") >= cut))
        )
        groups = active.group_by(by) if by else [((None,), active)]
        for key, g in groups:
            if g.height:
                rows.append({"period": p, by or "_": key[0], "value": float(g["mrr"].cast(pl.Float64).sum())})
    return pl.DataFrame(rows) if rows else pl.DataFrame()


@pytest.fixture
def subs(services, workspace):
    def sub(i, plan, mrr, start, end=None, customer=None):
        return {"source": "stripe", "source_id": f"s{i}", "customer_id": customer or f"c{i}", "plan": plan,
                "amount": Decimal(mrr or "0"), "currency": "USD", "mrr": Decimal(mrr) if mrr else None,
                "start_at": start, "end_at": end}  # fmt: skip

    rows = [
        sub(1, "Basic", "100.10", datetime(2025, 11, 1)),
        sub(2, "Pro", "250.00", datetime(2026, 1, 15, 12), datetime(2026, 2, 1)),  # ends exactly at a cutoff
        sub(3, "Pro", "80.05", datetime(2026, 2, 3), datetime(2026, 2, 2)),  # ends before it starts: never
        sub(4, None, "33.33", datetime(2026, 1, 1), datetime(2026, 3, 10)),
        sub(5, "Basic", None, datetime(2026, 2, 1)),  # null MRR: active, adds nothing
        sub(6, "Gold", "999.00", datetime(2025, 1, 1), datetime(2025, 12, 1)),  # ended before the range
        sub(7, "Basic", "20.00", datetime(2026, 1, 20), customer="c1"),  # second subscription of c1
        sub(8, "Pro", "10.00", datetime(2026, 3, 31, 23, 59)),  # starts on the last day
        sub(9, "Pro", "45.45", datetime(2026, 2, 28), datetime(2026, 3, 1)),  # a one-day subscription
    ]
    frame = pl.DataFrame(rows, schema_overrides={"mrr": pl.Decimal(18, 2), "end_at": pl.Datetime("us")})
    load(services, workspace, "subscriptions", frame)
    out = frame.rename({"mrr": "mrr"}).with_columns(pl.col("plan").fill_null(NONE_LABEL))
    return services.warehouse.scoped(workspace), out


@pytest.mark.parametrize("grain", ["total", "day", "week", "month"])
@pytest.mark.parametrize("by", [None, "plan"])
def test_msql015_mrr_running_sums_equal_the_definition(subs, grain, by):
    scoped, frame = subs
    for start, end in [
        (START, END),
        (date(2026, 2, 1), date(2026, 2, 1)),
        (date(2025, 12, 1), date(2026, 1, 31)),
    ]:
        got = query_metric(scoped, "mrr", start, end, grain=grain, by=by)
        want = _brute_force(frame, start, end, grain, by)
        dims = sorted(set(want[by].to_list())) if by and want.height else []
        # Every plan with an active subscription somewhere in the range, and only those, is listed.
        if by:
            assert sorted(set(got[by].to_list())) == dims
        for row in got.iter_rows(named=True):
            period = date.fromisoformat(row["period"]) if row["period"] else start
            match = (
                want.filter((pl.col("period") == period) & (pl.col(by) == row[by] if by else pl.lit(True)))
                if want.height
                else want
            )
            expected = round(match["value"].sum(), 2) if match.height else 0.0
            assert row["value"] == expected, (grain, by, start, end, row)
        arr = query_metric(scoped, "arr", start, end, grain=grain, by=by)
        assert arr["value"].to_list() == [round(v * 12, 2) for v in got["value"].to_list()]


def test_msql016_mrr_filter_by_plan_keeps_only_that_plan(subs):
    scoped, _ = subs
    split = query_metric(scoped, "mrr", START, END, grain="month", by="plan")
    only = query_metric(scoped, "mrr", START, END, grain="month", where={"plan": "Pro"})
    pro = split.filter(pl.col("plan") == "Pro")["value"].to_list()
    assert only["value"].to_list() == pro
    none = query_metric(scoped, "mrr", START, END, where={"plan": NONE_LABEL})
    assert none["value"][0] == 0.0  # the unnamed plan ended on 10 March, before the range's end


def test_msql005_dimension_values_are_the_distinct_names_in_range(scoped):
    from data.analytics import revenue_rows

    got = M.dimension_values(scoped, "payments_daily", ("channel", "product", "country"), START, END)
    rows = revenue_rows(scoped, START, END)
    for key in ("channel", "product", "country"):
        assert got[key] == sorted(v for v in rows[key].unique().to_list() if v)
    assert got["channel"] == ["Email", "Paid Search"]  # no None, no other workspace's names
    ads = M.dimension_values(scoped, "ad_daily", ("platform", "campaign"), START, START + timedelta(days=3))
    assert ads == {"platform": ["google_ads", "meta_ads"], "campaign": ["C0", "C1"]}
    with pytest.raises(M.MetricError, match="no dimension column"):
        M.dimension_values(scoped, "payments_daily", ("gross; DROP TABLE payments",), START, END)
    with pytest.raises(M.MetricError, match="no dimension values"):
        M.dimension_values(scoped, "payments", ("channel",), START, END)


def test_msql004_compiled_templates_outlive_the_process(scoped, tmp_path, monkeypatch):
    """A restarted server loads the SQL an earlier run compiled instead of compiling again."""
    store = tmp_path / "metric_sql.jsonl"
    monkeypatch.setattr(scoped.warehouse, "metric_service", MetricService(store))
    first = query_metric(scoped, "gross_revenue", START, END, grain="week", by="channel")
    assert store.exists()

    # "restart": a fresh service, a damaged line and one from another build in the file
    with store.open("a") as out:
        out.write("{not json\n")
        out.write(
            '{"fingerprint": "other-build", "shape": ["gross_revenue", "month", null, []], "sql": "SELECT 1"}\n'
        )
    restarted = MetricService()
    assert restarted.templates.load(store) >= 1
    assert ("gross_revenue", "month", None, ()) not in restarted.templates.sql  # the other build's line
    kept = store.read_text().splitlines()
    assert kept and not any("other-build" in line or line.startswith("{not") for line in kept)

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(scoped.warehouse, "metric_service", restarted)
    monkeypatch.setattr(C.ibis, "to_sql", no_compile)
    again = query_metric(scoped, "gross_revenue", START, END, grain="week", by="channel")
    assert_frame_equal(again, first)


@pytest.mark.parametrize("where", [None, {"plan": "Pro"}])
def test_msql007_arr_from_the_cached_mrr_equals_arr_computed(subs, services, where):
    """The dashboard derives ARR from MRR's cached answer (Metric.scaled_from): same numbers."""
    from dashboard.accounts import WorkspaceContext
    from dashboard.models import Role
    from dashboard.queries import metric_frame

    scoped, _ = subs
    ctx = WorkspaceContext(user_id=1, role=Role.OWNER, workspace=scoped.workspace)
    for grain in ("total", "week", "month"):
        direct = query_metric(scoped, "arr", START, END, grain=grain, compare="previous_year", where=where)
        cached = metric_frame(
            services, ctx, "arr", START, END, grain=grain, compare="previous_year", where=where
        )
        assert_frame_equal(cached, direct)
        assert direct["value"].sum() > 0


@pytest.mark.parametrize("grain", ["week", "month"])
@pytest.mark.parametrize("by", [None, "channel"])
def test_msql008_week_and_month_parts_equal_the_days_added_up(scoped, grain, by):
    """Week/month series of summed parts are added up from days first: same parts as truncating
    every row's date, for every summed metric of the payments and ads tables."""
    checked = 0
    for metric in CATALOGUE.values():
        summed = not (metric.snapshot or metric.derive or metric.distinct_column)
        if not summed or metric.table not in ("payments_daily", "ad_daily"):
            continue
        if by and by not in metric.dimensions:
            continue
        got = X._sum_parts(scoped, metric, START, END, grain, by, {})
        days = X._sum_parts(scoped, metric, START, END, "day", by, {})
        unit = {"week": "1w", "month": "1mo"}[grain]
        keys = ["period_date", *([by] if by else [])]
        want = days.group_by(pl.col("period_date").cast(pl.Date).dt.truncate(unit), *keys[1:]).agg(
            pl.col(p).sum() for p in metric.parts
        )
        got = got.with_columns(pl.col("period_date").cast(pl.Date)).sort(keys)
        assert_same(got.select(want.columns), want.sort(keys), check_dtypes=False, context=metric.name)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("grain", ["total", "day", "month"])
@pytest.mark.parametrize(
    ("by", "where"), [(None, None), ("channel", None), (None, {"platform": "google_ads"})]
)
def test_msql009_metrics_asked_together_equal_each_asked_alone(scoped, grain, by, where):
    """query_metrics sums a family of metrics in one scan: the same frames as one by one."""
    names = [
        name
        for name, metric in CATALOGUE.items()
        if (by is None or (by in metric.dimensions and not metric.derive))
        and all(k in metric.dimensions for k in where or {})
    ]
    together = M.query_metrics(
        scoped, names, START, END, grain=grain, by=by, compare="previous_period", where=where
    )
    assert list(together) == names
    families = {M.metric_family(M.get_metric(n), by) for n in names}
    assert len(families) < len(names), "some metrics must share a scan for this test to mean anything"
    for name in names:
        alone = query_metric(
            scoped, name, START, END, grain=grain, by=by, compare="previous_period", where=where
        )
        assert_same(together[name], alone, check_row_order=False, context=name)


def test_msql010_one_filter_reads_the_per_dimension_rollups(scoped, monkeypatch):
    """Active customers with one page filter read the per-dimension rollups: whole months of a
    channel from customer_monthly_dim_totals' rows, of a product from customer_monthly_dim's,
    whole weeks from customer_weekly_dim_counts."""
    tables = []
    real = scoped.execute_sql
    monkeypatch.setattr(
        scoped, "execute_sql", lambda sql, params=None: tables.append(sql) or real(sql, params)
    )
    metric = M.get_metric("active_customers")
    for grain, filter_, table in (
        ("total", {"channel": "Email"}, "customer_monthly_dim_totals"),
        ("month", {"channel": "Email"}, "customer_monthly_dim_totals"),
        ("total", {"product": "Pro"}, "customer_monthly_dim"),
        ("month", {"product": "Pro"}, "customer_monthly_dim"),
        ("week", {"channel": "Email"}, "customer_weekly_dim_counts"),
        ("week", {"product": "Pro"}, "customer_weekly_dim_counts"),
    ):
        tables.clear()
        X._compute(scoped, metric, _request(metric, START, END, grain, None, filter_))
        assert any(re.search(rf"\b{table}\b", sql) for sql in tables), (grain, filter_)
        tables.clear()
        X._compute(
            scoped, metric, _request(metric, START, END, grain, None, {"channel": "Email", "country": "US"})
        )
        assert not any("_dim" in sql for sql in tables), grain


@pytest.mark.parametrize(
    "start,end", [(START, END), (date(2026, 1, 14), date(2026, 3, 3)), (date(2026, 2, 3), date(2026, 2, 5))]
)
@pytest.mark.parametrize("by", ["channel", "product", "country"])
def test_msql011_split_from_the_per_dimension_rollup_counts_the_same_customers(scoped, start, end, by):
    """Active customers of a range split by a dimension (whole months from customer_monthly_dim)
    equal COUNT(DISTINCT) per value over the customer days."""
    metric = M.get_metric("active_customers")
    plain = replace(metric, period_rollups={}, distinct_column=None, dimension_rollups={})
    fast = X._compute(scoped, metric, _request(metric, start, end, "total", by, {})).sort(by)
    slow = X._compute(scoped, plain, _request(plain, start, end, "total", by, {})).sort(by)
    assert_frame_equal(fast, slow)
    assert fast["value"].sum() > 0


@pytest.mark.parametrize("grain", ["total", "day", "week", "month"])
def test_msql012_deal_metrics_with_different_row_filters_share_a_scan(services, workspace, grain):
    """Win rate (closed deals), deal size and sales cycle (won deals) and deals won, asked
    together without a split, sum in one scan and equal each asked alone."""
    rows = []
    for i in range(40):
        created = datetime(2026, 1, 1, 9) + timedelta(days=i)
        closed = created + timedelta(days=3 + i % 9) if i % 5 else None  # every fifth stays open
        won = None if closed is None else i % 3 == 0
        rows.append({"source": "hubspot", "source_id": f"d{i}", "name": f"Deal {i}", "stage": "s",
                     "pipeline": ["default", "partners"][i % 2], "owner": ["ana", "bo", None][i % 3],
                     "amount": Decimal(f"{100 + 37 * i}.50") if i % 7 else None, "currency": "USD",
                     "created_at": created, "closed_at": closed, "won": won})  # fmt: skip
    load(services, workspace, "deals", pl.DataFrame(rows))
    scoped = services.warehouse.scoped(workspace)
    names = ["win_rate", "average_deal_size", "sales_cycle_days", "deals_won"]
    assert len({M.metric_family(M.get_metric(n)) for n in names}) == 1, "one family without a split"
    assert len({M.metric_family(M.get_metric(n), "owner") for n in names}) > 1, "split: own filters"
    for where in (None, {"pipeline": "partners"}):
        together = M.query_metrics(
            scoped, names, START, END, grain=grain, compare="previous_period", where=where
        )
        for name in names:
            alone = query_metric(
                scoped, name, START, END, grain=grain, compare="previous_period", where=where
            )
            assert_same(together[name], alone, context=(name, where))
            assert alone["value"].drop_nulls().sum() > 0, name


def test_msql013_precompile_compiles_every_shape_a_kpi_row_runs(scoped, monkeypatch):
    """After precompile, a KPI row's metrics asked together at any grain compile nothing more."""
    # as after a code change: a fresh service has compiled nothing yet
    monkeypatch.setattr(scoped.warehouse, "metric_service", MetricService())
    names = [
        "spend",
        "clicks",
        "roas",
        "net_revenue",
        "gross_revenue",
        "new_customers",
        "win_rate",
        "deals_won",
    ]
    assert M.precompile(scoped, names) > 0
    compiles = []
    real = C.ibis.to_sql
    monkeypatch.setattr(C.ibis, "to_sql", lambda *a, **k: compiles.append(1) or real(*a, **k))
    for grain in M.GRAINS:
        M.query_metrics(scoped, names, START, END, grain=grain, compare="previous_period")
    assert compiles == []
    assert M.precompile(scoped, names) == 0  # everything known already


def test_msql014_server_warm_up_compiles_the_kpi_rows(services, monkeypatch):
    from dashboard.cli import warm_up

    warm_up(services)  # a fresh app: its metric service has compiled nothing yet
    templates = services.metrics.templates.sql
    assert any("+" in shape[0] for shape in templates), "a family's union was compiled"
    assert all(sql is not None for sql in templates.values())


def test_msql015_server_warm_up_compiles_the_campaign_table_with_each_page_filter(
    services, scoped, monkeypatch
):
    """The campaign table (ten ad metrics by campaign) compiles nothing on a first request, filtered or not."""
    from dashboard.cli import warm_up
    from data.analytics import campaign_table

    monkeypatch.setattr(scoped.warehouse, "metric_service", MetricService())  # as after a code change
    warm_up(services)
    compiles = []
    real = C.ibis.to_sql
    monkeypatch.setattr(C.ibis, "to_sql", lambda *a, **k: compiles.append(1) or real(*a, **k))
    for where in (
        None,
        {"platform": "google_ads"},
        {"campaign": "C1"},
        {"platform": "meta_ads", "campaign": "C1"},
    ):
        assert campaign_table(scoped, START, END, where=where).height > 0, where
    assert compiles == []
