"""PayPal currency conversions through a real import: PayPal's own conversion sets the reporting money.

``tests/fixtures/vendor/paypal_fx.csv`` is a USD account's activity download with EUR and GBP
payments (and a EUR refund) converted by PayPal, and a CAD payment nothing converted.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from data.importer import import_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vendor" / "paypal_fx.csv"


def test_paypal_conversions_import_without_an_fx_table_and_reconcile(services, workspace):
    cur = services.warehouse.cursor()
    cur.execute("DELETE FROM fx_rates WHERE workspace_id = ?", [workspace.id])
    result = import_file(services.warehouse, workspace, FIXTURE)
    # every row accounted for: 4 imported, the CAD payment quarantined (no conversion row, no FX
    # rate: the fallback as before), 9 skipped
    assert result["rows_read"] == 14
    assert (result["inserted"], result["quarantined"], result["skipped"]) == (4, 1, 9)
    assert result["skipped_reasons"]["currency conversions (applied to their payment)"] == 6
    rec = result["reconciliation"]
    # money per currency, the file's side against the warehouse's: only the CAD row differs
    assert (
        Decimal(str(rec["gross EUR"]["file"]))
        == Decimal(str(rec["gross EUR"]["imported"]))
        == Decimal("1250")
    )
    assert all(v["ok"] for name, v in rec.items() if "CAD" not in name and not name.startswith("rows")), rec
    rows = {
        sid: (Decimal(a), Decimal(f))
        for sid, a, f in cur.execute(
            "SELECT source_id, CAST(amount_reporting AS VARCHAR), CAST(fee_reporting AS VARCHAR) "
            "FROM payments WHERE workspace_id = ?",
            [workspace.id],
        ).fetchall()
    }
    assert rows["2EUR0000000000001"] == (Decimal("1350.25"), Decimal("47.64"))
    assert rows["3GBP0000000000001"] == (Decimal("101.27"), Decimal("3.82"))
    assert rows["9REF0000000000001"] == (Decimal("217.43"), Decimal("-7.68"))


def test_paypal_payment_without_conversion_still_uses_the_fx_table(services, workspace):
    cur = services.warehouse.cursor()
    cur.execute("DELETE FROM fx_rates WHERE workspace_id = ?", [workspace.id])
    cur.execute("INSERT INTO fx_rates VALUES (?, DATE '2026-01-01', 'CAD', 'USD', 0.75)", [workspace.id])
    # a rate for EUR that PayPal's conversion must win over
    cur.execute("INSERT INTO fx_rates VALUES (?, DATE '2026-01-01', 'EUR', 'USD', 2.0)", [workspace.id])
    result = import_file(services.warehouse, workspace, FIXTURE)
    assert (result["status"], result["inserted"], result["quarantined"]) == ("ok", 5, 0)
    assert all(v["ok"] for v in result["reconciliation"].values())
    got = dict(
        cur.execute(
            "SELECT source_id, CAST(amount_reporting AS VARCHAR) FROM payments WHERE workspace_id = ?",
            [workspace.id],
        ).fetchall()
    )
    assert Decimal(got["6CAD0000000000001"]) == Decimal("30.00")  # 40 CAD x 0.75
    assert Decimal(got["2EUR0000000000001"]) == Decimal("1350.25")  # PayPal's rate, not 2.0
