"""Ad spend keeps the vendor's decimals: an imported file totals exactly what the vendor totals."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from data.importer import import_file
from data.metrics import query_metric


def _meta_export(path, rows: int, seed: int = 1) -> Decimal:
    """A Meta daily-breakdown export with 8-decimal ``Amount spent``; returns its exact total."""
    rng = random.Random(seed)
    lines = [
        '"Campaign name","Reporting starts","Reporting ends",Impressions,"Link clicks","Amount spent (USD)"'
    ]
    total = Decimal(0)
    start = date(2026, 1, 1)
    for i in range(rows):
        day = start + timedelta(days=i % 61)
        spent = Decimal(rng.randrange(1, 20_000_000_000)) / Decimal(10**8)  # up to 8 decimals
        total += spent
        lines.append(
            f'"Campaign {i // 61}",{day},{day},{rng.randrange(100, 9000)},{rng.randrange(0, 90)},{spent}'
        )
    summary = f",{start},{start + timedelta(days=60)},0,0,{total}"  # Meta's own total row comes first
    path.write_text("\n".join([lines[0], summary, *lines[1:]]) + "\n")
    return total


def test_prec001_meta_8_decimal_spend_totals_exactly(services, workspace, tmp_path):
    path = tmp_path / "meta.csv"
    total = _meta_export(path, 122)
    result = import_file(services.warehouse, workspace, path)
    assert (result["source"], result["status"], result["inserted"]) == ("meta_ads", "ok", 122)
    stored = (
        services.warehouse.cursor()
        .execute(
            "SELECT sum(spend), sum(spend_reporting) FROM ad_daily WHERE workspace_id = ?", [workspace.id]
        )
        .fetchone()
    )
    assert Decimal(stored[0]) == total
    assert Decimal(stored[1]) == total
    # the metric, rounded to cents only for display, equals Meta's total rounded to cents
    value = query_metric(services.warehouse.scoped(workspace), "spend", date(2026, 1, 1), date(2026, 3, 31))
    assert round(Decimal(str(value["value"][0])), 2) == round(total, 2)


def test_prec002_per_row_rounding_would_drift(tmp_path):
    """The fixture is one where rounding each row to cents changes the total (so test 1 can fail)."""
    path = tmp_path / "meta.csv"
    total = _meta_export(path, 122)
    rows = [line.rsplit(",", 1)[1] for line in path.read_text().splitlines()[2:]]
    rounded = sum(round(Decimal(v), 2) for v in rows)
    assert abs(rounded - round(total, 2)) >= Decimal("0.02")  # the 2-3 cents the issue saw
