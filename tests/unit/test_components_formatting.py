"""Formatting from the unit (components.formatting): signs, integers, points, days, dates, labels."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from components.formatting import (
    column_label,
    format_date,
    format_datetime,
    format_days,
    format_delta,
    format_months,
    format_value,
    grid_formatter,
    hover_format,
    needs_compact,
)
from components.grids import column_defs, rows


@pytest.mark.parametrize(
    ("value", "unit", "currency", "compact", "expected"),
    [
        (-3500, "currency", "USD", False, "\u2212$3,500.00"),
        (3500, "currency", "USD", False, "$3,500.00"),
        (-0.001, "currency", "USD", False, "$0.00"),  # no minus on a value that rounds to zero
        (-1234.5, "currency", "EUR", False, "\u2212€1,234.50"),
        (598.0, "currency", "USD", True, "$598"),
        (0.554, "currency", "USD", True, "$0.55"),  # a compact CPC keeps its cents, never "$1"
        (9.994, "currency", "USD", True, "$9.99"),
        (12.29, "currency", "USD", True, "$12"),
        (113_004.12, "currency", "USD", True, "$113k"),
        (11_340.0, "currency", "USD", True, "$11.3k"),
        (1_234_567.0, "currency", "USD", True, "$1.23M"),
        (999_999.0, "currency", "USD", True, "$1M"),
        (1.0, "count", "USD", False, "1"),
        (5687.0, "count", "USD", False, "5,687"),
        (269_362.0, "count", "USD", True, "269k"),
        (0.258, "ratio", "USD", False, "25.8%"),
        (-0.05, "ratio", "USD", False, "\u22125.0%"),
        (2.4137, "multiple", "USD", False, "2.41×"),
        (3.0, "duration", "USD", False, "3 days"),
        (1.0, "duration", "USD", False, "1 day"),
        (2.46, "duration", "USD", False, "2.5 days"),
        (45.4, "duration", "USD", False, "45 days"),
        (None, "currency", "USD", False, "—"),
        (float("nan"), "count", "USD", False, "—"),
        (1234.0, "currency", "JPY", False, "¥1,234"),
    ],
)
def test_fmt001_values_by_unit(value, unit, currency, compact, expected):
    assert format_value(value, unit, currency, compact=compact) == expected


def test_fmt002_ratio_changes_are_percentage_points():
    assert format_delta(0.096, 0.028, "ratio") == ("+6.8 pp", pytest.approx(0.068))
    assert format_delta(0.028, 0.096, "ratio")[0] == "\u22126.8 pp"
    # a ratio from zero still has a change in points (a relative change would be "—")
    assert format_delta(0.05, 0.0, "ratio")[0] == "+5.0 pp"
    assert format_delta(120.0, 100.0, "currency")[0] == "+20.0%"
    assert format_delta(80.0, 100.0, "count")[0] == "\u221220.0%"
    assert format_delta(5.0, 0.0, "currency") == ("—", None)
    assert format_delta(0.0, 0.0, "count") == ("0.0%", 0.0)
    assert format_delta(None, 1.0) == ("—", None)


def test_fmt003_neighbouring_cards_share_a_notation():
    assert not needs_compact([(598.0, "currency"), (0.25, "ratio"), (12.0, "count")])
    assert needs_compact([(598.0, "currency"), (113_004.12, "currency")])


def test_fmt004_durations_and_dates():
    assert (
        format_months(0.4) == "0.4 months"
        and format_months(1) == "1 month"
        and format_months(14.2) == "14 months"
    )
    assert format_days(None) == "—"
    assert format_date(date(2026, 12, 1)) == "1 Dec 2026" and format_date("2026-03-09") == "9 Mar 2026"
    assert format_date("Range") == "Range"
    # naive timestamps are UTC, shown in the workspace time zone to the minute
    assert format_datetime(datetime(2026, 12, 1, 14, 30, 5, 123), "Europe/Paris") == "1 Dec 2026, 15:30"
    assert format_datetime(datetime(2026, 12, 1, 14, 30), "Not/AZone") == "1 Dec 2026, 14:30"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mrr_start", "MRR at start"),
        ("mrr_end", "MRR at end"),
        ("net_revenue", "Net revenue"),  # the catalogue's label
        ("cac", "CAC"),
        ("customer_id", "Customer ID"),
        ("new_customers", "New customers"),
        ("", "Value"),
        ("avg_order_value", "Avg order value"),
    ],
)
def test_fmt005_column_labels(name, expected):
    assert column_label(name) == expected


def test_fmt006_grid_columns_format_by_unit_and_dtype():
    frame = pl.DataFrame(
        {
            "name": ["Ann"],
            "payments": pl.Series([1], dtype=pl.Int64),
            "revenue": [-3500.0],
            "mrr_start": [10.0],
            "when": [datetime(2026, 12, 1, 14, 30, 0, 5)],
            "day": [date(2026, 12, 1)],
        }
    )
    defs = {d["field"]: d for d in column_defs(frame, {"revenue": "currency"}, "USD")}
    assert defs["payments"]["valueFormatter"] == grid_formatter("number", "USD", integer=True)
    assert "',.0f'" in defs["payments"]["valueFormatter"]["function"]
    assert defs["revenue"]["valueFormatter"] == grid_formatter("currency", "USD")
    assert defs["mrr_start"]["headerName"] == "MRR at start"
    assert defs["name"]["tooltipField"] == "name"
    assert all(d["headerName"] for d in defs.values())
    # the timestamp is shown in the workspace zone, to the minute, as sortable text
    assert rows(frame, "Europe/Paris")[0]["when"] == "1 Dec 2026, 15:30"
    assert rows(frame)[0]["day"] == "1 Dec 2026" and rows(frame)[0]["when"] == "1 Dec 2026, 14:30"


def test_fmt007_columns_are_as_wide_as_their_content():
    frame = pl.DataFrame({"name": ["A very long customer name, Inc."], "n": [1], "revenue": [123456.78]})
    defs = {d["field"]: d for d in column_defs(frame, {"revenue": "currency"}, "USD")}
    assert defs["name"]["minWidth"] > defs["n"]["minWidth"]
    # "$123,456.78" (11 characters) needs more room than its header "Revenue" (7)
    assert defs["revenue"]["minWidth"] >= 11 * 8


def test_fmt008_hovers_carry_the_unit():
    assert hover_format("currency", "EUR") == "€%{y:,.2f}"
    assert hover_format("ratio", "USD", "x") == "%{x:.1%}"
    assert hover_format("count") == "%{y:,.0f}"


def test_fmt009_a_long_pinned_name_wraps_in_taller_rows():
    from components.grids import PINNED_MAX_PX, WRAPPED_ROW_PX, paged_grid

    long = pl.DataFrame({"name": ["Willow Learning - Website redesign"], "stage": ["Won"], "amount": [1.0]})
    grid = paged_grid("g", long, units={"amount": "currency"})
    first = grid.columnDefs[0]
    assert (first["pinned"], first["wrapText"], first["maxWidth"]) == ("left", True, PINNED_MAX_PX)
    assert grid.dashGridOptions["rowHeight"] == WRAPPED_ROW_PX
    short = paged_grid("g", long.with_columns(pl.lit("Ann").alias("name")), units={"amount": "currency"})
    assert "wrapText" not in short.columnDefs[0] and "rowHeight" not in short.dashGridOptions


def test_fmt032_a_short_grid_grows_to_show_every_row():
    """Five campaigns in wrapped rows showed 4½ in the 360 px grid; a long list keeps its height."""
    from components.grids import (
        FIT_ROWS,
        GRID_FRAME_PX,
        PAGING_BAR_PX,
        ROW_PX,
        WRAPPED_ROW_PX,
        data_grid,
        paged_grid,
    )

    names = [f"Campaign number {i} - Design services search" for i in range(FIT_ROWS + 20)]
    frame = pl.DataFrame(
        {"campaign": names, "platform": ["google_ads"] * len(names), "spend": [1.0] * len(names)}
    )
    five = paged_grid("g", frame.head(5), units={"spend": "currency"}, height=360)
    assert five.style["height"] == f"{GRID_FRAME_PX + PAGING_BAR_PX + 5 * WRAPPED_ROW_PX}px"
    many = paged_grid("g", frame, units={"spend": "currency"}, height=360)
    assert many.style["height"] == "360px"  # it pages and scrolls
    short = frame.head(7).with_columns(pl.lit("Ann").alias("campaign"))
    assert data_grid("g", short, units={"spend": "currency"}, height=300).style["height"] == (
        f"{GRID_FRAME_PX + 7 * ROW_PX}px"
    )
    assert data_grid("g", short.head(2), units={"spend": "currency"}, height=300).style["height"] == "300px"


def test_fmt010_a_duration_in_months_is_formatted_in_months():
    from dashboard.insights.narrate import fmt
    from data.metrics import get_metric

    payback, cycle = get_metric("cac_payback"), get_metric("sales_cycle_days")
    assert payback.unit == "duration" and payback.display_unit == "months"  # the JSON unit is kept
    assert cycle.display_unit == "duration"
    assert format_value(3.24, payback.display_unit) == "3.2 months"
    assert fmt("cac_payback", 3.24, "USD") == "3.2 months"  # insights prose, not "3.2 days"
    assert fmt("sales_cycle_days", 12.0, "USD") == "12 days"
    assert hover_format("months") == "%{y:,.1f} months"


def test_fmt011_hover_texts_write_a_true_minus_before_the_symbol():
    from components.formatting import hover_texts

    assert hover_texts([-3500.0, 12.5, None], "currency", "EUR") == ["\u2212€3,500.00", "€12.50", "—"]
    assert hover_format("currency", "JPY") == "¥%{y:,.0f}"  # yen have no cents on cards either


def test_fmt012_import_history_times_read_in_the_workspace_zone():
    from datetime import datetime

    from components.sources import connection_summary, runs_table

    def cells(component, tag):
        found = [component] if type(component).__name__ == tag else []
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                found += cells(child, tag)
        return found

    run = {"started_at": datetime(2026, 12, 1, 14, 30), "kind": "file", "source": "stripe", "status": "ok"}
    table = runs_table([run], "Europe/Berlin")
    assert cells(table, "Td")[0].children == "1 Dec 2026, 15:30"  # stored UTC, shown in Berlin
    assert cells(table, "Th")[0].children == "When"
    summary = connection_summary({"last_sync_at": "2026-12-01T23:30:00+00:00"}, "America/New_York")
    assert summary.children[0].children == "Last sync: 1 Dec 2026, 18:30"


def test_fmt013_the_range_label_writes_dates_as_the_pages_do():
    from dashboard.filters import FilterState

    state = FilterState("last_30_days", date(2026, 11, 3), date(2026, 12, 2), "previous_period", "day")
    assert state.label == "Last 30 days · 3 Nov – 2 Dec 2026"  # never "03 Nov – 02 Dec 2026"
    across = FilterState("custom", date(2025, 12, 20), date(2026, 1, 5), None, "day")
    assert across.label == "20 Dec 2025 – 5 Jan 2026"
