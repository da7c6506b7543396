"""One entry point from a spec to files: assemble the numbers once, render each format."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from components.formatting import numbers_as
from data.warehouse import ScopedWarehouse
from reports.assemble import ReportData, assemble
from reports.definition import ReportError, ReportSpec
from reports.rows import bound_sql, dataset_for_sections, get_dataset, own_cursor, splittable, stream

#: format -> file extension and MIME type
MEDIA = {
    "pdf": ("pdf", "application/pdf"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("csv", "text/csv; charset=utf-8"),
}


def render_file(
    scoped: ScopedWarehouse,
    spec: ReportSpec,
    fmt: str,
    out: Path,
    *,
    data: ReportData | None = None,
    today: date | None = None,
    now: datetime | None = None,
    dataset: str | None = None,
    bom: bool = False,
    logo: bytes | None = None,
    standalone: bool = False,
) -> dict:
    """Render ``spec`` as ``fmt`` into ``out``; returns what was written (path, bytes, rows).

    ``data`` reuses numbers already assembled (a schedule sending a PDF and an XLSX computes
    them once). CSV holds the detail rows of ``dataset`` (default: the first section's).
    ``logo`` (PNG bytes, see :mod:`dashboard.logos`) goes on a PDF's cover. ``standalone``
    (a CLI or bench process of its own, never the server): a CSV export on one DuckDB thread
    with its memory capped (see :func:`reports.csv.copy_csv`). PDF and XLSX write numbers as
    the workspace's number locale does; a CSV is a machine format and never localised.
    """
    if fmt not in MEDIA:
        raise ReportError(f"unknown format {fmt!r}; accepted: {', '.join(MEDIA)}")
    out = Path(out)
    if fmt == "csv":
        from reports.csv import copy_csv, write_csv

        spec.validate()
        # Only the dates are needed: no metric is computed for a CSV of rows.
        if data is not None:
            start, end = data.start, data.end
        else:
            start, end = spec.dates(today or datetime.now(ZoneInfo(scoped.workspace.timezone)).date())
        chosen = get_dataset(dataset or dataset_for_sections(spec.sections))
        if scoped.warehouse.backend == "duckdb" and standalone:
            # A process of its own: DuckDB writes the file itself (no row passes through Python,
            # 10M rows in < 500 MB), in rowid parts at once for a table in storage order.
            split = standalone and splittable(chosen)
            sql, params = bound_sql(scoped, chosen, start, end, spec.filters, rowid_range=split)
            cursor = own_cursor(scoped)
            try:
                rows = copy_csv(
                    cursor, sql, params, out, bom=bom, standalone=standalone,
                    split_table=chosen.table if split else None,
                )  # fmt: skip
            finally:
                cursor.close()
        else:
            # The server (and PostgreSQL) streams ordered record batches through Arrow's writer:
            # DuckDB's parallel COPY would write the lines in a different order each download,
            # and the server's DuckDB threads are shared, so they cannot be set to one here.
            schema, batches = stream(scoped, chosen, start, end, spec.filters)
            rows = write_csv(out, schema, batches, bom=bom)
        return {
            "format": fmt,
            "path": str(out),
            "bytes": out.stat().st_size,
            "rows": rows,
            "dataset": chosen.name,
        }
    report = data or assemble(scoped, spec, today=today, now=now)
    if fmt == "pdf":
        from reports.pdf import render_pdf

        render_pdf(report, out, logo=logo)
        return {"format": fmt, "path": str(out), "bytes": out.stat().st_size}
    from reports.xlsx import render_xlsx

    # the currency symbol of the number formats goes where the workspace's locale puts it
    with numbers_as(report.workspace.locale):
        info = render_xlsx(report, out, scoped=scoped)
    return {"format": fmt, "path": str(out), "bytes": out.stat().st_size, **info}
