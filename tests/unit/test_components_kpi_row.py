"""KPI rows lead with their first cards and fold the rest under "More" (built components compared)."""

from __future__ import annotations

from dash import html

from components import ids
from components.analytics import kpi_row


def _cards(n: int) -> list:
    return [html.Div(str(i), id=f"card-{i}") for i in range(n)]


def test_row001_a_long_row_folds_after_the_lead_cards():
    row = kpi_row(_cards(11), "revenue")
    assert row.id == ids.kpi_fold("revenue") and "pb-kpi-folded" in row.className
    grid, toggle = row.children
    classes = [col.className for col in grid.children]
    assert [("pb-kpi-extra" in c, "pb-kpi-extra-wide" in c) for c in classes[3:8]] == [
        (False, False),
        (True, False),
        (True, False),
        (True, True),
        (True, True),
    ]
    assert toggle.id == ids.kpi_fold_toggle("revenue")
    assert [span.children for span in toggle.children] == ["More (7)", "More (5)", "Fewer"]


def test_row002_six_cards_fold_on_a_phone_only():
    row = kpi_row(_cards(6), "overview")
    toggle = row.children[1]
    assert "d-md-none" in toggle.className and toggle.children[0].children == "More (2)"


def test_row003_short_rows_and_rows_without_a_page_do_not_fold():
    assert kpi_row(_cards(4), "customers").children[0].className == "mb-3"
    plain = kpi_row(_cards(9))
    assert all(col.className == "mb-3" for col in plain.children)
