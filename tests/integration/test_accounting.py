"""Every run accounts for every row: read = inserted + updated + quarantined + skipped (by reason)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dashboard.cli import cli
from data.importer import import_file

PAYPAL_HEADER = (
    '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",'
    '"From Email Address","To Email Address","Transaction ID","Balance Impact"\n'
)
PAYPAL_ROWS = [
    '"04/01/2026","10:00:00","UTC","Jane","Express Checkout Payment","Completed","USD","100.00","-3.20","96.80","jane@x.com","me@x.com","P1","Credit"',
    '"04/01/2026","11:00:00","UTC","Sam","Invoice Sent","Pending","USD","50.00","","","me@x.com","sam@x.com","I1","Memo"',
    '"04/02/2026","10:00:00","UTC","Bank","General Withdrawal","Completed","USD","-80.00","0.00","-80.00","me@x.com","","W1","Debit"',
    '"","","","","","","","","","","","","",""',
    '"04/03/2026","10:00:00","UTC","Kim","Website Payment","Completed","XYZ","30.00","-1.17","28.83","kim@x.com","me@x.com","P2","Credit"',
    '"04/04/2026","10:00:00","UTC","Lou","Website Payment","Completed","USD","20.00","-0.88","19.12","lou@x.com","me@x.com","P3","Credit"',
    '"04/04/2026","10:00:00","UTC","Lou","Website Payment","Completed","USD","25.00","-0.98","24.02","lou@x.com","me@x.com","P3","Credit"',
    '"04/05/2026","10:00:00","UTC","Host","PreApproved Payment Bill User Payment","Completed","USD","-9.00","0.00","-9.00","me@x.com","h@x.com","O1","Debit"',
]


def _adds_up(result: dict) -> None:
    parts = result["inserted"] + result["updated"] + result["quarantined"] + result["skipped"]
    assert result["rows_read"] == parts, result
    assert result["skipped"] == sum(result["skipped_reasons"].values())


def test_acc001_paypal_run_adds_up_with_reasons(services, workspace, tmp_path):
    path = tmp_path / "Download.CSV"
    path.write_text(PAYPAL_HEADER + "\n".join(PAYPAL_ROWS) + "\n")
    result = import_file(services.warehouse, workspace, path)
    _adds_up(result)
    assert result["rows_read"] == 8
    assert (result["inserted"], result["quarantined"]) == (2, 1)  # P1, P3 (once); XYZ rejected
    assert result["skipped_reasons"] == {
        "memo rows (Balance Impact: Memo)": 1,
        "withdrawals and transfers": 1,
        "blank lines": 1,
        "payments this account sent": 1,
        "repeated ids in this file (the last row with an id wins)": 1,
    }
    stored = (
        services.warehouse.cursor()
        .execute(
            "SELECT rows_read, skipped, skipped_reasons FROM ingest_runs WHERE id = ?", [result_run(services)]
        )
        .fetchone()
    )
    assert stored[0] == 8 and stored[1] == 5 and json.loads(stored[2])["blank lines"] == 1
    amount = (
        services.warehouse.cursor().execute("SELECT amount FROM payments WHERE source_id = 'P3'").fetchone()
    )
    assert str(amount[0]) == "25.00"  # the last row with the id wins


def result_run(services) -> int:
    return services.warehouse.cursor().execute("SELECT max(id) FROM ingest_runs").fetchone()[0]


def test_acc002_summary_rows_and_line_items_are_counted(services, workspace, tmp_path):
    gumroad = tmp_path / "sales.csv"
    gumroad.write_text(
        "Purchase ID,Item Name,Purchase Email,Purchase Date,Purchase Time (UTC timezone),Sale Price ($),Fees ($)\n"
        "a1==,Course,ann@x.com,2024-02-01,13:45:00,49.00,5.39\n"
        "b2==,Course,bob@x.com,2024-02-02,08:00:00,49.00,5.39\n"
        "Totals,,,,,98.00,10.78\n"
    )
    result = import_file(services.warehouse, workspace, gumroad)
    _adds_up(result)
    assert result["skipped_reasons"] == {"summary/total rows": 1}

    shopify = tmp_path / "orders.csv"
    shopify.write_text(
        "Name,Email,Financial Status,Currency,Total,Created at,Lineitem name\n"
        "#1,a@x.com,paid,USD,30.00,2026-04-05 21:06:21 +0400,Mug\n"
        "#1,,,,,2026-04-05 21:06:21 +0400,Plate\n"
        "#1,,,,,2026-04-05 21:06:21 +0400,Bowl\n"
        "#2,b@x.com,paid,USD,10.00,2026-04-06 10:00:00 +0000,Cup\n"
    )
    result = import_file(services.warehouse, workspace, shopify)
    _adds_up(result)
    assert (result["rows_read"], result["inserted"]) == (4, 2)  # customers are counted apart
    assert result["skipped_reasons"] == {"further line items of an order": 2}


def test_acc003_cli_shows_skipped_rows(services, workspace, tmp_path):
    path = tmp_path / "Download.CSV"
    path.write_text(PAYPAL_HEADER + "\n".join(PAYPAL_ROWS) + "\n")
    result = CliRunner().invoke(cli, ["ingest", str(path), "--workspace", "acme"], obj=services)
    assert result.exit_code == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert first.endswith("read 8, inserted 2, updated 0, quarantined 1, skipped 5 [partial]")
    assert second.startswith("  skipped: 1 blank lines, 1 memo rows (Balance Impact: Memo), ")
    runs = CliRunner().invoke(cli, ["runs", "--workspace", "acme", "--json"], obj=services)
    run = json.loads(runs.stdout)["runs"][0]
    assert run["skipped"] == 5
