"""The warehouse on PostgreSQL answers exactly what the DuckDB file answers (issue 15).

The demo business is imported into a DuckDB warehouse and a PostgreSQL one through the same
importers; every catalogue metric is then asked of both, by day and split by a dimension, and
the JSON payloads (what ``pulseboard metric --json`` prints) must agree: money to the cent,
everything else to 1e-9. Runs against the server in ``PULSEBOARD_TEST_POSTGRES_URL`` (each run
in a database of its own, dropped afterwards); skipped with the reason when unset or unreachable.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

import data.analytics.cohorts as co
import data.analytics.customers as cus
import data.analytics.marketing as mk
import data.analytics.pipeline as pp
import data.analytics.revenue as rev
from dashboard.metric_json import metric_payload
from data.connectors.base import Chunk
from data.demo import generate_demo_files
from data.importer import import_file
from data.ingest import ingest_chunks
from data.metrics import CATALOGUE, query_metric
from data.warehouse import Warehouse, WarehouseError, WorkspaceRef
from data.warehouse_pg import PostgresWarehouse
from tests.conftest import payments_frame
from tests.integration.real_engines import postgres_databases

DEMO_END = date(2026, 3, 31)
# The demo's two years, minus a week at each end so that partial weeks and months are asked too.
RANGE = (date(2024, 4, 8), date(2026, 3, 24))
WORKSPACE = WorkspaceRef(1, "demo", "USD", "UTC")
OTHER = WorkspaceRef(2, "other", "USD", "UTC")


@pytest.fixture(scope="module")
def pg_url():
    """A fresh database on the test server (C collation: text sorts byte-wise, as in DuckDB)."""
    with postgres_databases("pb_wh_test") as (url,):
        yield url


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> list[Path]:
    return generate_demo_files(tmp_path_factory.mktemp("demo"), seed=7, years=2, end=DEMO_END)


@pytest.fixture(scope="module")
def warehouses(pg_url, demo_files, tmp_path_factory):
    """(DuckDB, PostgreSQL) warehouses with the demo imported into each the same way."""
    duck = Warehouse(f"duckdb:///{tmp_path_factory.mktemp('duck') / 'warehouse.duckdb'}")
    pg = Warehouse(pg_url)
    for warehouse in (duck, pg):
        for path in demo_files:
            result = import_file(warehouse, WORKSPACE, path)
            assert result["status"] in ("ok", "partial"), result
    yield duck, pg
    duck.close()
    pg.close()


def _requests():
    """(metric, grain, by) of every catalogue metric: by day, and by month split by a dimension.

    A derived metric cannot be split: it is asked by month filtered to its dimension's most
    common value instead (see :func:`_answer`).
    """
    for name, metric in CATALOGUE.items():
        yield name, "day", None
        if metric.dimensions:
            yield name, "month", next(iter(metric.dimensions))


def _answer(warehouse, name: str, grain: str, by: str | None, duck) -> dict:
    """The ``pulseboard metric --json`` payload; a derived metric's "split" is a filter."""
    metric = CATALOGUE[name]
    if by is None or metric.derive is None:
        return metric_payload(warehouse.scoped(WORKSPACE), name, *RANGE, grain=grain, by=by)
    column = metric.dimensions[by]
    ((value,),) = (
        duck.cursor()
        .execute(
            f"SELECT CAST({column} AS VARCHAR) FROM {metric.table} WHERE workspace_id = ? "
            f"AND {column} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
            [WORKSPACE.id],
        )
        .fetchall()
    )
    frame = query_metric(warehouse.scoped(WORKSPACE), name, *RANGE, grain=grain, where={by: value})
    return {"metric": name, "unit": metric.unit, "where": {by: value}, "rows": frame.to_dicts()}


def _same(a, b, currency: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if currency:
        return round(a * 100) == round(b * 100)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def test_pgw001_url_selects_postgres_and_bad_url_is_refused():
    with pytest.raises(WarehouseError, match="cannot open the PostgreSQL warehouse"):
        Warehouse("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(WarehouseError, match="postgresql://"):
        Warehouse("mysql://somewhere/db")


def test_pgw002_migrations_transpile_and_are_idempotent(pg_url, tmp_path):
    first = Warehouse(pg_url)
    assert isinstance(first, PostgresWarehouse)
    assert first.migrate() == []  # opening applied them; nothing is pending
    again = Warehouse(pg_url)  # a second process opening the same database applies nothing
    assert again.migrate() == []
    versions = [r[0] for r in first.cursor().execute("SELECT version FROM schema_migrations").fetchall()]
    expected = sorted(p.stem for p in (Path(__file__).parents[2] / "data" / "migrations").glob("*.sql"))
    assert sorted(versions) == expected
    # Every table and column of the DuckDB warehouse exists on PostgreSQL, in the same order.
    duck = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    duck_columns = (
        duck.cursor()
        .execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        )
        .fetchall()
    )
    pg_columns = (
        first.cursor()
        .execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        .fetchall()
    )
    assert [tuple(r) for r in pg_columns] == [tuple(r) for r in duck_columns]
    for w in (first, again, duck):
        w.close()


@pytest.mark.parametrize(("name", "grain", "by"), list(_requests()))
def test_pgw003_every_catalogue_metric_equal_on_both(warehouses, name, grain, by):
    duck, pg = warehouses
    want = _answer(duck, name, grain, by, duck)
    got = _answer(pg, name, grain, by, duck)
    assert {k: v for k, v in got.items() if k != "rows"} == {k: v for k, v in want.items() if k != "rows"}
    assert len(got["rows"]) == len(want["rows"]), (name, grain, by)
    currency = want["unit"] == "currency"
    for g, w in zip(got["rows"], want["rows"], strict=True):
        assert g.keys() == w.keys()
        for key in w:
            assert _same(g[key], w[key], currency), (name, grain, by, key, g, w)


def test_pgw004_rollups_equal_on_both(warehouses):
    duck, pg = warehouses
    tables = {
        "payments_daily": "day, channel, product, country",
        "customer_first": "customer_no",
        "customer_monthly": "month, customer_no",
        "customer_weekly_dim_counts": "dim, value, week",
        "customer_monthly_dim": "dim, value, month, customer_no",
        "customer_monthly_dim_totals": "dim, value, month, customer_no",
        "customer_refunds_daily": "day, customer_no",
    }
    for table, order in tables.items():
        sql = f"SELECT * FROM {table} WHERE workspace_id = ? ORDER BY {order}"
        want = duck.cursor().execute(sql, [WORKSPACE.id]).pl()
        got = pg.cursor().execute(sql, [WORKSPACE.id]).pl()
        assert want.height > 0, table
        assert got.columns == want.columns
        assert got.cast(want.schema).equals(want), table


def test_pgw005_failed_ingest_on_postgres_changes_nothing(warehouses):
    _, pg = warehouses
    scoped = pg.scoped(OTHER)
    frame = payments_frame(
        [{"id": "ch_a", "created": "2026-03-01 10:00:00", "amount": "10.00", "customer": "cus_a"}]
    )
    ok = ingest_chunks(pg, OTHER, [Chunk("payments", frame)], source="stripe", name="first")
    assert ok.status == "ok" and ok.inserted == 1
    before = scoped.row_counts(), scoped.data_version()

    def fail(_cur):
        raise RuntimeError("disk full")

    more = payments_frame(
        [{"id": "ch_b", "created": "2026-03-02 10:00:00", "amount": "20.00", "customer": "cus_b"}]
    )
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_chunks(pg, OTHER, [Chunk("payments", more)], source="stripe", name="second", after_load=fail)
    assert (scoped.row_counts(), scoped.data_version()) == before
    runs = scoped.execute_sql(
        "SELECT name, status FROM ingest_runs WHERE workspace_id = $ws ORDER BY id"
    ).to_dicts()
    assert runs == [{"name": "first", "status": "ok"}, {"name": "second", "status": "failed"}]
    # The demo workspace next door is untouched by either.
    assert pg.scoped(WORKSPACE).row_counts() == warehouses[0].scoped(WORKSPACE).row_counts()


def test_pgw006_reimport_replaces_rows_and_keeps_numbers(warehouses, demo_files):
    duck, pg = warehouses
    payments = next(p for p in demo_files if p.name == "stripe_payments.csv")
    for warehouse in (duck, pg):
        result = import_file(warehouse, WORKSPACE, payments)
        assert result["inserted"] == 0 and result["updated"] > 0
    want = metric_payload(duck.scoped(WORKSPACE), "net_revenue", *RANGE, grain="month")
    got = metric_payload(pg.scoped(WORKSPACE), "net_revenue", *RANGE, grain="month")
    assert [r["value"] for r in got["rows"]] == [r["value"] for r in want["rows"]]


def test_pgw007_frames_have_duckdb_types(warehouses):
    _, pg = warehouses
    frame = (
        pg.cursor()
        .execute(
            "SELECT day, gross, payments, channel FROM payments_daily WHERE workspace_id = ? LIMIT 1",
            [WORKSPACE.id],
        )
        .pl()
    )
    assert frame.schema == pl.Schema(
        {"day": pl.Date, "gross": pl.Decimal(18, 2), "payments": pl.Int64, "channel": pl.Utf8}
    )


def test_pgw008_the_comparison_compares_real_numbers(warehouses):
    """The demo has data for the metrics of every page: equal zeros would prove nothing."""
    _, pg = warehouses
    for name in ("gross_revenue", "active_customers", "new_customers", "mrr", "spend", "sessions"):
        rows = metric_payload(pg.scoped(WORKSPACE), name, *RANGE)["rows"]
        assert rows[0]["value"] > 0, name
    for name in ("open_rate", "win_rate", "nrr", "cac", "sales_cycle_days"):
        rows = metric_payload(pg.scoped(WORKSPACE), name, *RANGE)["rows"]
        assert rows[0]["value"] is not None and rows[0]["value"] > 0, name


def test_pgw009_incremental_refresh_of_added_payments_equal_on_both(warehouses):
    """An import that only adds rows refreshes the rollups of its days alone (temp tables, DELETE USING)."""
    duck, pg = warehouses
    frame = payments_frame(
        [
            {
                "id": "ch_new_1",
                "created": "2025-06-03 12:00:00",
                "amount": "70.00",
                "customer": "cus_brand_new",
            },
            {"id": "ch_new_2", "created": "2025-06-03 13:00:00", "amount": "30.00", "channel": "Email"},
        ]
    )
    for warehouse in (duck, pg):
        result = ingest_chunks(warehouse, WORKSPACE, [Chunk("payments", frame)], source="manual", name="adds")
        assert (result.status, result.inserted, result.updated) == ("ok", 2, 0)
    for name in ("new_customers", "active_customers", "gross_revenue"):
        for by in (None, "channel"):
            want = metric_payload(duck.scoped(WORKSPACE), name, date(2025, 5, 1), date(2025, 6, 30), by=by)
            got = metric_payload(pg.scoped(WORKSPACE), name, date(2025, 5, 1), date(2025, 6, 30), by=by)
            assert got["rows"] == want["rows"], (name, by)


def _common(scoped, dim: str) -> str:
    """The dimension's most common value among the workspace's customer-days."""
    return scoped.execute_sql(
        f"SELECT {dim} AS v FROM customer_daily WHERE workspace_id = $ws AND {dim} IS NOT NULL "
        f"GROUP BY {dim} ORDER BY count(*) DESC, {dim} LIMIT 1"
    )["v"][0]


ANALYTICS = {
    "customer_counts": lambda s, a, b: cus.customer_counts(s, a, b),
    "top_customers": lambda s, a, b: cus.top_customers(s, a, b),
    "rfm_scores": lambda s, a, b: cus.rfm_scores(s, b),
    # with a page filter and partial months: whole months from customer_monthly_dim_totals
    "top_customers by channel": lambda s, a, b: cus.top_customers(
        s, a + timedelta(days=9), b - timedelta(days=12), where={"channel": _common(s, "channel")}
    ),
    "rfm_scores by country": lambda s, a, b: cus.rfm_scores(
        s, b - timedelta(days=12), lookback_days=200, where={"country": _common(s, "country")}
    ),
    "campaign_table": lambda s, a, b: mk.campaign_table(s, a, b),
    "email_table": lambda s, a, b: mk.email_table(s, a, b),
    "funnel": lambda s, a, b: mk.funnel(s, a, b),
    "cac_by_channel": lambda s, a, b: mk.cac_by_channel(s, a, b),
    "pipeline_stats": lambda s, a, b: pp.pipeline_stats(s, a, b),
    "open_pipeline": lambda s, a, b: pp.open_pipeline(s, b),
    "deals_by_stage": lambda s, a, b: pp.deals_by_stage(s, a, b),
    "cohort_retention": lambda s, a, b: co.cohort_retention(s, a, b),
    "revenue_rows": lambda s, a, b: rev.revenue_rows(s, a, b),
    # an insight's split of a revenue change by customer (customer_daily + customer_refunds_daily)
    "revenue_by_customer": lambda s, a, b: cus.revenue_by_customer(
        s, "net_revenue", (a + timedelta(days=182), b), (a, a + timedelta(days=181)), limit=50
    ),
}


@pytest.mark.parametrize("name", sorted(ANALYTICS))
def test_pgw010_page_analytics_equal_on_both(warehouses, name):
    """The pages' analytics beyond the catalogue (their own SQL, transpiled) answer the same.

    Row order is not part of their contract (the pages sort), so frames are compared sorted.
    """
    duck, pg = warehouses
    want = ANALYTICS[name](duck.scoped(WORKSPACE), date(2025, 1, 1), date(2025, 12, 31))
    got = ANALYTICS[name](pg.scoped(WORKSPACE), date(2025, 1, 1), date(2025, 12, 31))
    if not isinstance(want, pl.DataFrame):
        assert got == pytest.approx(want, rel=1e-9, nan_ok=True)
        return
    assert want.height > 0 and got.columns == want.columns
    floats = {c: pl.Float64 for c, t in want.schema.items() if t.is_numeric() and not t.is_integer()}
    want, got = want.cast(floats), got.cast(want.schema).cast(floats)
    keys = [c for c in want.columns if not want.schema[c].is_float()] or want.columns
    want, got = want.sort(keys, nulls_last=True), got.sort(keys, nulls_last=True)
    for column in want.columns:
        w, g = want[column].to_list(), got[column].to_list()
        if want.schema[column].is_float():
            assert all(_same(x, y, currency=False) for x, y in zip(g, w, strict=True)), (column, g, w)
        else:
            assert g == w, column


def test_pgw011_report_files_stream_the_same_rows_from_both(warehouses, tmp_path):
    """CSV and Excel detail rows stream from PostgreSQL (a server-side cursor) as from DuckDB."""
    import openpyxl

    from reports.definition import ReportSpec
    from reports.render import render_file

    spec = ReportSpec(sections=("kpis", "revenue"), period="custom", start=RANGE[0], end=RANGE[1])
    csvs, totals = [], []
    for warehouse, name in zip(warehouses, ("duck", "pg"), strict=True):
        scoped = warehouse.scoped(WORKSPACE)
        info = render_file(scoped, spec, "csv", tmp_path / f"{name}.csv", today=RANGE[1])
        lines = (tmp_path / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert info["rows"] == len(lines) - 1 > 1_000
        csvs.append((lines[0], sorted(lines[1:])))
        render_file(scoped, spec, "xlsx", tmp_path / f"{name}.xlsx", today=RANGE[1])
        book = openpyxl.load_workbook(tmp_path / f"{name}.xlsx", read_only=True)
        sheet = next(s for s in book.worksheets if s.title.lower().startswith("revenue"))
        rows = list(sheet.iter_rows(values_only=True))
        totals.append(len(rows))
    assert csvs[0][0] == csvs[1][0]  # the same header
    assert len(csvs[0][1]) == len(csvs[1][1])
    assert csvs[0][1] == csvs[1][1]  # the same rows, whatever the order
    assert totals[0] == totals[1] > 1


def test_pgw012_two_servers_filling_the_refund_rollup_at_once_write_it_once(warehouses, pg_url):
    """`db upgrade` (or a server's warm-up) on two machines sharing the warehouse: the second
    waits for the first's workspace lock, then finds the rollup filled."""
    import threading

    from data.rollups import fill_new_rollups

    _duck, pg = warehouses
    sql = "SELECT * FROM customer_refunds_daily WHERE workspace_id = ? ORDER BY day, customer_no"
    want = pg.cursor().execute(sql, [WORKSPACE.id]).pl()
    assert want.height > 0
    with pg.transaction() as cur:  # as migration 0014 leaves a warehouse imported before it
        cur.execute("DELETE FROM customer_refunds_daily WHERE workspace_id = ?", [WORKSPACE.id])
    other = Warehouse(pg_url)  # the second server's own connections
    try:
        start, filled = threading.Barrier(2), []

        def fill(warehouse):
            start.wait()
            filled.append(fill_new_rollups(warehouse, [WORKSPACE]))

        threads = [threading.Thread(target=fill, args=(w,)) for w in (pg, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(filled) == [0, 1]
        assert pg.cursor().execute(sql, [WORKSPACE.id]).pl().equals(want)
    finally:
        other.close()
