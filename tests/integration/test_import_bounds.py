"""Implausible or oversized input is rejected row by row, or the file refused, never imported silently."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest

from data.connectors import _text as t
from data.importer import import_file

HEADER = "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee,Description\n"


def _import(services, workspace, tmp_path, body: str) -> dict:
    path = tmp_path / "unified_payments.csv"
    path.write_text(HEADER + body)
    return import_file(services.warehouse, workspace, path)


def _rejections(services) -> list[tuple]:
    return (
        services.warehouse.cursor()
        .execute("SELECT row_number, column_name, reason, raw FROM quarantine ORDER BY row_number")
        .fetchall()
    )


def test_bnd001_a_1e26_amount_quarantines_its_row_not_the_file(services, workspace, tmp_path):
    result = _import(
        services,
        workspace,
        tmp_path,
        "ch_1,2026-03-01 10:00:00,10.00,0,usd,Paid,0.59,ok\n"
        "ch_2,2026-03-01 11:00:00,100000000000000000000000000,0,usd,Paid,0.59,huge\n"
        "ch_3,2026-03-01 12:00:00,1e15,0,usd,Paid,0.59,huge too\n",
    )
    assert (result["status"], result["inserted"], result["quarantined"]) == ("partial", 1, 2)
    reasons = [r[2] for r in _rejections(services)]
    assert reasons == [
        "implausible amount '100000000000000000000000000' (at most 999,999,999,999.99)",
        "implausible amount '1e15' (at most 999,999,999,999.99)",
    ]


@pytest.mark.parametrize(
    "stamp", ["0001-01-01 00:00:00", "1800-06-01 10:00:00", "2999-01-01 00:00:00", "9999-12-31 00:00:00"]
)
def test_bnd002_implausible_dates_are_quarantined(services, workspace, tmp_path, stamp):
    result = _import(
        services,
        workspace,
        tmp_path,
        f"ch_1,2026-03-01 10:00:00,10.00,0,usd,Paid,0.59,ok\nch_2,{stamp},10.00,0,usd,Paid,0.59,odd\n",
    )
    assert (result["inserted"], result["quarantined"]) == (1, 1)
    [(line, column, reason, _)] = _rejections(services)
    assert (line, column) == (3, "Created date (UTC)")
    assert reason.startswith("implausible date (before 1970 or after ") or "not a date" in reason


def test_bnd003_overlong_text_quarantines_the_row_and_is_not_stored_whole(services, workspace, tmp_path):
    result = _import(
        services,
        workspace,
        tmp_path,
        f"ch_1,2026-03-01 10:00:00,10.00,0,usd,Paid,0.59,{'x' * 50_000}\nch_2,2026-03-01 10:00:00,5.00,0,usd,Paid,0.59,ok\n",
    )
    assert (result["inserted"], result["quarantined"]) == (1, 1)
    [(_, column, reason, raw)] = _rejections(services)
    assert reason == "text longer than 2,000 characters"
    assert column == "product"  # Stripe's Description feeds product; no header check names it yet
    assert len(raw) < 2_000 and "(50,000 characters)" in json.loads(raw)["description"]


def test_bnd004_repeated_ids_in_one_file_are_reported(services, workspace, tmp_path):
    result = _import(
        services,
        workspace,
        tmp_path,
        "ch_1,2026-03-01 10:00:00,10.00,0,usd,Paid,0.59,a\n"
        "ch_1,2026-03-01 10:00:00,11.00,0,usd,Paid,0.59,b\n"
        "ch_1,2026-03-01 10:00:00,12.00,0,usd,Paid,0.59,c\n",
    )
    assert (result["rows_read"], result["inserted"]) == (3, 1)
    assert result["skipped_reasons"] == {"repeated ids in this file (the last row with an id wins)": 2}


def test_bnd005_a_workbook_that_unpacks_too_big_is_refused_before_reading(
    services, workspace, tmp_path, monkeypatch
):
    """The issue's 410 KB XLSX held one 400 MB shared string; the bound is checked on the zip's directory."""
    monkeypatch.setattr(t, "XLSX_MAX_SHARED_STRINGS_BYTES", 1024 * 1024)  # 1 MB here: a small fixture
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "Created date (UTC)", "Amount", "Currency", "Status", "Description"])
    ws.append(["ch_1", "2026-03-01 10:00:00", 10, "usd", "Paid", "a product"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    # the crafted part: one 3 MB shared string (Excel itself caps a cell at 32,767 characters)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        text = "y" * 3 * 1024 * 1024
        archive.writestr(
            "xl/sharedStrings.xml", f'<sst count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
        )
    assert path.stat().st_size < 200_000  # small on disk, big unpacked
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or None)
    result = import_file(services.warehouse, workspace, path)
    assert result["status"] == "refused"
    assert "this workbook's text unpacks to 3 MB, more than the 1 MB Pulseboard reads" in result["error"]
    assert opened == []  # refused from the zip directory, without loading the workbook


def test_bnd006_a_workbook_with_too_many_cells_is_refused(services, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(t, "XLSX_MAX_CELLS", 50)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Status"])
    for i in range(20):
        ws.append([f"ch_{i}", "2026-03-01 10:00:00", 10, 0, "usd", "Paid"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    result = import_file(services.warehouse, workspace, path)
    assert result["status"] == "refused" and "more than 50 cells" in result["error"]
