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
