"""Reconciliation: every import compares the file's own totals with what the warehouse holds.

Property tests generate vendor exports (refunds, partial refunds, several currencies, fee-only
rows, summary rows, line-item rows) whose true totals the generator knows, import them, and
check that the run's reconciliation matches both the generator's totals and the warehouse.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.cli import cli
from data.importer import import_file
from data.reconcile import summary

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CURRENCIES = ["USD", "EUR", "GBP"]
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


def _fx(services, workspace) -> None:
    """Rates for every generated currency, so no row is rejected for want of one."""
    cur = services.warehouse.cursor()
    cur.execute("DELETE FROM fx_rates WHERE workspace_id = ?", [workspace.id])
    for ccy, rate in (("EUR", "1.1"), ("GBP", "1.3")):
        cur.execute(
            "INSERT INTO fx_rates VALUES (?, DATE '2020-01-01', ?, 'USD', ?)", [workspace.id, ccy, rate]
        )


def _add(expected: dict, name: str, value) -> None:
    expected[name] = expected.get(name, 0) + value


def _check(result: dict, expected: dict) -> None:
    rec = result["reconciliation"]
    assert result["status"] == "ok", (result["error"], rec)
    assert all(v["ok"] for v in rec.values()), rec
    for name, value in expected.items():
        if value or name.startswith("rows"):
            assert Decimal(str(rec[name]["file"])) == Decimal(value), (name, rec[name], value)
            assert Decimal(str(rec[name]["imported"])) == Decimal(value), name


stripe_rows = st.lists(
    st.tuples(cents, st.sampled_from(CURRENCIES), st.sampled_from(["paid", "refunded", "partial"]), cents),
    min_size=1,
    max_size=25,
)


@SETTINGS
@given(rows=stripe_rows, run=st.uuids())
def test_rec001_stripe_exports_reconcile(services, workspace, tmp_path_factory, rows, run):
    _fx(services, workspace)
    lines = ["id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee"]
    expected: dict = {}
    for i, (amount, ccy, kind, fee) in enumerate(rows):
        refunded = (
            amount
            if kind == "refunded"
            else (amount / 2).quantize(Decimal("0.01"))
            if kind == "partial"
            else 0
        )
        status = "Refunded" if kind == "refunded" else "Paid"
        lines.append(
            f"ch_{run.hex[:8]}_{i},2026-03-0{1 + i % 9} 10:00:00,{amount},{refunded},{ccy.lower()},{status},{fee}"
        )
        _add(expected, f"gross {ccy}", amount)
        _add(expected, f"refunds {ccy}", Decimal(refunded))
        _add(expected, f"fees {ccy}", fee)
    expected["rows payments"] = len(rows)
    path = tmp_path_factory.mktemp("stripe") / "unified_payments.csv"
    path.write_text("\n".join(lines) + "\n")
    _check(import_file(services.warehouse, workspace, path), expected)


paypal_rows = st.lists(
    st.tuples(
        cents,
        st.sampled_from(CURRENCIES),
        st.sampled_from(["payment", "refund", "memo", "withdrawal", "fee-only"]),
        cents,
    ),
    min_size=1,
    max_size=25,
)


@SETTINGS
@given(rows=paypal_rows, run=st.uuids())
def test_rec002_paypal_downloads_reconcile(services, workspace, tmp_path_factory, rows, run):
    _fx(services, workspace)
    header = '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","Transaction ID","Balance Impact"'
    lines, expected, imported = [header], {}, 0
    for i, (amount, ccy, kind, fee) in enumerate(rows):
        txn = f"{run.hex[:8]}{i:04d}"
        fee = min(fee, amount)
        if kind == "payment":
            typ, gross, fee_cell, impact = "Website Payment", amount, -fee, "Credit"
            _add(expected, f"gross {ccy}", amount)
            _add(expected, f"fees {ccy}", fee)
        elif kind == "refund":
            typ, gross, fee_cell, impact = "Payment Refund", -amount, fee, "Debit"
            _add(expected, f"refunds {ccy}", amount)
            _add(expected, f"fees {ccy}", -fee)
        elif kind == "fee-only":  # a payment whose whole amount went on fees
            typ, gross, fee_cell, impact = "Website Payment", fee, -fee, "Credit"
            _add(expected, f"gross {ccy}", fee)
            _add(expected, f"fees {ccy}", fee)
        elif kind == "memo":
            typ, gross, fee_cell, impact = "Invoice Sent", amount, "", "Memo"
        else:
            typ, gross, fee_cell, impact = "General Withdrawal", -amount, "0.00", "Debit"
        imported += kind in ("payment", "refund", "fee-only")
        net = "" if fee_cell == "" else gross + Decimal(fee_cell)
        lines.append(
            f'"03/{1 + i % 28:02d}/2026","10:00:00","UTC","N","{typ}","Completed","{ccy}","{gross:,}","{fee_cell}","{net}","{txn}","{impact}"'
        )
    expected["rows payments"] = imported
    path = tmp_path_factory.mktemp("paypal") / "Download.CSV"
    path.write_text("\n".join(lines) + "\n")
    result = import_file(services.warehouse, workspace, path)
    assert result["rows_read"] == len(rows)
    _check(result, expected)


gumroad_rows = st.lists(
    st.tuples(cents, st.sampled_from(["sale", "refunded", "partial"]), cents), min_size=1, max_size=20
)


@SETTINGS
@given(rows=gumroad_rows, run=st.uuids())
def test_rec003_gumroad_exports_with_a_totals_row_reconcile(services, workspace, tmp_path_factory, rows, run):
    lines = [
        "Purchase ID,Item Name,Purchase Email,Purchase Date,Purchase Time (UTC timezone),Sale Price ($),"
        "Fees ($),Refunded?,Partial Refund ($),Fully Refunded?"
    ]
    expected: dict = {"rows payments": len(rows)}
    for i, (amount, kind, fee) in enumerate(rows):
        partial = (amount / 3).quantize(Decimal("0.01")) if kind == "partial" else 0
        full = int(kind == "refunded")
        lines.append(
            f"{run.hex[:8]}{i}==,Course,b{i}@x.com,2024-02-{1 + i % 28:02d},08:00:00,{amount},{fee},{int(kind != 'sale')},{partial},{full}"
        )
        _add(expected, "gross USD", amount)
        _add(expected, "refunds USD", amount if full else Decimal(partial))
        _add(expected, "fees USD", fee)
    lines.append(f"Totals,,,,,{sum(r[0] for r in rows)},{sum(r[2] for r in rows)},,,")
    path = tmp_path_factory.mktemp("gumroad") / "sales.csv"
    path.write_text("\n".join(lines) + "\n")
    result = import_file(services.warehouse, workspace, path)
    assert result["skipped_reasons"] == {"summary/total rows": 1}
    _check(result, expected)


shopify_orders = st.lists(
    st.tuples(cents, st.sampled_from(["paid", "refunded", "partially_refunded"]), st.integers(1, 4)),
    min_size=1,
    max_size=12,
)


@SETTINGS
@given(orders=shopify_orders, run=st.uuids())
def test_rec004_shopify_line_item_rows_reconcile(services, workspace, tmp_path_factory, orders, run):
    lines = ["Name,Email,Financial Status,Currency,Total,Created at,Lineitem name,Refunded Amount"]
    expected: dict = {"rows payments": len(orders)}
    for i, (total, status, items) in enumerate(orders):
        refunded = (
            total
            if status == "refunded"
            else (total / 4).quantize(Decimal("0.01"))
            if status != "paid"
            else 0
        )
        name = f"#{run.hex[:6]}{i}"
        lines.append(f"{name},c{i}@x.com,{status},USD,{total},2026-04-05 10:00:00 +0000,Item 0,{refunded}")
        lines.extend(f"{name},,,,,2026-04-05 10:00:00 +0000,Item {k}," for k in range(1, items))
        _add(expected, "gross USD", total)
        _add(expected, "refunds USD", Decimal(refunded))
    path = tmp_path_factory.mktemp("shopify") / "orders_export.csv"
    path.write_text("\n".join(lines) + "\n")
    result = import_file(services.warehouse, workspace, path)
    assert result["rows_read"] == len(lines) - 1
    _check(result, expected)


meta_rows = st.lists(
    st.tuples(
        st.integers(1, 10**10).map(lambda v: Decimal(v) / 10**8), st.integers(0, 9000), st.integers(0, 90)
    ),
    min_size=1,
    max_size=20,
)


@SETTINGS
@given(rows=meta_rows, run=st.uuids())
def test_rec005_meta_exports_with_a_summary_row_reconcile(services, workspace, tmp_path_factory, rows, run):
    lines = [
        '"Campaign name","Reporting starts","Reporting ends",Impressions,"Link clicks","Amount spent (USD)"'
    ]
    lines.append(
        f",2026-01-01,2026-01-31,{sum(r[1] for r in rows)},{sum(r[2] for r in rows)},{sum(r[0] for r in rows)}"
    )
    for i, (spent, impressions, clicks) in enumerate(rows):
        day = date(2026, 1, 1 + i % 28)
        lines.append(f'"C {run.hex[:6]} {i}",{day},{day},{impressions},{clicks},{spent}')
    expected = {
        "rows ad_daily": len(rows),
        "spend USD": sum(r[0] for r in rows),
        "impressions": sum(r[1] for r in rows),
        "clicks": sum(r[2] for r in rows),
    }
    path = tmp_path_factory.mktemp("meta") / "meta.csv"
    path.write_text("\n".join(lines) + "\n")
    _check(import_file(services.warehouse, workspace, path), expected)


def test_rec006_a_difference_marks_the_run_partial_with_the_reason(services, workspace, tmp_path):
    path = tmp_path / "unified_payments.csv"
    path.write_text(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee\n"
        "ch_1,2026-03-01 10:00:00,100.00,0.00,usd,Paid,3.20\n"
        "ch_2,2026-03-02 11:00:00,50.00,10.00,jpy,Paid,1.75\n"  # no JPY rate: rejected at validation
    )
    result = import_file(services.warehouse, workspace, path)
    assert result["status"] == "partial"
    rec = result["reconciliation"]
    assert rec["rows payments"] == {"file": 2, "imported": 1, "ok": False}
    assert rec["gross JPY"] == {"file": 50, "imported": 0, "ok": False}
    assert rec["gross USD"]["ok"] is True
    assert "imported totals differ from the file: rows payments: file 2, imported 1" in result["error"]
    stored = services.warehouse.cursor().execute("SELECT reconciliation FROM ingest_runs").fetchone()[0]
    assert summary(json.loads(stored)).startswith("differs from the file: rows payments: file 2, imported 1")


def test_rec007_ingest_json_reports_reconciliation_per_file(services, workspace, tmp_path):
    path = tmp_path / "unified_payments.csv"
    path.write_text(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee\n"
        "ch_1,2026-03-01 10:00:00,100.00,20.00,usd,Paid,3.20\n"
    )
    out = CliRunner().invoke(cli, ["ingest", str(path), "--workspace", "acme", "--json"], obj=services)
    assert out.exit_code == 0, out.stderr
    [entry] = json.loads(out.stdout)["files"]
    assert entry["reconciliation"] == {
        "rows payments": {"file": 1, "imported": 1, "ok": True},
        "gross USD": {"file": 100, "imported": 100, "ok": True},
        "refunds USD": {"file": 20, "imported": 20, "ok": True},
        "fees USD": {"file": 3.2, "imported": 3.2, "ok": True},
    }
    text = CliRunner().invoke(cli, ["ingest", str(path), "--workspace", "acme"], obj=services).stdout
    assert "  reconciliation: matches the file" in text
