"""Ingestion guarantees: atomic, idempotent, quarantine with reasons, refused files change nothing."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from data.connectors.base import Chunk
from data.importer import import_file
from data.ingest import ingest_chunks
from data.metrics import query_metric
from data.schema import TABLES
from tests.conftest import load, payments_frame

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"

STRIPE_CSV = (
    "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee,Customer ID,Customer Email,"
    "Description,UTM Source,UTM Medium,Extra Column\r\n"
    "ch_1,2026-03-01 10:00:00,100.00,0.00,usd,Paid,3.20,cus_1,a@example.com,UI Kit,google,cpc,x\r\n"
    "ch_2,2026-03-02 11:00:00,50.00,50.00,usd,Refunded,1.75,cus_2,b@example.com,Icon Pack,,,y\r\n"
    "ch_3,not a date,20.00,0.00,usd,Paid,0.88,cus_3,c@example.com,Icon Pack,,,z\r\n"
    "ch_4,2026-03-03 09:00:00,30.00,0.00,zzz,Paid,1.17,cus_4,d@example.com,Icon Pack,,,z\r\n"
)


def snapshot(services, workspace) -> dict:
    cur = services.warehouse.cursor()
    out = {}
    rollups = ["payments_daily", "customer_daily", "customer_weekly", "customer_monthly", "customer_first"]
    for table in [*TABLES, *rollups, "customer_keys", "quarantine"]:
        out[table] = cur.execute(
            f"SELECT * FROM {table} WHERE workspace_id = ? ORDER BY ALL", [workspace.id]
        ).fetchall()
    out["version"] = services.warehouse.scoped(workspace).data_version()
    return out


@pytest.fixture
def stripe_file(tmp_path) -> Path:
    path = tmp_path / "export.csv"  # the name says nothing: detection reads the content
    path.write_bytes(b"\xef\xbb\xbf" + STRIPE_CSV.encode())
    return path


def test_ing001_import_detects_quarantines_and_loads(services, workspace, stripe_file):
    result = import_file(services.warehouse, workspace, stripe_file)
    assert result["source"] == "stripe"
    assert (result["rows_read"], result["inserted"], result["updated"], result["quarantined"]) == (4, 2, 0, 2)
    assert result["status"] == "partial"
    rows = (
        services.warehouse.cursor()
        .execute(
            "SELECT row_number, column_name, reason FROM quarantine WHERE workspace_id = ? ORDER BY row_number",
            [workspace.id],
        )
        .fetchall()
    )
    assert [r[0] for r in rows] == [4, 5]  # file lines (header is line 1)
    assert "date" in rows[0][2].lower() or "created" in (rows[0][1] or "").lower()
    assert "currency" in rows[1][2].lower()
    scoped = services.warehouse.scoped(workspace)
    assert query_metric(scoped, "gross_revenue", date(2026, 3, 1), date(2026, 3, 31))["value"][0] == 150.0
    assert query_metric(scoped, "net_revenue", date(2026, 3, 1), date(2026, 3, 31))["value"][0] == 100.0


def test_ing002_reimport_changes_nothing(services, workspace, stripe_file):
    import_file(services.warehouse, workspace, stripe_file)
    before = snapshot(services, workspace)
    again = import_file(services.warehouse, workspace, stripe_file)
    assert (again["inserted"], again["updated"]) == (0, 2)
    after = snapshot(services, workspace)
    for table in TABLES:
        strip = lambda rows: [r[:3] + r[4:] for r in rows]  # noqa: E731 - ignore ingested_at
        assert strip(after[table]) == strip(before[table]), table
    assert after["payments_daily"] == before["payments_daily"]


def test_ing003_unknown_file_is_refused_and_changes_nothing(services, workspace, stripe_file, tmp_path):
    import_file(services.warehouse, workspace, stripe_file)
    before = snapshot(services, workspace)
    junk = tmp_path / "payments.csv"  # a promising name does not matter
    junk.write_text("foo,bar,baz\n1,2,3\n")
    result = import_file(services.warehouse, workspace, junk)
    assert result["status"] == "refused"
    assert "payments.csv" in result["error"] and "expected" in result["error"].lower()
    assert snapshot(services, workspace) == before
    runs = (
        services.warehouse.cursor()
        .execute("SELECT status FROM ingest_runs WHERE workspace_id = ? ORDER BY id", [workspace.id])
        .fetchall()
    )
    assert [r[0] for r in runs] == ["partial", "refused"]


def test_ing004_failure_mid_stream_rolls_back_everything(services, workspace, stripe_file):
    import_file(services.warehouse, workspace, stripe_file)
    before = snapshot(services, workspace)

    def chunks():
        yield Chunk(
            "payments", payments_frame([{"id": "new1", "created": "2026-03-05 10:00", "amount": "999"}])
        )
        raise OSError("disk went away")

    with pytest.raises(OSError):
        ingest_chunks(services.warehouse, workspace, chunks(), source="stripe", name="broken.csv")
    assert snapshot(services, workspace) == before
    status = (
        services.warehouse.cursor()
        .execute("SELECT status, error FROM ingest_runs WHERE name = 'broken.csv'")
        .fetchone()
    )
    assert status[0] == "failed" and "disk went away" in status[1]


def test_ing005_killed_process_leaves_the_warehouse_as_it_was(services, workspace, settings, tmp_path):
    """A process killed inside the transaction: DuckDB discards the uncommitted work on reopen."""
    import subprocess
    import sys

    load(
        services,
        workspace,
        "payments",
        payments_frame([{"id": "keep", "created": "2026-01-01 10:00", "amount": "10"}]),
    )
    services.close()  # release the file for the child process
    script = f"""
import os, polars as pl
from decimal import Decimal
from datetime import datetime
from data.warehouse import Warehouse, WorkspaceRef
from data.ingest import ingest_chunks
from data.connectors.base import Chunk
wh = Warehouse({settings.warehouse_location!r})
def chunks():
    yield Chunk("payments", pl.DataFrame({{"source": ["stripe"], "source_id": ["doomed"],
        "created": [datetime(2026, 1, 2)], "status": ["succeeded"], "amount": [Decimal("5")],
        "currency": ["USD"]}}))
    os._exit(9)  # killed mid-import
ingest_chunks(wh, WorkspaceRef({workspace.id}, "acme"), chunks(), source="stripe", name="x")
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], timeout=120
    )
    assert proc.returncode == 9
    con = duckdb.connect(settings.warehouse_location.removeprefix("duckdb:///"))
    ids = [r[0] for r in con.execute("SELECT source_id FROM payments ORDER BY 1").fetchall()]
    con.close()
    assert ids == ["keep"]


def test_ing006_other_currencies_need_a_rate_and_use_it(services, workspace):
    frame = payments_frame(
        [{"id": "eur1", "created": "2026-01-10 10:00", "amount": "100.00", "currency": "EUR"}]
    )
    first = load(services, workspace, "payments", frame)
    assert (first.inserted, first.quarantined) == (0, 1)
    services.warehouse.cursor().execute(
        "INSERT INTO fx_rates VALUES (?, DATE '2026-01-01', 'EUR', 'USD', 1.10)", [workspace.id]
    )
    second = load(services, workspace, "payments", frame)
    assert (second.inserted, second.quarantined) == (1, 0)
    scoped = services.warehouse.scoped(workspace)
    assert query_metric(scoped, "gross_revenue", date(2026, 1, 1), date(2026, 1, 31))["value"][0] == 110.0


def test_ing007_demo_vendor_fixtures_import_cleanly(services, workspace, tmp_path):
    """Every vendor fixture the connectors ship is recognised and re-imports without double counting."""
    files = sorted(
        p for p in VENDOR.glob("*") if p.is_file() and p.suffix in {".csv", ".CSV", ".xlsx", ".tsv"}
    )
    assert files, "no vendor fixtures"
    recognised = 0
    for path in files:
        copy = tmp_path / f"upload{path.suffix}"
        shutil.copy(path, copy)
        first = import_file(services.warehouse, workspace, copy)
        if first["status"] == "refused":
            continue  # fixtures of deliberately broken files
        recognised += 1
        second = import_file(services.warehouse, workspace, copy)
        assert second["inserted"] == 0, path.name
    assert recognised >= 8


def test_ing008_schema_and_migrations_agree(services):
    cur = services.warehouse.cursor()
    for name, table in TABLES.items():
        columns = [
            r[0]
            for r in cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
        ]
        assert columns == list(table.all_columns), name


def test_ing009_a_large_file_reports_progress_within_the_file(services, workspace, tmp_path, monkeypatch):
    """A single big file moves the progress bar as its batches land, not only when it ends."""
    from bench.stripe_data import write_stripe_payments
    from data.connectors import stripe
    from data.importer import estimate_rows

    path = tmp_path / "unified_payments.csv"
    write_stripe_payments(path, rows=30_000, customers=500)
    assert 25_000 <= estimate_rows(path) <= 35_000
    monkeypatch.setattr(stripe, "_PIPELINE_ROWS", 5_000)  # batches of 5,000 rows
    seen: list[tuple[float, int]] = []
    result = import_file(services.warehouse, workspace, path, progress=lambda f, rows: seen.append((f, rows)))
    assert result["status"] == "ok" and result["inserted"] == 30_000
    assert len(seen) >= 3, seen
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and 0 < fractions[0] < 0.5 and fractions[-1] <= 0.99
    assert seen[-1][1] == 30_000


def test_ing010_job_progress_counts_the_part_of_the_current_file(tmp_path):
    from dashboard.jobs import Job

    job = Job(id="j", workspace_id=1, user_id=1, kind="upload", label="2 files", total=2)
    job.step(partial=0.5)
    assert job.progress == 0.25
    job.step(done=1)  # the first file finished: its partial share is now counted in `done`
    assert job.progress == 0.5
    job.step(partial=0.5)
    assert job.progress == 0.75
