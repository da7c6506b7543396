"""_ads.breakdown_columns / sum_breakdowns: breakdown rows of one campaign and day become one summed row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from data.connectors import _ads
from data.connectors.base import SKIP_BLANK, SKIP_BREAKDOWN, Chunk, RowError
from data.schema import conform
from tests.unit.connectors._helpers import FIXTURES, parse


def _chunk(rows: list[tuple], *, lines: list[int], errors=(), skipped=None, rows_read=None) -> Chunk:
    """ad_daily rows (source_id, day, impressions, clicks, spend, spend_reporting)."""
    frame = pl.DataFrame(
        {
            "source": ["google_ads"] * len(rows),
            "source_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "platform": ["google_ads"] * len(rows),
            "campaign": [f"campaign {r[0]}" for r in rows],
            "currency": ["USD"] * len(rows),
            "impressions": [r[2] for r in rows],
            "clicks": [r[3] for r in rows],
            "spend": [Decimal(r[4]) for r in rows],
            "spend_reporting": [None if r[5] is None else Decimal(r[5]) for r in rows],
        },
        schema_overrides={"spend_reporting": pl.Decimal(20, 8)},
    )
    return Chunk(
        "ad_daily",
        conform("ad_daily", frame),
        errors=list(errors),
        rows_read=len(rows) + len(errors) if rows_read is None else rows_read,
        row_numbers=pl.Series("row_number", lines, dtype=pl.Int64),
        skipped=dict(skipped or {}),
    )


D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def test_adb101_breakdown_columns_are_the_segments_the_key_is_not_built_from():
    cols = ["Campaign", "Day", "Hour of day", "Device", "Cost", "Impr."]
    assert _ads.breakdown_columns(cols, key=("Campaign", "Day")) == ["Hour of day", "Device"]
    meta = ["Campaign name", "Platform", "Placement", "Age", "time_of_day_(ad_account_time_zone)"]
    assert _ads.breakdown_columns(meta, key=("Campaign name", "Platform", "Placement")) == [
        "Age",
        "time_of_day_(ad_account_time_zone)",  # an Excel re-save's header, found all the same
    ]
    assert _ads.breakdown_columns(["Campaign", "Day", "Cost"], key=("Campaign", "Day")) == []
    # a file whose campaign column is the ad set name: the ad set is the key, not a breakdown
    assert _ads.breakdown_columns(["Ad set name", "Ad name"], key=("Ad set name",)) == ["Ad name"]


def test_adb102_without_breakdowns_the_chunks_pass_through_untouched():
    chunks = [_chunk([("a", D1, 1, 1, "1", "1")], lines=[2]), _chunk([("a", D1, 2, 2, "2", "2")], lines=[3])]
    assert list(_ads.sum_breakdowns(iter(chunks), [])) == chunks


def test_adb103_rows_of_one_key_over_several_chunks_are_summed_and_accounted_for():
    error = RowError(5, "Impr.", "not a number", {"Impr.": "lots"})
    chunks = [
        _chunk([("a", D1, 10, 1, "1.00000001", "1.00000001"), ("b", D1, 5, 0, "2", None)], lines=[2, 3]),
        _chunk(
            [("a", D1, 20, 2, "0.5", "0.5")], lines=[4], errors=[error], skipped={SKIP_BLANK: 1}, rows_read=3
        ),
        _chunk(
            [("b", D1, 1, 1, "3", None), ("c", D2, 7, 7, "7", "7"), ("a", D1, 30, 3, "1", "1")],
            lines=[7, 8, 9],
        ),
    ]
    (out,) = _ads.sum_breakdowns(iter(chunks), ["Hour of day"])
    rows = {r["source_id"]: r for r in out.frame.to_dicts()}
    assert set(rows) == {"a", "b", "c"}
    a = rows["a"]
    assert (a["impressions"], a["clicks"], a["spend"], a["spend_reporting"]) == (
        60,
        6,
        Decimal("2.50000001"),
        Decimal("2.50000001"),
    )
    assert rows["b"]["spend"] == Decimal("5") and rows["b"]["spend_reporting"] is None  # ingest converts it
    assert (a["date"], a["campaign"]) == (D1, "campaign a")
    assert out.row_numbers.to_list() == [2, 3, 8]  # each key's first line names it
    assert out.errors == [error]
    assert out.rows_read == 2 + 3 + 3
    assert out.skipped == {SKIP_BLANK: 1, SKIP_BREAKDOWN: 3}
    # read = kept rows + rejected + skipped
    assert out.rows_read == out.frame.height + len(out.errors) + sum(out.skipped.values())


def test_adb104_an_x_export_segmented_by_placement_sums_per_day(tmp_path):
    header, *rows = (FIXTURES / "x_ads" / "campaign_export.csv").read_text(encoding="utf-8-sig").splitlines()
    # the fixture's first two days, each split into two placements with the same numbers
    split = [row + f',"{placement}"' for row in rows[:2] for placement in ("X timelines", "X search results")]
    path = tmp_path / "x.csv"
    path.write_text("\n".join([header + ',"Placement"', *split]) + "\n", encoding="utf-8")
    whole = parse(FIXTURES / "x_ads" / "campaign_export.csv").frame().head(2)
    parts = parse(path)
    assert parts.source == "x_ads"
    (chunk,) = parts.chunks
    assert chunk.frame["impressions"].to_list() == [2 * v for v in whole["impressions"]]
    assert chunk.frame["spend"].to_list() == [2 * v for v in whole["spend"]]
    assert chunk.skipped == {SKIP_BREAKDOWN: 2} and chunk.rows_read == 4
