"""dash-ag-grid builders: a polars frame in, a sortable, filterable grid out (pure)."""

from __future__ import annotations

import dash_ag_grid as dag
import polars as pl

from components.formatting import currency_symbol

#: d3 formats per unit; currency gets the workspace's symbol as a prefix.
_FORMATS = {"count": ",.0f", "ratio": ".1%", "number": ",.2f", "duration": ",.1f", "currency": ",.2f"}


def column_defs(
    frame: pl.DataFrame, units: dict[str, str], currency: str, labels: dict[str, str] | None = None
):
    """Column definitions: numbers right-aligned and formatted by unit, text columns filterable."""
    labels = labels or {}
    defs = []
    for name, dtype in frame.schema.items():
        col = {"field": name, "headerName": labels.get(name, name.replace("_", " ").capitalize())}
        unit = units.get(name)
        if unit or dtype.is_numeric():
            spec = _FORMATS.get(unit or "number")
            prefix = currency_symbol(currency).strip() if unit == "currency" else ""
            col |= {
                "type": "rightAligned",
                "filter": "agNumberColumnFilter",
                "valueFormatter": {
                    "function": f"params.value == null ? '—' : '{prefix}' + d3.format('{spec}')(params.value)"
                },
            }
        else:
            col |= {"filter": "agTextColumnFilter"}
        defs.append(col)
    return defs


def rows(frame: pl.DataFrame) -> list[dict]:
    """JSON-safe row dicts (dates and datetimes as ISO strings)."""
    casts = [
        pl.col(n).cast(pl.Utf8)
        for n, t in frame.schema.items()
        if t in (pl.Date,) or isinstance(t, pl.Datetime)
    ]
    return (frame.with_columns(casts) if casts else frame).to_dicts()


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
) -> dag.AgGrid:
    """A client-side grid of ``frame`` (small frames: the rows behind one chart or a top-N list).

    ``cell_rules`` maps a column to ag-grid ``cellClassRules`` (conditional formatting).
    """
    defs = column_defs(frame, units or {}, currency, labels)
    for col in defs:
        if cell_rules and col["field"] in cell_rules:
            col["cellClassRules"] = cell_rules[col["field"]]
    options = {"animateRows": False, "suppressCellFocus": True, "rowClassRules": row_class_rules or {}}
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True, "checkboxes": False}
    return dag.AgGrid(
        id=grid_id,
        rowData=rows(frame),
        columnDefs=defs,
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90, "flex": 1},
        dashGridOptions=options,
        columnSize="autoSize",
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
    defs = column_defs(frame, units or {}, currency, labels)
    for col in defs:
        col |= (column_overrides or {}).get(col["field"], {})
        if col.get("filter") == "agTextColumnFilter":
            col["filterParams"] = {"filterOptions": list(_TEXT_OPS), "maxNumConditions": 1}
        elif col.get("filter") == "agNumberColumnFilter":
            col["filterParams"] = {"filterOptions": list(_NUMBER_OPS), "maxNumConditions": 1}
    options = {
        "animateRows": False,
        "suppressCellFocus": True,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "cacheBlockSize": page_size,
        "maxBlocksInCache": 20,
        "infiniteInitialRowCount": page_size,
    }
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True, "checkboxes": False}
    return dag.AgGrid(
        id=grid_id,
        rowModelType="infinite",
        columnDefs=defs,
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90, "flex": 1},
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


def page_of(frame: pl.DataFrame, request) -> dict:
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
    return {"rowData": rows(frame.slice(start, end - start)), "rowCount": frame.height}
