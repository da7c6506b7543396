"""The PDF's trend chart, drawn from plain reportlab shapes (reports.pdf._chart)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from reportlab.graphics.shapes import PolyLine, String

from reports.assemble import Trend
from reports.pdf import _chart, _nice_ticks, _runs


@pytest.mark.parametrize(
    ("low", "high", "want"),
    [
        (0, 17_800, [0, 5000, 10_000, 15_000, 20_000]),
        (0, 0.37, [0, 0.1, 0.2, 0.3, 0.4]),
        (-120, 480, [-200, 0, 200, 400, 600]),
        (0, 0, [0, 0.25, 0.5, 0.75, 1.0]),  # a flat zero series still gets an axis
        (0, 5, [0, 2, 4, 6]),
    ],
)
def test_pdfchart001_ticks_are_round_and_cover_the_values(low, high, want):
    ticks = _nice_ticks(low, high)
    assert ticks == pytest.approx(want)
    assert ticks[0] <= low and ticks[-1] >= high


def test_pdfchart002_a_missing_value_breaks_the_line():
    assert _runs([1.0, None, 2.0, 3.0, None, None]) == [[(0, 1.0)], [(2, 2.0), (3, 3.0)]]
    assert _runs([None]) == []


def _data():
    return SimpleNamespace(workspace=SimpleNamespace(currency="USD"))


def test_pdfchart003_chart_has_lines_grid_labels_and_legend():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    trend = Trend(
        "day",
        days,
        [
            ("Net revenue", "currency", [1000.0 + 100 * i for i in range(30)]),
            ("Gross revenue", "currency", [1100.0 + 100 * i if i != 10 else None for i in range(30)]),
        ],
    )
    drawing = _chart(trend, _data(), 480)
    texts = [s.text for s in drawing.contents if isinstance(s, String)]
    lines = [s for s in drawing.contents if isinstance(s, PolyLine)]
    assert len(lines) == 3  # one line, and the other broken where a value is missing
    assert "Net revenue" in texts and "Gross revenue" in texts
    assert "1 Nov" in texts and "$4.0k" in texts and "$0.0k" in texts
    assert len([t for t in texts if t.endswith("Nov")]) <= 10  # labels never crowd
