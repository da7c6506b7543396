"""dash-ag-grid builders: a polars frame in, a sortable, filterable grid out (pure)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dash_ag_grid as dag
import polars as pl

from components.formatting import column_label, format_value, grid_formatter

#: Units whose values are whole numbers however they are stored.
_INTEGER_DTYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def column_defs(
    frame: pl.DataFrame, units: dict[str, str], currency: str, labels: dict[str, str] | None = None
):
    """Column definitions: every column labelled, numbers right-aligned and formatted by unit.

    Numbers follow :func:`components.formatting.grid_formatter` (integers never show "1.00"),
    dates and timestamps read "1 Dec 2026" / "1 Dec 2026, 14:30" while sorting on their ISO
    value, and every cell carries its full text as a tooltip in case the column is narrower.
    """
    defs = []
    for name, dtype in frame.schema.items():
        col = {
            "field": name,
            "headerName": column_label(name, labels),
            "headerTooltip": column_label(name, labels),
        }
        unit = units.get(name)
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            col |= {"filter": False}  # shown as text ("1 Dec 2026"); sorts on the real value
        elif unit or dtype.is_numeric():
            col |= {
                "type": "rightAligned",
                "filter": "agNumberColumnFilter",
                "valueFormatter": grid_formatter(
                    unit or "number", currency, integer=dtype in _INTEGER_DTYPES
                ),
            }
        else:
            col |= {"filter": "agTextColumnFilter", "tooltipField": name}
        col["minWidth"] = content_width(frame, name, col["headerName"], unit, currency)
        defs.append(col)
    return defs


#: Pixels per character of the grid font (13-14 px system-ui; digits and capitals are widest).
_CHAR_PX = 8
#: Cell padding left and right; a header adds its sort and menu icons.
_CELL_PAD, _HEADER_PAD = 34, 68
#: No column asks for more than this (its tooltip shows the rest).
MAX_COLUMN_PX = 340


def content_width(frame: pl.DataFrame, name: str, header: str, unit: str | None, currency: str) -> int:
    """The width in px that column ``name`` needs for its header and its longest shown value.

    Computed on the server from the whole frame, so it also works for server-paged grids
    (ag-grid's own fitCellContents only measures the rows it has rendered, and not at all in
    the infinite row model). Used as the column's ``minWidth``; ``flex`` shares what is left.
    """
    col, dtype = frame[name], frame.schema[name]
    if frame.height == 0:
        chars = 0
    elif dtype == pl.Date:
        chars = 11  # "30 Sep 2026"
    elif isinstance(dtype, pl.Datetime):
        chars = 18  # "30 Sep 2026, 14:30"
    elif dtype.is_numeric():
        values = col.drop_nulls()
        chars = 1
        if values.len():
            widest = max(abs(float(values.min())), abs(float(values.max())))
            chars = len(format_value(-widest if values.min() < 0 else widest, unit or "number", currency))
    else:
        chars = int(col.cast(pl.Utf8).str.len_chars().max() or 0)
    need = max(len(header) * _CHAR_PX + _HEADER_PAD, chars * _CHAR_PX + _CELL_PAD)
    return int(min(need, MAX_COLUMN_PX))


def rows(frame: pl.DataFrame, tz: str | None = None) -> list[dict]:
    """JSON-safe row dicts with dates and timestamps as people read them.

    Dates read ``1 Dec 2026``; timestamps (stored in UTC, naive) read ``1 Dec 2026, 15:30`` in
    the workspace's time zone ``tz`` (never ``2026-12-01 14:30:00.000000``). Paged grids sort
    and filter on the server, on the frame's real values, so the text is for display only.
    """
    casts = []
    for n, t in frame.schema.items():
        if t == pl.Date:
            casts.append(_day_text(pl.col(n)))
        elif isinstance(t, pl.Datetime):
            col = pl.col(n)
            if t.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            local = col.dt.convert_time_zone(_zone_name(tz))
            casts.append(pl.concat_str([_day_text(local), local.dt.strftime(", %H:%M")]).alias(n))
    return (frame.with_columns(casts) if casts else frame).to_dicts()


def _day_text(col: pl.Expr) -> pl.Expr:
    """``1 Dec 2026`` (day without a leading zero, as :func:`components.formatting.format_date`)."""
    return pl.concat_str([col.dt.day().cast(pl.Utf8), col.dt.strftime(" %b %Y")])


def _zone_name(tz: str | None) -> str:
    """``tz`` when it names a time zone, else UTC (a bad setting must not break a grid)."""
    try:
        ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return tz or "UTC"


#: Row height that holds a pinned name wrapped onto two lines.
WRAPPED_ROW_PX = 58
#: The theme's own row height, and what a grid draws around its rows: borders, the header and
#: the horizontal scroll bar; a paged grid adds its paging bar (measured in Chromium).
ROW_PX = 42
GRID_FRAME_PX = 2 + 49 + 15
PAGING_BAR_PX = 42
#: A grid of at most this many rows grows to show them all: five campaigns in wrapped rows
#: showed 4½ in the 360 px grid, the last one half hidden behind a scroll bar.
FIT_ROWS = 8


def fitted_height(height: int, rows: int, row_px: int, *, paged: bool) -> int:
    """``height`` in px, or taller when a grid of few ``rows`` would hide some of them."""
    if rows > FIT_ROWS:
        return height  # a long list scrolls (or pages) anyway
    return max(height, GRID_FRAME_PX + (PAGING_BAR_PX if paged else 0) + rows * row_px)


#: The widest a pinned first column starts (its tooltip shows a longer name).
PINNED_MAX_PX = 180
#: Every column sorts, filters and resizes; ``flex`` shares the width left over by the minimums.
DEFAULT_COLUMN = {"sortable": True, "resizable": True, "filter": True, "minWidth": 90, "flex": 1}
#: Tooltips are the browser's own (a cell narrower than its value still shows it on hover).
GRID_OPTIONS = {"animateRows": False, "suppressCellFocus": True, "enableBrowserTooltips": True}


def _sized(defs: list[dict], overrides: dict[str, dict] | None) -> list[dict]:
    """``defs`` with per-column overrides applied and the first column pinned left.

    The first column names the row (customer, campaign, deal): pinned, it stays on screen while
    a phone scrolls the numbers sideways, so no value is ever read without its name.
    """
    for col in defs:
        col |= (overrides or {}).get(col["field"], {})
        # ag-grid falls back to a 200 px width where flex does not apply: a pinned column, and
        # every column of a grid first drawn while its panel had no width (a phone showed
        # "30" of 305 at the viewport's edge behind a 200 px segment name). Content width instead.
        if "width" not in col and "minWidth" in col:
            col["width"] = col["minWidth"]
    if len(defs) > 2 and "pinned" not in defs[0]:
        defs[0]["pinned"] = "left"
        defs[0]["lockPinned"] = True
        # pinned, it must leave room for the numbers on a 390 px phone: a longer name wraps
        # onto a second line (the row grows) rather than being cut
        if defs[0].get("minWidth", 0) > PINNED_MAX_PX:
            defs[0] |= {
                "width": PINNED_MAX_PX,
                "minWidth": PINNED_MAX_PX,
                "maxWidth": PINNED_MAX_PX,
                "wrapText": True,
                "autoHeight": True,
            }
    return defs


def data_grid(
    grid_id,
    frame: pl.DataFrame,
    *,
    units: dict[str, str] | None = None,
    currency: str = "USD",
    labels: dict[str, str] | None = None,
    height: int = 360,
    row_class_rules: dict | None = None,
    cell_rules: dict[str, dict] | None = None,
    row_selection: bool = False,
    timezone: str | None = None,
    column_overrides: dict[str, dict] | None = None,
) -> dag.AgGrid:
    """A client-side grid of ``frame`` (small frames: the rows behind one chart or a top-N list).

    ``cell_rules`` maps a column to ag-grid ``cellClassRules`` (conditional formatting);
    timestamps show in ``timezone`` (the workspace's).
    """
    defs = _sized(column_defs(frame, units or {}, currency, labels), column_overrides)
    for col in defs:
        if cell_rules and col["field"] in cell_rules:
            col["cellClassRules"] = cell_rules[col["field"]]
    options = {**GRID_OPTIONS, "rowClassRules": row_class_rules or {}}
    if defs and defs[0].get("wrapText"):
        options["rowHeight"] = WRAPPED_ROW_PX  # the infinite row model has no autoHeight
    height = fitted_height(height, frame.height, options.get("rowHeight", ROW_PX), paged=False)
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True, "checkboxes": False}
    return dag.AgGrid(
        id=grid_id,
        rowData=rows(frame, timezone),
        columnDefs=defs,
        defaultColDef=DEFAULT_COLUMN,
        dashGridOptions=options,
        className="pb-grid",
        style={"height": f"{height}px", "width": "100%"},
    )


# -- server-paged grids ------------------------------------------------------------------------

#: Rows per page of a server-paged grid (one block per request).
PAGE_SIZE = 25
#: The most rows one request may ask for, whatever the browser says.
MAX_BLOCK = 200


def paged_grid(
    grid_id,
    frame: pl.DataFrame,
    *,
    units: dict[str, str] | None = None,
    currency: str = "USD",
    labels: dict[str, str] | None = None,
    height: int = 360,
    row_selection: bool = False,
    column_overrides: dict[str, dict] | None = None,
    page_size: int = PAGE_SIZE,
) -> dag.AgGrid:
    """A grid that pages, sorts and filters on the server (ag-grid's infinite row model).

    Only ``frame``'s columns go to the browser; rows arrive a page at a time through the
    grid's ``getRowsRequest`` / ``getRowsResponse`` (see :func:`page_of`).
    """
    defs = _sized(column_defs(frame, units or {}, currency, labels), column_overrides)
    for col in defs:
        if col.get("filter") == "agTextColumnFilter":
            col["filterParams"] = {"filterOptions": list(_TEXT_OPS), "maxNumConditions": 1}
        elif col.get("filter") == "agNumberColumnFilter":
            col["filterParams"] = {"filterOptions": list(_NUMBER_OPS), "maxNumConditions": 1}
    options = {
        **GRID_OPTIONS,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "cacheBlockSize": page_size,
        "maxBlocksInCache": 20,
        "infiniteInitialRowCount": page_size,
    }
    if defs and defs[0].get("wrapText"):
        options["rowHeight"] = WRAPPED_ROW_PX  # the infinite row model has no autoHeight
    rows_shown = min(frame.height, page_size)
    height = fitted_height(height, rows_shown, options.get("rowHeight", ROW_PX), paged=True)
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True, "checkboxes": False}
    return dag.AgGrid(
        id=grid_id,
        rowModelType="infinite",
        columnDefs=defs,
        defaultColDef=DEFAULT_COLUMN,
        dashGridOptions=options,
        className="pb-grid pb-grid-paged",
        style={"height": f"{height}px", "width": "100%"},
    )


def _text(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.Utf8).fill_null("").str.to_lowercase()


_TEXT_OPS = {
    "contains": lambda c, v: _text(c).str.contains(v, literal=True),
    "notContains": lambda c, v: ~_text(c).str.contains(v, literal=True),
    "equals": lambda c, v: _text(c) == v,
    "notEqual": lambda c, v: _text(c) != v,
    "startsWith": lambda c, v: _text(c).str.starts_with(v),
    "endsWith": lambda c, v: _text(c).str.ends_with(v),
}
_NUMBER_OPS = {
    "equals": lambda c, v, _: c == v,
    "notEqual": lambda c, v, _: c != v,
    "greaterThan": lambda c, v, _: c > v,
    "greaterThanOrEqual": lambda c, v, _: c >= v,
    "lessThan": lambda c, v, _: c < v,
    "lessThanOrEqual": lambda c, v, _: c <= v,
    "inRange": lambda c, v, to: (c >= v) & (c <= to),
}


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        out = float(value)
    except ValueError:
        return None
    return out if out == out and abs(out) != float("inf") else None


def _condition(frame: pl.DataFrame, column: str, model: dict) -> pl.Expr | None:
    """One ag-grid column filter as a polars predicate (None when it is not one we understand)."""
    if model.get("filterType") == "number" and frame.schema[column].is_numeric():
        op, value, to = _NUMBER_OPS.get(model.get("type")), _number(model.get("filter")), None
        if model.get("type") == "inRange":
            to = _number(model.get("filterTo"))
            if to is None:
                return None
        return None if op is None or value is None else op(pl.col(column), value, to)
    if model.get("filterType") == "text":
        op, value = _TEXT_OPS.get(model.get("type")), model.get("filter")
        if op is None or not isinstance(value, str) or len(value) > 200:
            return None
        return op(pl.col(column), value.lower())
    return None


def page_of(frame: pl.DataFrame, request, tz: str | None = None) -> dict:
    """The ``getRowsResponse`` for an ag-grid infinite-model ``getRowsRequest`` (pure).

    Applies the request's filter model (text and number filters on known columns) and sort
    model (known columns only), then returns rows ``startRow`` to ``endRow`` (at most
    :data:`MAX_BLOCK`) and the filtered row count. Anything malformed in the request is
    ignored rather than trusted: it only ever selects within ``frame``.
    """
    request = request if isinstance(request, dict) else {}
    filters = request.get("filterModel") if isinstance(request.get("filterModel"), dict) else {}
    for column, model in filters.items():
        if column in frame.columns and isinstance(model, dict):
            cond = _condition(frame, column, model)
            if cond is not None:
                frame = frame.filter(cond)
    sorts = request.get("sortModel") if isinstance(request.get("sortModel"), list) else []
    by, desc = [], []
    for s in sorts:
        if isinstance(s, dict) and s.get("colId") in frame.columns and s.get("sort") in ("asc", "desc"):
            by.append(s["colId"])
            desc.append(s["sort"] == "desc")
    if by:
        frame = frame.sort(by, descending=desc, nulls_last=True, maintain_order=True)
    start = request.get("startRow")
    start = start if isinstance(start, int) and not isinstance(start, bool) and start >= 0 else 0
    end = request.get("endRow")
    end = end if isinstance(end, int) and not isinstance(end, bool) and end > start else start + PAGE_SIZE
    end = min(end, start + MAX_BLOCK)
    return {"rowData": rows(frame.slice(start, end - start), tz), "rowCount": frame.height}
