"""Meta's Platform / Placement breakdown: Instagram is its own platform, rows of one campaign-day stay apart."""

from __future__ import annotations

from datetime import date

import pytest

from data.connectors import _text as t
from tests.unit.connectors._helpers import D, parse
from tests.unit.connectors._ingest import ingest_json

FILE = "meta_ads/platform_breakdown.csv"


def test_mpl001_instagram_rows_are_platform_instagram():
    rows = parse(FILE).frame().sort("spend", descending=True).to_dicts()
    assert [(r["platform"], r["spend"]) for r in rows] == [
        ("meta_ads", D("45.50")),
        ("instagram", D("27.25")),
        ("instagram", D("13.25")),
        ("meta_ads", D("4.00")),
    ]


def test_mpl002_each_platform_and_placement_has_its_own_key():
    frame = parse(FILE).frame()
    assert frame["source_id"].n_unique() == 4
    ig_feed = t.stable_id_one("meta_ads:instagram:feed", "Spring Sale", "2024-03-01")
    assert ig_feed in frame["source_id"].to_list()


def test_mpl003_file_without_breakdown_keeps_its_key():
    row = parse("meta_ads_export.csv").frame().sort("date").row(0, named=True)
    assert (row["platform"], row["source_id"]) == (
        "meta_ads",
        t.stable_id_one("meta_ads", "Spring Sale", "2024-03-01"),
    )


def test_mpl004_spend_by_platform_end_to_end(services, workspace, tmp_path):
    from data.metrics import query_metric

    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["inserted"]) == ("meta_ads", 4)
    frame = query_metric(
        services.warehouse.scoped(workspace), "spend", date(2024, 3, 1), date(2024, 3, 1), by="platform"
    )
    by = {r["platform"]: float(r["value"]) for r in frame.to_dicts()}
    assert by == pytest.approx({"meta_ads": 49.50, "instagram": 40.50})
