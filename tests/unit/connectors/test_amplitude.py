"""Amplitude chart export: chart lines, wide day columns, metric -> web_daily column, non-additive charts refused."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data.connectors import registry
from data.connectors.base import UnrecognisedFile
from tests.unit.connectors._helpers import FIXTURES, parse
from tests.unit.connectors._ingest import ingest_json, metric

FILE = "amplitude/event_segmentation_uniques.csv"


def test_am001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "amplitude"


def test_am002_uniques_fill_users_per_day_and_series():
    frame = parse(FILE).frame()
    assert frame["key_events"].null_count() == frame.height
    totals = {r["date"]: r["users"] for r in frame.group_by("date").agg(pl.col("users").sum()).to_dicts()}
    assert totals == {date(2024, 3, 1): 120 + 14 + 9, date(2024, 3, 2): 98 + 11, date(2024, 3, 3): 1004 + 7}


def test_am003_negative_cell_quarantined_na_cell_skipped():
    p = parse(FILE)
    [err] = p.errors
    assert (err.row_number, err.column, err.raw["Segment"], err.raw["Day"]) == (
        9,
        "Value",
        "Paid users",
        "Mar 2, 2024",
    )
    assert p.frame().height == 7  # 9 cells, one n/a, one negative
    assert p.rows_read() == 9  # a pivoted export accounts for values (3 lines x 3 days), not lines


@pytest.mark.parametrize(
    ("metric_line", "column"), [("Event Totals", "key_events"), ("New Users", "new_users")]
)
def test_am004_metric_line_picks_the_column(tmp_path, metric_line, column):
    path = tmp_path / "chart.csv"
    path.write_text(
        (FIXTURES / FILE).read_text(encoding="utf-8-sig").replace("Metric: Uniques", f"Metric: {metric_line}")
    )
    frame = parse(path).frame()
    assert frame[column].null_count() == 0 and frame["users"].null_count() == frame.height


def test_am005_averages_are_refused(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_text(
        (FIXTURES / FILE).read_text(encoding="utf-8-sig").replace("Metric: Uniques", "Metric: Average")
    )
    with pytest.raises(UnrecognisedFile, match="does not add up per day"):
        parse(path)


def test_am006_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["inserted"], result["quarantined"]) == ("amplitude", 7, 1)
    assert metric(services, workspace, "users", date(2024, 3, 1), date(2024, 3, 3)) == 143 + 109 + 1011
