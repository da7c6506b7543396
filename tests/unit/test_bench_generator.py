"""The page benchmark's data generator keeps up with the warehouse schema.

``bench.pages.generate`` writes every canonical table with positional ``INSERT ... SELECT``; a
migration that adds a column breaks it, and nothing else in ``make test`` runs it (a migration
once did, and the 10M benchmark failed at its first statement). A small run catches that.
"""

from __future__ import annotations

from datetime import date

from bench import pages as bench_pages

TABLES = ("payments", "subscriptions", "ad_daily", "web_daily", "deals", "email_campaigns")


def test_bgen001_generator_fills_every_table_of_the_current_schema(services, workspace):
    bench_pages.generate(services.warehouse, workspace, date(2026, 6, 30), rows=5_000, customers=500)
    cur = services.warehouse.cursor()
    counts = {
        table: cur.execute(f"SELECT count(*) FROM {table} WHERE workspace_id = ?", [workspace.id]).fetchone()[
            0
        ]
        for table in TABLES
    }
    assert counts["payments"] >= 5_000
    assert all(counts[table] > 0 for table in TABLES), counts


def test_bgen002_generated_payments_reconcile_like_a_real_export(services, workspace):
    """No payout lines: real payments exports have none, and they made every bench import "partial".

    Reconciliation counts a payout line in the file's gross (anything but a refund) and not in
    the warehouse's (sales only), so the tenants benchmark's imports never matched their input.
    """
    from bench import tenants
    from data.ingest import ingest_chunks

    history, _ = tenants.tenant_chunks(5_000, date(2026, 6, 30))
    payments = [c.frame for c in history if c.table == "payments"]
    assert payments and all(frame["kind"].is_in(["charge", "refund"]).all() for frame in payments)
    result = ingest_chunks(services.warehouse, workspace, iter(history), source="bench", name="history")
    assert result.status == "ok", result.error
    assert all(total["ok"] for total in result.reconciliation.values()), result.reconciliation
