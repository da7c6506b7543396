"""Server-paged grids: the infinite-model grid builder and the pure page/sort/filter of a frame."""

from __future__ import annotations

from datetime import date

import polars as pl

from components.grids import MAX_BLOCK, PAGE_SIZE, page_of, paged_grid

FRAME = pl.DataFrame(
    {
        "name": [f"c{i:02d}" for i in range(60)],
        "revenue": [float((i * 37) % 60) for i in range(60)],
        "day": [date(2026, 1, 1 + i % 28) for i in range(60)],
    }
)


def test_grd001_page_two_returns_the_next_rows():
    first = page_of(FRAME, {"startRow": 0, "endRow": 25})
    second = page_of(FRAME, {"startRow": 25, "endRow": 50})
    assert [r["name"] for r in first["rowData"]] == [f"c{i:02d}" for i in range(25)]
    assert [r["name"] for r in second["rowData"]] == [f"c{i:02d}" for i in range(25, 50)]
    assert first["rowCount"] == second["rowCount"] == 60
    assert second["rowData"][0]["day"] == "26 Jan 2026"  # dates as people read them (JSON-safe text)


def test_grd002_sorting_happens_before_paging():
    asc = page_of(FRAME, {"startRow": 0, "endRow": 5, "sortModel": [{"colId": "revenue", "sort": "asc"}]})
    desc = page_of(FRAME, {"startRow": 0, "endRow": 5, "sortModel": [{"colId": "revenue", "sort": "desc"}]})
    assert [r["revenue"] for r in asc["rowData"]] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [r["revenue"] for r in desc["rowData"]] == [59.0, 58.0, 57.0, 56.0, 55.0]
    page2 = page_of(FRAME, {"startRow": 5, "endRow": 10, "sortModel": [{"colId": "revenue", "sort": "desc"}]})
    assert [r["revenue"] for r in page2["rowData"]] == [54.0, 53.0, 52.0, 51.0, 50.0]


def test_grd003_text_and_number_filters():
    text = page_of(
        FRAME,
        {
            "startRow": 0,
            "endRow": 100,
            "filterModel": {"name": {"filterType": "text", "type": "startsWith", "filter": "C5"}},
        },
    )
    assert [r["name"] for r in text["rowData"]] == [f"c5{i}" for i in range(10)] and text["rowCount"] == 10
    num = page_of(
        FRAME,
        {
            "startRow": 0,
            "endRow": 100,
            "filterModel": {
                "revenue": {"filterType": "number", "type": "inRange", "filter": 10, "filterTo": 12}
            },
        },
    )
    assert sorted(r["revenue"] for r in num["rowData"]) == [10.0, 11.0, 12.0]
    gt = page_of(
        FRAME, {"filterModel": {"revenue": {"filterType": "number", "type": "greaterThan", "filter": "57"}}}
    )
    assert gt["rowCount"] == 2


def test_grd004_malformed_requests_select_nothing_outside_the_frame():
    assert page_of(FRAME, None)["rowCount"] == 60
    assert len(page_of(FRAME, {"startRow": -5, "endRow": "x"})["rowData"]) == PAGE_SIZE
    assert len(page_of(FRAME, {"startRow": 0, "endRow": 10**9})["rowData"]) == min(MAX_BLOCK, 60)
    assert page_of(FRAME, {"startRow": True, "endRow": 3})["rowData"][0]["name"] == "c00"
    weird = {
        "sortModel": [
            {"colId": "__import__", "sort": "asc"},
            "revenue",
            {"colId": "revenue", "sort": "sideways"},
        ],
        "filterModel": {
            "nope": {"filterType": "text", "type": "contains", "filter": "x"},
            "revenue": {"filterType": "number", "type": "evil", "filter": 1},
            "name": {"filterType": "text", "type": "contains", "filter": ["list"]},
        },
    }
    out = page_of(FRAME, {"startRow": 0, "endRow": 3, **weird})
    assert [r["name"] for r in out["rowData"]] == ["c00", "c01", "c02"] and out["rowCount"] == 60
    assert page_of(FRAME, {"startRow": 1000, "endRow": 1025}) == {"rowData": [], "rowCount": 60}


def test_grd005_paged_grid_ships_columns_not_rows():
    grid = paged_grid(
        {"type": "pb-grid", "page": "p", "item": "top"},
        FRAME,
        units={"revenue": "currency"},
        currency="EUR",
        row_selection=True,
        column_overrides={"name": {"pinned": "left"}},
    )
    assert grid.rowModelType == "infinite"
    assert getattr(grid, "rowData", None) is None
    opts = grid.dashGridOptions
    assert opts["pagination"] and opts["paginationPageSize"] == opts["cacheBlockSize"] == PAGE_SIZE
    assert opts["rowSelection"]["mode"] == "singleRow"
    defs = {c["field"]: c for c in grid.columnDefs}
    assert defs["name"]["pinned"] == "left" and "contains" in defs["name"]["filterParams"]["filterOptions"]
    assert "€" in defs["revenue"]["valueFormatter"]["function"]
    assert "inRange" in defs["revenue"]["filterParams"]["filterOptions"]


def test_grid_columns_start_at_their_content_width_not_ag_grids_200px():
    """Where flex does not apply (a pinned column; a grid drawn while its panel had no width), ag-grid
    used 200 px: on a phone a 200 px segment name pushed the customers column past the edge ("30" of 305)."""
    import polars as pl

    from components.grids import PINNED_MAX_PX, data_grid

    frame = pl.DataFrame(
        {"segment": ["Needs attention"], "customers": [305], "revenue": [1234.5], "avg_recency_days": [3.5]}
    )
    defs = data_grid("g", frame, units={"revenue": "currency"}).columnDefs
    assert all(col["width"] == col["minWidth"] for col in defs)
    assert defs[0]["pinned"] == "left" and defs[0]["width"] < 200
    long = pl.DataFrame({"name": ["x" * 80], "a": [1], "b": [2]})
    assert data_grid("h", long).columnDefs[0]["width"] == PINNED_MAX_PX
