"""A file read in several chunks reconciles exactly like one read whole (reconcile.FileTotals).

The chunk size is lowered to a few rows so small files span many chunks, with ids repeated in
later chunks (an updated charge exported twice, overlapping PayPal downloads joined together).
"""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest

from data import importer
from data.connectors import stripe
from data.connectors.base import ParseOptions
from data.importer import import_file

CHUNK_ROWS = 3


@pytest.fixture
def small_chunks(monkeypatch):
    """Every parser streams chunks of CHUNK_ROWS rows."""
    monkeypatch.setattr(importer, "ParseOptions", functools.partial(ParseOptions, batch_rows=CHUNK_ROWS))
    monkeypatch.setattr(stripe, "_PIPELINE_ROWS", CHUNK_ROWS)


def _reconciled(result: dict) -> dict:
    rec = result["reconciliation"]
    assert result["status"] == "ok", (result["error"], rec)
    assert all(v["ok"] for v in rec.values()), rec
    return {name: (Decimal(str(v["file"])), Decimal(str(v["imported"]))) for name, v in rec.items()}


def test_rec201_a_stripe_export_over_many_chunks_with_repeated_ids(
    services, workspace, tmp_path, small_chunks
):
    lines = ["id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee"]
    for i in range(20):
        lines.append(f"ch_{i},2026-03-{1 + i:02d} 10:00:00,{10 + i}.25,0,usd,Paid,0.50")
    # three charges exported again further down (refunded since): the last row of an id wins
    lines.append("ch_2,2026-03-03 10:00:00,12.25,12.25,usd,Refunded,0.50")
    lines.append("ch_7,2026-03-08 10:00:00,17.25,5.00,usd,Paid,0.50")
    lines.append("ch_19,2026-03-20 10:00:00,29.25,1.00,usd,Paid,0.50")
    path = tmp_path / "payments.csv"
    path.write_text("\n".join(lines) + "\n")
    result = import_file(services.warehouse, workspace, path)
    totals = _reconciled(result)
    gross = sum(Decimal(f"{10 + i}.25") for i in range(20))
    assert totals["rows payments"] == (20, 20)
    assert totals["gross USD"] == (gross, gross)
    assert totals["refunds USD"] == (Decimal("18.25"),) * 2
    assert totals["fees USD"] == (Decimal("10.00"),) * 2
    assert result["rows_read"] == 23 and result["inserted"] == 20
    warehouse = services.warehouse.cursor().execute(
        "SELECT sum(amount), sum(amount_refunded) FROM payments WHERE workspace_id = ?", [workspace.id]
    )
    assert warehouse.fetchone() == (gross, Decimal("18.25"))


def test_rec202_paypal_downloads_joined_together_over_many_chunks(
    services, workspace, tmp_path, small_chunks
):
    header = '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","Transaction ID","Balance Impact"'
    rows = []
    for i in range(10):
        rows.append(
            f'"03/{1 + i:02d}/2026","10:00:00","UTC","N","Website Payment","Completed","EUR",'
            f'"{20 + i}.00","-1.00","{19 + i}.00","TXN{i:04d}","Credit"'
        )
    refund = (
        '"03/12/2026","10:00:00","UTC","N","Payment Refund","Completed","EUR",'
        '"-5.00","0.20","-4.80","RFD0001","Debit"'
    )
    # two overlapping downloads in one file: the second repeats payments 6-9 and the refund
    path = tmp_path / "Download.CSV"
    path.write_text("\n".join([header, *rows, refund, *rows[6:], refund]) + "\n")
    cur = services.warehouse.cursor()
    cur.execute("INSERT INTO fx_rates VALUES (?, DATE '2020-01-01', 'EUR', 'USD', 1.1)", [workspace.id])
    result = import_file(services.warehouse, workspace, path)
    totals = _reconciled(result)
    gross = sum(Decimal(20 + i) for i in range(10))
    assert totals["rows payments"] == (11, 11)
    assert totals["gross EUR"] == (gross, gross)
    assert totals["refunds EUR"] == (Decimal("5.00"),) * 2
    assert totals["fees EUR"] == (Decimal("9.80"),) * 2


def test_rec203_many_chunks_match_one_chunk(services, workspace, tmp_path, monkeypatch):
    """The same file, read whole and in chunks of three rows, reports the same reconciliation."""
    lines = ["id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee"]
    for i in range(14):
        lines.append(f"ch_{i % 9},2026-03-{1 + i:02d} 10:00:00,{i + 1}.10,0.{i}0,eur,Paid,0.3{i % 10}")
    path = tmp_path / "payments.csv"
    path.write_text("\n".join(lines) + "\n")
    cur = services.warehouse.cursor()
    cur.execute("INSERT INTO fx_rates VALUES (?, DATE '2020-01-01', 'EUR', 'USD', 1.1)", [workspace.id])
    whole = import_file(services.warehouse, workspace, path)
    monkeypatch.setattr(importer, "ParseOptions", functools.partial(ParseOptions, batch_rows=CHUNK_ROWS))
    monkeypatch.setattr(stripe, "_PIPELINE_ROWS", CHUNK_ROWS)
    chunked = import_file(services.warehouse, workspace, path)
    assert _reconciled(chunked) == _reconciled(whole)
    assert _reconciled(whole)["rows payments"] == (9, 9)


def test_rec204_a_corrected_export_replaces_the_fee_an_earlier_export_wrote(services, workspace, tmp_path):
    """Only fees an API sync wrote are kept for refunded charges; a file's fee is the file's own."""
    header = "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee"
    first, corrected = tmp_path / "first.csv", tmp_path / "corrected.csv"
    first.write_text(f"{header}\nch_1,2026-03-01 10:00:00,40.00,40.00,usd,Refunded,1.20\n")
    corrected.write_text(f"{header}\nch_1,2026-03-01 10:00:00,40.00,40.00,usd,Refunded,0.90\n")
    assert import_file(services.warehouse, workspace, first)["status"] == "ok"
    result = import_file(services.warehouse, workspace, corrected)
    assert _reconciled(result)["fees USD"] == (Decimal("0.90"), Decimal("0.90"))
    assert "explained" not in result["reconciliation"]["fees USD"]
    fee = services.warehouse.cursor().execute(
        "SELECT fee FROM payments WHERE workspace_id = ? AND source_id = 'ch_1'", [workspace.id]
    )
    assert fee.fetchone()[0] == Decimal("0.90")
